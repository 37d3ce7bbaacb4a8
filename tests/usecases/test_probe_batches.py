"""send_probe's batches, on fakes: one claim per probe, the records in one write, and every partial failure.

The claim marks the client's day before the SMS goes, so a redelivered request never sends twice; what a
failure may lose is the record of an SMS that left. These tests pin where each failure goes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from moodline import probes
from moodline.domain import SentSms, SmsSendError
from moodline.probes import ProbeRequest, ProbeSender, SentProbe, probe_work
from moodline.vocabulary import DeliveryStatus, MessageKind, Refusal
from tests.fakes import FakeSms, World
from tests.usecases.conftest import coach, enrol

DUE = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)  # 09:00 in New York
PHONES = [f"+1555010{i:04d}" for i in range(10)]


@dataclass
class Metrics:
    added: list[tuple[str, float]] = field(default_factory=list)

    def add_metric(self, *, name: str, unit: str, value: float) -> None:
        self.added.append((name, value))

    def values(self, name: str) -> list[float]:
        return [value for metric, value in self.added if metric == name]


@dataclass
class ThrottledAt:
    """Twilio answering 429 to the ``nth`` send of this container, and sending every other one."""

    sms: FakeSms
    nth: int
    calls: int = 0

    def send(self, to: str, body: str, *, valid_for: timedelta | None = None) -> SentSms:
        self.calls += 1
        if self.calls == self.nth:
            raise SmsSendError("refused: throttled", refusal=Refusal.RETRYABLE, code=20429)
        return self.sms.send(to, body, valid_for=valid_for)


class RefusingQueue:
    def send_all(self, bodies: Sequence[str]) -> None:
        raise ConnectionError("SQS unreachable")


@pytest.fixture
def metrics(monkeypatch) -> Metrics:
    recorder = Metrics()
    monkeypatch.setattr(probes, "metrics", recorder)
    return recorder


@pytest.fixture
def batch(world) -> dict[str, ProbeRequest]:
    """Ten New York clients due at 09:00, queued by the 14:00 UTC tick: one SQS batch, keyed by message id."""
    coach(world, "c1")
    for i, phone in enumerate(PHONES):
        enrol(world, f"C{i}", phone)
    world.scheduler.queue_due_probes(DUE)
    world.now = DUE.replace(minute=1)
    return {f"m{i}": ProbeRequest(**body) for i, body in enumerate(world.queue.drain())}


def sender(world: World, **replacing: object) -> ProbeSender:
    parts: dict[str, object] = {"clients": world.clients, "messages": world.messages, "sms": world.sms,
                                "requeue": world.queue}
    return ProbeSender(**{**parts, **replacing}, retention_days=400, shards=world.shards,  # type: ignore[arg-type]
                       clock=lambda: world.now)


def probes_recorded(world: World) -> list[str]:
    return sorted(m.sid for m in world.messages.rows.values() if m.kind is MessageKind.PROBE)


def test_ten_probes_are_ten_claims_and_one_batched_record_write(world, batch):
    result = world.sender.send_all(batch)

    assert result.failed == []
    assert [o["outcome"] for o in result.outcomes.values()] == ["sent"] * 10
    assert len(probes_recorded(world)) == 10 and world.messages.batch_writes == 1
    assert all(world.clients.get(r.client_id).last_probe_date == "2026-11-30" for r in batch.values())


def test_twilio_throttling_probe_3_of_10_fails_it_alone_gives_its_claim_back_and_the_retry_sends_it(world, batch):
    # Given Twilio answers 429 to the third send of the batch
    throttled = sender(world, sms=ThrottledAt(world.sms, nth=3))

    # When the batch is sent
    result = throttled.send_all(batch)

    # Then only the third is reported for SQS to redeliver; the nine others went out and are recorded in one write
    assert result.failed == ["m2"]
    assert len(world.sms.sent) == 9 and len(probes_recorded(world)) == 9 and world.messages.batch_writes == 1
    # and the third's claim was given back, so the redelivery is not refused as "already sent today"
    third = batch["m2"]
    assert world.clients.get(third.client_id).last_probe_date is None

    # When SQS redelivers it (and, at least once, the whole batch)
    again = throttled.send_all({"m2": third, **{k: v for k, v in batch.items() if k != "m2"}})

    # Then the third is sent and recorded, and every client got exactly one probe
    assert again.outcomes["m2"]["outcome"] == "sent" and again.failed == []
    assert {o["outcome"] for k, o in again.outcomes.items() if k != "m2"} == {"skipped"}
    assert sorted(to for to, _ in world.sms.sent) == PHONES
    assert len(probes_recorded(world)) == 10


def test_records_the_store_leaves_unwritten_go_back_on_the_queue_and_are_written_without_a_second_sms(
        world, batch, metrics):
    # Given the store's retries give up on two of the ten records
    world.messages.unwritable = 2

    # When the batch is sent
    result = world.sender.send_all(batch)

    # Then no request is reported failed (a redelivery would only be refused by the claim), eight are recorded,
    # and the two others are on the probes queue as records to write, counted
    assert result.failed == [] and len(probes_recorded(world)) == 8
    assert metrics.values("ProbeRecordFailed") == [2]
    requeued = [probe_work(body) for body in world.queue.bodies]
    assert len(requeued) == 2 and all(isinstance(work, SentProbe) for work in requeued)

    # When the queue delivers them
    later = world.sender.send_all({f"r{i}": work for i, work in enumerate(requeued)})

    # Then they are written, and nobody got a second SMS
    assert later.failed == [] and {o["outcome"] for o in later.outcomes.values()} == {"recorded"}
    assert len(probes_recorded(world)) == 10 and len(world.sms.sent) == 10


def test_a_store_outage_after_sending_puts_every_record_on_the_queue(world, batch, metrics, monkeypatch):
    def down(*_: object, **__: object) -> list[object]:
        raise ConnectionError("DynamoDB unreachable")

    monkeypatch.setattr(world.messages, "record_many", down)

    result = world.sender.send_all(batch)

    assert result.failed == [] and probes_recorded(world) == []
    assert len(world.queue.bodies) == 10 and metrics.values("ProbeRecordFailed") == [10]


def test_a_record_nobody_can_take_is_logged_by_ids_alarmed_and_never_causes_a_second_sms(
        world, batch, metrics, caplog):
    # Given the store leaves a record unwritten and the queue refuses it too
    world.messages.unwritable = 1
    stranded = sender(world, requeue=RefusingQueue())

    # When the batch is sent, and then redelivered whole
    first = stranded.send_all(batch)
    again = stranded.send_all(batch)

    # Then nothing is reported failed (a redelivery cannot record it, and must not resend it), the loss alarms,
    # and the log line keeps the ids that rebuild the record: never the phone number or the text
    assert first.failed == [] and metrics.values("ProbeRecordLost") == [1]
    assert {o["outcome"] for o in again.outcomes.values()} == {"skipped"} and len(world.sms.sent) == 10
    [lost] = [r for r in caplog.records if r.getMessage() == "probe sent and its record lost"]
    assert lost.message_sid and lost.client_id and lost.local_date == "2026-11-30"
    logged = " ".join(str(value) for record in caplog.records for value in vars(record).values())
    assert not any(phone[2:] in logged for phone in PHONES) and "mood today" not in logged


def test_a_requeued_record_that_fails_again_is_reported_for_redelivery_then_the_dlq(world, batch, monkeypatch):
    world.messages.unwritable = 1
    world.sender.send_all(batch)
    [body] = world.queue.bodies

    def down(*_: object, **__: object) -> object:
        raise ConnectionError("DynamoDB unreachable")

    monkeypatch.setattr(world.messages, "record", down)
    assert world.sender.send_all({"r1": probe_work(body)}).failed == ["r1"]


def test_a_requeued_record_does_not_undo_a_delivery_status_a_callback_wrote_meanwhile(world, batch):
    # Given a record that missed its batch, then was written, and whose callback said "delivered"
    world.messages.unwritable = 1
    world.sender.send_all(batch)
    [body] = world.queue.bodies
    probe = probe_work(body)
    assert isinstance(probe, SentProbe)
    stored = world.messages.record(probe.message(), retention_days=400)
    world.messages.advance_delivery_status(stored, DeliveryStatus.DELIVERED, 5, None)

    # When the queue delivers the record
    world.sender.send_all({"r1": probe})

    # Then the write is write-once: the status stays "delivered"
    assert world.messages.get(stored.client_id, stored.at).status is DeliveryStatus.DELIVERED


def test_a_sent_probe_survives_the_queue_as_the_same_record():
    probe = SentProbe(ProbeRequest("cl-1", "2026-11-30", "2026-11-30T14:00:00.000Z"),
                      SentSms("SM" + "a" * 32, DeliveryStatus.QUEUED, 1))
    assert probe_work(probe.to_json()) == probe
    assert probe_work(ProbeRequest("cl-1", "2026-11-30", "2026-11-30T14:00:00.000Z").to_json()) == probe.request


@pytest.mark.parametrize("body", ["not json", '{"record": {"client_id": "x"}}', '{"client_id": "x"}', "[]"])
def test_a_body_that_is_neither_a_request_nor_a_record_is_refused_clearly(body):
    with pytest.raises(probes.InvalidProbeRequest, match="not a probe"):
        probe_work(body)


# --------------------------------------------------------------------------------- how long Twilio may hold it


def test_a_probe_may_wait_in_twilios_queue_until_the_lateness_limit_and_no_longer(world, batch):
    # Given the 09:00 probes taken at 09:01 New York time
    world.sender.send_all(batch)
    # Then each tells Twilio to drop it if still queued at 12:00 (the 3-hour lateness limit)
    assert world.sms.valid_for == [timedelta(hours=3) - timedelta(minutes=1)] * 10


def test_an_evening_probe_may_not_wait_past_the_clients_quiet_hours(world):
    # Given a client checking in at 19:30 New York, sent at 19:31
    coach(world, "c1")
    client = enrol(world, "Eve", PHONES[0], checkin="19:30")
    due = datetime(2026, 11, 30, 19, 30, tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)
    world.now = due + timedelta(minutes=1)
    request = ProbeRequest(client.client_id, "2026-11-30", due.isoformat().replace("+00:00", "Z"))
    # When it is sent
    assert world.sender.send_all({"m0": request}).outcomes["m0"]["outcome"] == "sent"
    # Then Twilio may hold it until 21:00 local at the latest, not for the 3-hour limit
    assert world.sms.valid_for == [timedelta(hours=1, minutes=29)]


def test_a_request_delivered_after_its_last_moment_is_skipped_and_nothing_is_sent(world, batch, metrics):
    # Given the 09:00 requests redelivered at 12:05, past the 3-hour limit (within sending hours)
    world.now = DUE + timedelta(hours=3, minutes=5)
    # When they are taken
    result = world.sender.send_all(batch)
    # Then none is sent, each is counted as stale, and the day is not retried
    assert world.sms.sent == [] and {o["outcome"] for o in result.outcomes.values()} == {"stale"}
    assert metrics.values("ProbesSkippedStale") == [1] * 10 and result.failed == []


def test_a_slow_provider_stops_the_batch_before_the_timeout_and_the_sent_ones_are_recorded(world, batch):
    # Given Twilio so slow that after four sends less than one more send and the record write is left
    clock = iter([60.0, 50.0, 40.0, 30.0] + [14.0] * 10)
    # When the batch is sent with the invocation's remaining time
    result = world.sender.send_all(batch, seconds_left=lambda: next(clock))
    # Then four went out and are recorded now; the other six were never claimed and go back to SQS
    assert len(world.sms.sent) == 4 and len(probes_recorded(world)) == 4
    assert result.failed == ["m4", "m5", "m6", "m7", "m8", "m9"]
    assert all(world.clients.get(batch[m].client_id).last_probe_date is None for m in result.failed)
    # When SQS redelivers them with time to spare, each client has had exactly one probe
    world.sender.send_all({m: batch[m] for m in result.failed})
    assert sorted(to for to, _ in world.sms.sent) == sorted(PHONES)


def test_a_welcome_may_not_wait_in_twilios_queue_past_the_last_moment_either(world):
    # Given a client enrolled without consent on file, due at 20:30 New York and taken at 20:31
    coach(world, "c1")
    client = enrol(world, "Wes", PHONES[0], checkin="20:30", consent=False)
    due = datetime(2026, 11, 30, 20, 30, tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)
    world.now = due + timedelta(minutes=1)
    request = ProbeRequest(client.client_id, "2026-11-30", due.isoformat().replace("+00:00", "Z"))
    sms_before = len(world.sms.sent)
    # When the welcome goes
    world.sender.send_all({"m0": request})
    # Then Twilio may hold it until 21:00 local at the latest
    assert len(world.sms.sent) == sms_before + 1 and world.sms.valid_for[-1] == timedelta(minutes=29)
