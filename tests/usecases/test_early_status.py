"""Delivery status callbacks that outrun their message's record, on fakes.

send_probe sends a batch of probes, then records them in one write; a callback in between finds no
message. It is buffered (delayed) and applied by the drain once the record exists, tried a bounded
number of times, and then dropped with a count: never the DLQ.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from moodline import inbound_buffer
from moodline.domain import DeliveryReport, InboundSms, Message, message_key
from moodline.inbound_buffer import STATUS_RETRY_DELAYS, DeliveryStatusCallbacks, InboundDrain
from moodline.probes import ProbeRequest
from moodline.vocabulary import ClientStatus, DeliveryStatus, Direction, MessageKind, Refusal
from tests.fakes import FakeQueue, World
from tests.usecases.conftest import MONDAY, coach, enrol

SID = "SM" + "5" * 32
SENT = DeliveryReport(SID, DeliveryStatus.SENT, 3)
DELIVERED = DeliveryReport(SID, DeliveryStatus.DELIVERED, 4)
OPTED_OUT = DeliveryReport(SID, DeliveryStatus.UNDELIVERED, 4, 21610, Refusal.OPTED_OUT)
UNREACHABLE = DeliveryReport(SID, DeliveryStatus.FAILED, 4, 30005, Refusal.UNREACHABLE)


@dataclass
class Metrics:
    added: list[str] = field(default_factory=list)

    def add_metric(self, *, name: str, unit: str, value: float) -> None:
        self.added.append(name)


class Rig:
    """The webhook's status path and the drain on one World, sharing the inbound buffer."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.buffer = FakeQueue()
        self.callbacks = DeliveryStatusCallbacks(record=world.delivery.record, buffer=self.buffer)

        def never(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("no reply in these tests")

        self.drain = InboundDrain(verify=never, parse=never, receive=never, rejections=(), statuses=self.callbacks)
        self.waited: list[int] = []

    def callback(self, report: DeliveryReport) -> str:
        return self.callbacks.handle(report, MONDAY)

    def drain_once(self) -> list[str]:
        """One pass of the drain over what is on the buffer, each body after its SQS delay."""
        outcomes = []
        for body, delay in self.buffer.take():
            self.waited.append(delay)
            outcomes.append(self.drain.drain_one(body))
        return outcomes

    def record_probe(self, client_id: str) -> None:
        """What send_probe's batched write does for the probe with this SID."""
        self.world.messages.record_many([Message(client_id, message_key(MONDAY, SID), SID, Direction.OUTBOUND,
                                                 MessageKind.PROBE, "2026-11-30", status=DeliveryStatus.QUEUED,
                                                 status_rank=1)], retention_days=400)


@pytest.fixture
def rig(world: World) -> Rig:
    coach(world, "c1")
    return Rig(world)


@pytest.fixture
def metrics(monkeypatch: pytest.MonkeyPatch) -> Metrics:
    recorder = Metrics()
    monkeypatch.setattr(inbound_buffer, "metrics", recorder)
    return recorder


def test_a_callback_before_the_record_is_applied_after_the_record_is_written(rig):
    # Given a probe sent to Ana and not recorded yet
    ana = enrol(rig.world, "Ana", "+15550100001")

    # When Twilio reports it delivered before the batch's write
    outcome = rig.callback(DELIVERED)

    # Then the callback is buffered with the first delay, not dropped
    assert outcome == "deferred"
    [item] = [json.loads(body) for body in rig.buffer.bodies]
    assert (item["kind"], item["attempt"], rig.buffer.delay_of[rig.buffer.bodies[0]]) == ("status", 1,
                                                                                         STATUS_RETRY_DELAYS[0])

    # When the record is written, and the drain receives the callback after its delay
    rig.record_probe(ana.client_id)

    # Then the message is delivered, and nothing is left on the buffer
    assert rig.drain_once() == ["updated"]
    assert rig.world.messages.by_sid(SID).status is DeliveryStatus.DELIVERED and rig.buffer.bodies == []


@pytest.mark.parametrize(("report", "status"), [(OPTED_OUT, ClientStatus.STOPPED),
                                                (UNREACHABLE, ClientStatus.UNREACHABLE)])
def test_a_refusal_about_the_number_before_the_record_changes_the_client_once_the_record_exists(rig, report,
                                                                                                   status):
    # Given a probe to Ana, and its failed callback (a refusal about her number) arriving before the record
    ana = enrol(rig.world, "Ana", "+15550100001")
    assert rig.callback(report) == "deferred"
    assert rig.world.clients.get(ana.client_id).status is ClientStatus.ACTIVE

    # When the record is written and the buffered callback is drained
    rig.record_probe(ana.client_id)
    outcomes = rig.drain_once()

    # Then her status changes, and she leaves the due index
    assert outcomes == [f"client_{status.value}"]
    stored = rig.world.clients.get(ana.client_id)
    assert stored.status is status and stored.next_probe_at is None


def test_a_record_slower_than_the_first_retry_is_found_by_a_later_one_with_a_longer_delay(rig):
    ana = enrol(rig.world, "Ana", "+15550100001")
    rig.callback(OPTED_OUT)
    assert rig.drain_once() == ["deferred"]  # still unknown after 30 s: back on the buffer
    rig.record_probe(ana.client_id)
    assert rig.drain_once() == ["client_stopped"]
    assert rig.waited == [30, 120]


def test_unknown_for_good_is_dropped_after_the_last_attempt_with_a_log_line_and_a_metric_never_the_dlq(
        rig, metrics, caplog):
    # Given a failed callback for a message that never gets recorded (an erased client's, another app's)
    assert rig.callback(UNREACHABLE) == "deferred"

    # When the drain tries it each time it comes back
    outcomes = []
    while rig.buffer.bodies:
        outcomes += rig.drain_once()  # raising here would leave it on the queue, then the alarmed DLQ

    # Then it is tried once per delay, each longer, and then dropped: counted and logged with ids only
    assert outcomes == ["deferred", "deferred", "dropped"]
    assert rig.waited == [30, 120, 600] and all(delay <= 900 for delay in rig.waited)
    assert metrics.added == ["DeliveryStatusDeferred"] * 3 + ["DeliveryStatusDropped"]
    [dropped] = [r for r in caplog.records if r.getMessage() == "delivery status for an unknown message dropped"]
    assert (dropped.message_sid, dropped.attempts) == (SID, 3)  # type: ignore[attr-defined]
    assert "+1555" not in caplog.text


def test_the_attempts_are_bounded_by_the_delays_given(world):
    buffer = FakeQueue()
    callbacks = DeliveryStatusCallbacks(record=world.delivery.record, buffer=buffer, delays=(5,))
    assert callbacks.handle(SENT, MONDAY) == "deferred"
    [(body, delay)] = buffer.take()
    assert delay == 5 and callbacks.retry(json.loads(body)) == "dropped" and buffer.bodies == []


def test_a_late_sent_applied_from_the_buffer_cannot_undo_delivered(rig):
    # Given "sent" outran the record and was buffered, and "delivered" arrived once the record existed
    ana = enrol(rig.world, "Ana", "+15550100001")
    assert rig.callback(SENT) == "deferred"
    rig.record_probe(ana.client_id)
    assert rig.callback(DELIVERED) == "updated"

    # When the buffered "sent" is applied, later
    outcomes = rig.drain_once()

    # Then it changes nothing: the message stays delivered
    assert outcomes == ["stale"]
    assert rig.world.messages.by_sid(SID).status is DeliveryStatus.DELIVERED


def test_the_same_buffered_callback_applied_twice_changes_the_client_once(rig, metrics):
    # SQS delivers at least once: the drain may see one buffered callback twice.
    ana = enrol(rig.world, "Ana", "+15550100001")
    rig.callback(OPTED_OUT)
    rig.record_probe(ana.client_id)
    [body] = rig.buffer.bodies
    assert [rig.drain.drain_one(body), rig.drain.drain_one(body)] == ["client_stopped", "stale"]


def test_a_known_message_is_applied_at_once_and_nothing_is_buffered(rig):
    ana = enrol(rig.world, "Ana", "+15550100001")
    rig.record_probe(ana.client_id)
    assert rig.callback(DELIVERED) == "updated" and rig.buffer.bodies == []


class CallbackDuringTheWrite:
    """send_probe's batched write, with Twilio's callbacks for the batch arriving just before it lands."""

    def __init__(self, rig: Rig, report_for: Any) -> None:
        self._rig, self._report_for = rig, report_for
        self._write = rig.world.messages.record_many
        self.outcomes: list[str] = []

    def __call__(self, messages: Sequence[Message], *, retention_days: int) -> list[Message]:
        self.outcomes += [self._rig.callbacks.handle(self._report_for(m.sid), MONDAY) for m in messages]
        return self._write(messages, retention_days=retention_days)


def test_with_the_real_sender_a_carrier_opt_out_reported_mid_batch_stops_the_client(rig, monkeypatch):
    # Given two clients due, and Twilio reporting the first one's probe undelivered (21610) before the record
    ana, ben = enrol(rig.world, "Ana", "+15550100001"), enrol(rig.world, "Ben", "+15550100002")
    rig.world.scheduler.queue_due_probes(MONDAY + timedelta(hours=1))
    rig.world.now = MONDAY + timedelta(hours=1, minutes=1)
    batch = {f"m{i}": ProbeRequest(**body) for i, body in enumerate(rig.world.queue.drain())}
    first_sid = "SM" + "0" * 32  # the fake SMS provider's first SID

    def report_for(sid: str) -> DeliveryReport:
        if sid == first_sid:
            return DeliveryReport(sid, DeliveryStatus.UNDELIVERED, 4, 21610, Refusal.OPTED_OUT)
        return DeliveryReport(sid, DeliveryStatus.DELIVERED, 4)

    during = CallbackDuringTheWrite(rig, report_for)
    monkeypatch.setattr(rig.world.messages, "record_many", during)

    # When send_probe sends and records the batch, and the drain runs after the delay
    assert rig.world.sender.send_all(batch).failed == []
    assert during.outcomes == ["deferred", "deferred"]
    outcomes = rig.drain_once()

    # Then the opted-out client is stopped, the other's probe is delivered
    assert sorted(outcomes) == ["client_stopped", "updated"]
    stopped = rig.world.messages.by_sid(first_sid).client_id
    other = ben.client_id if stopped == ana.client_id else ana.client_id
    assert rig.world.clients.get(stopped).status is ClientStatus.STOPPED
    assert rig.world.clients.get(other).status is ClientStatus.ACTIVE


def test_a_buffered_reply_still_drains_beside_buffered_statuses(rig):
    # The kinds share one queue: a "status" body never reaches the reply path, and the reverse.
    received: list[InboundSms] = []
    drain = InboundDrain(verify=lambda e: {}, parse=lambda f: None,  # type: ignore[arg-type, return-value]
                         receive=lambda sms, at: received.append(sms), rejections=(), statuses=rig.callbacks)
    sms = InboundSms("SM" + "9" * 32, "AC1", "+15550100001", "+15005550006", "7")
    rig.callback(SENT)
    reply = json.dumps({"kind": "verified", "received_at": "2026-11-30T13:00:00Z", "sms": sms.__dict__})
    assert [drain.drain_one(b) for b in [*rig.buffer.bodies, reply]] == ["deferred", "stored"]
    assert received == [sms]
