"""One contract, two implementations: the in-memory fakes behave like the DynamoDB repositories (on moto).

The use-case tests trust the fakes; this is why they may.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from moodline import alerting
from moodline.alerting import EscalationPolicy
from moodline.domain import Client, Message, ReviewMark, message_key
from moodline.ports import AlertConflict
from moodline.triage.model import Level
from moodline.vocabulary import ClientStatus, DeliveryStatus, Direction, MessageKind, Outcome, Rota, Via
from tests.fakes import FakeAlerts, FakeClaims, FakeClients, FakeMessages, FakeOnCall, FakeReviews
from tests.moto_tables import model_tables

NOW = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)


@dataclass
class Repositories:
    clients: Any
    messages: Any
    alerts: Any
    on_call: Any
    claims: Any
    reviews: Any = None


@pytest.fixture(params=["fakes", "dynamodb"])
def repos(request: pytest.FixtureRequest) -> Iterator[Repositories]:
    if request.param == "fakes":
        clients, messages = FakeClients(), FakeMessages()
        yield Repositories(clients, messages, FakeAlerts(clients), FakeOnCall(), FakeClaims(), FakeReviews(messages))
        return
    from moodline.adapters import dynamodb

    with model_tables("contract", dynamodb.ClientRow, dynamodb.MessageRow, dynamodb.AlertRow, dynamodb.ShiftRow,
                      dynamodb.CoachRow, dynamodb.ClaimRow, dynamodb.ReviewRow):
        yield Repositories(dynamodb.DynamoClients(), dynamodb.DynamoMessages(), dynamodb.DynamoAlerts(),
                           dynamodb.DynamoOnCall(), dynamodb.DynamoClaims(), dynamodb.DynamoReviews())


def _client(client_id: str = "cl_1", **changes: Any) -> Client:
    base = Client(client_id, "c1", "Ana", "+15550100001", "hash-1", "America/New_York", "09:00",
                  "2026-11-29T00:00:00.000Z", consented_at="2026-11-29T00:00:00.000Z",
                  next_probe_at="2026-11-30T14:00:00.000Z", due_shard=1)
    return replace(base, **changes)


def _outbound(client_id: str = "cl_1", sid: str = "SM1") -> Message:
    return Message(client_id, message_key(NOW, sid), sid, Direction.OUTBOUND, MessageKind.PROBE, "2026-11-30",
                   status=DeliveryStatus.QUEUED, status_rank=1)


def test_a_client_id_is_taken_once_and_found_by_phone_and_coach(repos):
    assert repos.clients.add(_client())
    assert not repos.clients.add(_client(display_name="Other"))
    assert repos.clients.get("cl_1").display_name == "Ana"
    assert repos.clients.by_phone("hash-1").client_id == "cl_1"
    assert [c.client_id for c in repos.clients.of_coach("c1")] == ["cl_1"]


def test_the_next_probe_moves_only_from_the_value_read(repos):
    repos.clients.add(_client())
    read = repos.clients.get("cl_1")
    assert [c.client_id for c in repos.clients.due(1, NOW + timedelta(hours=2))] == ["cl_1"]
    assert repos.clients.schedule_next_probe(read, NOW + timedelta(days=1), shards=4)
    assert not repos.clients.schedule_next_probe(read, NOW + timedelta(days=2), shards=4)  # a stale read loses
    assert repos.clients.due(1, NOW + timedelta(hours=2)) == []


def test_a_probe_day_is_claimed_once_by_a_probing_client_and_a_release_gives_it_back(repos):
    # Given a probing client who was last probed yesterday
    repos.clients.add(_client(last_probe_date="2026-11-29"))

    # When today's probe is claimed twice
    first = repos.clients.claim_probe("cl_1", "2026-11-30")
    second = repos.clients.claim_probe("cl_1", "2026-11-30")

    # Then the first claim returns the client as it was, and the second is refused
    assert first is not None and first.display_name == "Ana" and first.last_probe_date == "2026-11-29"
    assert second is None and repos.clients.get("cl_1").last_probe_date == "2026-11-30"
    # And a release (a retryable failure) restores yesterday, so a redelivery may claim again
    repos.clients.release_probe(first, "2026-11-30")
    assert repos.clients.get("cl_1").last_probe_date == "2026-11-29"
    assert repos.clients.claim_probe("cl_1", "2026-11-30") is not None


def test_no_probe_is_claimed_for_a_stopped_an_unconsented_or_a_missing_client(repos):
    repos.clients.add(_client("cl_s", status=ClientStatus.STOPPED))
    repos.clients.add(_client("cl_u", consented_at=None))
    assert [repos.clients.claim_probe(c, "2026-11-30") for c in ("cl_s", "cl_u", "cl_missing")] == [None] * 3
    assert repos.clients.get("cl_missing") is None


def test_a_client_awaiting_consent_has_the_day_claimed_once_for_the_welcome(repos):
    # The welcome goes instead of the probe and takes the day, as the probe would (ProbeSender._ask_consent)
    repos.clients.add(_client("cl_p", status=ClientStatus.PENDING_CONSENT, consented_at=None))
    first = repos.clients.claim_probe("cl_p", "2026-11-30")
    assert first is not None and first.status is ClientStatus.PENDING_CONSENT
    assert repos.clients.claim_probe("cl_p", "2026-11-30") is None


def test_a_stopped_client_leaves_the_due_index_and_start_puts_them_back(repos):
    repos.clients.add(_client())
    repos.clients.set_status(repos.clients.get("cl_1"), ClientStatus.STOPPED, now=NOW, shards=4)
    stopped = repos.clients.get("cl_1")
    assert (stopped.status, stopped.next_probe_at, stopped.due_shard) == (ClientStatus.STOPPED, None, None)
    repos.clients.set_status(stopped, ClientStatus.ACTIVE, now=NOW, shards=4)
    assert repos.clients.get("cl_1").next_probe_at == "2026-11-30T14:00:00.000Z"


def test_a_message_is_written_once_and_read_by_key_sid_and_time(repos):
    first = repos.messages.record(_outbound(), retention_days=400)
    repos.messages.record(replace(_outbound(), local_date="2099-01-01"), retention_days=400)
    assert repos.messages.get("cl_1", first.at).local_date == "2026-11-30"
    assert repos.messages.by_sid("SM1").at == first.at
    assert [m.sid for m in repos.messages.between("cl_1", NOW - timedelta(minutes=1), NOW)] == ["SM1"]
    assert first.expires_at == NOW + timedelta(days=400)


def test_a_reply_names_its_alert_once_and_a_missing_one_is_left_alone(repos):
    message = repos.messages.record(_outbound(), retention_days=400)
    repos.messages.link_alert("cl_1", message.at, "al_1")
    repos.messages.link_alert("cl_1", message.at, "al_2")  # a second alert never takes it over
    repos.messages.link_alert("cl_1", "2026-11-30T00:00:00.000Z#SMgone", "al_3")  # erased: no error, no row
    assert repos.messages.get("cl_1", message.at).alert_id == "al_1"
    assert repos.messages.get("cl_1", "2026-11-30T00:00:00.000Z#SMgone") is None


def test_a_verdict_for_a_message_that_is_gone_writes_nothing(repos):
    # Given a reply, stored then erased with its client (scoring raced the erasure, or a redrive came after it)
    reply = repos.messages.record(_reply("cl_1", "SMa", "so tired"), retention_days=400)
    assert repos.messages.delete_of_client("cl_1") == 1
    # When its verdict is saved, then nothing is written: no row of verdicts outlives the erasure
    assert not repos.messages.save_assessment(reply, mood=2.0, level=Level.HIGH, reasons=["r"], alert_id="al_1",
                                              review=True)
    assert repos.messages.get("cl_1", reply.at) is None
    assert repos.messages.between("cl_1", NOW - timedelta(days=1), NOW + timedelta(days=1)) == []
    # And a message that exists takes its verdict
    kept = repos.messages.record(_reply("cl_2", "SMb", "so tired"), retention_days=400)
    assert repos.messages.save_assessment(kept, mood=2.0, level=Level.HIGH, reasons=["r"], alert_id=None)
    assert repos.messages.get("cl_2", kept.at).level is Level.HIGH


def test_a_row_of_verdicts_without_a_message_never_takes_a_clients_messages_down(repos, request):
    if request.node.callspec.params["repos"] == "fakes":
        pytest.skip("a row an older version wrote: DynamoDB only")
    from moodline.adapters.dynamodb import MessageRow

    # Given a reply, and beside it the row an unconditional verdict wrote for a reply erased before it
    kept = repos.messages.record(_reply("cl_1", "SMa", "so tired"), retention_days=400)
    ghost = MessageRow(client_id="cl_1", at=message_key(NOW - timedelta(minutes=5), "SMgone"))
    ghost.update(actions=[MessageRow.level.set("high")])  # an update creates the item it does not find
    # When the client's messages are read (every workspace view of the client), then the reply is there alone
    assert [m.sid for m in repos.messages.between("cl_1", NOW - timedelta(days=1), NOW + timedelta(days=1))] == [
        kept.sid]


def test_a_delivery_status_only_moves_forward(repos):
    message = repos.messages.record(_outbound(), retention_days=400)
    assert repos.messages.advance_delivery_status(message, DeliveryStatus.DELIVERED, 4, None)
    assert not repos.messages.advance_delivery_status(message, DeliveryStatus.SENT, 3, None)
    assert repos.messages.by_sid("SM1").status is DeliveryStatus.DELIVERED


def test_an_episode_is_claimed_once_and_a_stale_alert_write_is_refused(repos):
    # Given a client, and an alert raised for them
    repos.clients.add(_client())
    policy = EscalationPolicy()
    alert = alerting.raise_alert(alert_id="al_1", client=_client(), level=Level.HIGH, rules=["r"],
                                 reply_key="k1", ack_code="12345678", at=NOW, policy=policy)
    other = replace(alert, alert_id="al_2")

    # Then the episode is claimed once, and the client points at it
    assert repos.alerts.open_episode(alert)
    assert not repos.alerts.open_episode(other)
    assert repos.clients.get("cl_1").open_alert_id == "al_1"
    assert [a.alert_id for a in repos.alerts.pending()] == ["al_1"]

    # When an update re-reads and applies, it wins; a change that always meets a newer version gives up
    acked = repos.alerts.update("al_1", lambda a: alerting.acknowledge(a, by="c1", via=Via.SMS, at=NOW))
    assert acked.status == "acknowledged" and repos.alerts.pending() == []
    stale = repos.alerts.get("al_1")
    repos.alerts.update("al_1", lambda a: replace(a, paged_to="c2"))
    save = getattr(repos.alerts, "save", None)
    if save is not None:  # the fake exposes its conditional put; DynamoDB's is PynamoDB's VersionAttribute
        with pytest.raises(AlertConflict):
            save(replace(stale, paged_to="c9"))
    else:
        from pynamodb.exceptions import PutError

        from moodline.adapters.dynamodb import alert_row

        with pytest.raises(PutError):
            alert_row(replace(stale, paged_to="c9")).save()
    assert repos.alerts.get("al_1").paged_to == "c2"

    # And closing the episode frees the client for the next one
    repos.alerts.close_episode(acked)
    assert repos.clients.get("cl_1").open_alert_id is None
    assert [a.alert_id for a in repos.alerts.unresolved()] == ["al_1"]


def test_alerts_are_read_by_id_in_one_batch_leaving_out_ids_not_found(repos):
    # Given two clients with an alert each (what the weekly e-mail reads for a coach's clients)
    policy = EscalationPolicy()
    for n in (1, 2):
        client = _client(f"cl_{n}", phone_hash=f"hash-{n}")
        repos.clients.add(client)
        repos.alerts.open_episode(alerting.raise_alert(
            alert_id=f"al_{n}", client=client, level=Level.HIGH, rules=["r"], reply_key=f"k{n}",
            ack_code=f"1234567{n}", at=NOW, policy=policy))

    # Then both are read at once, an unknown id is left out, a repeated id read once, and none is no read
    found = repos.alerts.get_many(["al_2", "al_1", "al_missing", "al_1"])
    assert sorted((a.alert_id, a.client_id) for a in found) == [("al_1", "cl_1"), ("al_2", "cl_2")]
    assert repos.alerts.get_many([]) == []


def test_the_latest_shift_that_has_started_and_not_ended_is_on_call(repos):
    from moodline.domain import Shift

    repos.on_call.put(Shift(Rota.PRIMARY, "2026-11-23T00:00:00.000Z", "2026-11-30T00:00:00.000Z", "c1"))
    repos.on_call.put(Shift(Rota.PRIMARY, "2026-11-30T00:00:00.000Z", "2026-12-07T00:00:00.000Z", "c2", "c1"))
    assert repos.on_call.shift_at(Rota.PRIMARY, NOW).primary_coach_id == "c2"
    assert repos.on_call.shift_at(Rota.PRIMARY, NOW + timedelta(days=30)) is None
    assert repos.on_call.shift_at(Rota.OVERRIDE, NOW) is None


def test_a_claim_is_held_once_until_released_or_expired(repos):
    # A key is held by one owner; a second claim is refused while the first lives
    assert repos.claims.claim("ack#12345678", "al_1", now=NOW, expires_at=NOW + timedelta(days=30))
    assert not repos.claims.claim("ack#12345678", "al_2", now=NOW)
    assert repos.claims.owner("ack#12345678", now=NOW) == "al_1"
    # Only the owner releases it
    repos.claims.release("ack#12345678", "al_2")
    assert repos.claims.owner("ack#12345678", now=NOW) == "al_1"
    repos.claims.release("ack#12345678", "al_1")
    assert repos.claims.owner("ack#12345678", now=NOW) is None
    # An expired claim (not yet removed by TTL) is free; a claim with no expiry never is
    assert repos.claims.claim("link#x", "c1", now=NOW, expires_at=NOW + timedelta(hours=1))
    assert repos.claims.claim("link#x", "c2", now=NOW + timedelta(hours=2))
    assert repos.claims.claim("phone#h", "coach:c1", now=NOW)
    assert not repos.claims.claim("phone#h", "client:cl_1", now=NOW + timedelta(days=9000))


def test_a_tally_counts_within_its_window_then_starts_again(repos):
    window = timedelta(minutes=15)
    assert [repos.claims.tally("ackfail#c1", now=NOW + timedelta(minutes=m), window=window)
            for m in range(5)] == [1, 2, 3, 4, 5]
    assert repos.claims.count("ackfail#c1", now=NOW + timedelta(minutes=14)) == 5
    assert repos.claims.count("ackfail#c1", now=NOW + timedelta(minutes=16)) == 0
    assert repos.claims.tally("ackfail#c1", now=NOW + timedelta(minutes=16), window=window) == 1


def _raised(repos: Repositories, n: int, at: datetime) -> str:
    client = _client(f"cl_{n}", phone_hash=f"hash-{n}")
    repos.clients.add(client)
    alert = alerting.raise_alert(alert_id=f"al_{n}", client=client, level=Level.HIGH, rules=["r"],
                                 reply_key=f"k{n}", ack_code=f"1234{n:04d}", at=at, policy=EscalationPolicy())
    assert repos.alerts.open_episode(alert)
    return alert.alert_id


def test_unresolved_alerts_are_listed_until_resolved_then_found_by_when_they_were_resolved(repos):
    # Given three alerts: one open, one acknowledged, one resolved a week later (in the next UTC ISO week)
    for n in (1, 2, 3):
        _raised(repos, n, NOW - timedelta(days=10))
    repos.alerts.update("al_2", lambda a: alerting.acknowledge(a, by="c1", via=Via.SMS, at=NOW - timedelta(days=9)))
    resolved_at = NOW - timedelta(days=2)
    repos.alerts.update("al_3", lambda a: alerting.resolve(a, by="c2", outcome=Outcome.FALSE_ALARM, at=resolved_at))

    # Then the open list holds the open and the acknowledged one, whatever the state
    assert sorted(a.alert_id for a in repos.alerts.unresolved()) == ["al_1", "al_2"]
    assert {a.alert_id: a.status.value for a in repos.alerts.unresolved()} == {"al_1": "open", "al_2": "acknowledged"}

    # And the resolved one is found by a span holding its resolve time (across weeks), and only then
    assert [a.alert_id for a in repos.alerts.resolved_between(NOW - timedelta(days=12), NOW)] == ["al_3"]
    assert [a.alert_id for a in repos.alerts.resolved_between(resolved_at, resolved_at + timedelta(seconds=1))
            ] == ["al_3"]
    assert repos.alerts.resolved_between(NOW - timedelta(days=12), resolved_at) == []  # the end is excluded
    assert repos.alerts.resolved_between(resolved_at + timedelta(seconds=1), NOW) == []


def _reply(client_id: str, sid: str, body: str, at: datetime = NOW) -> Message:
    return Message(client_id, message_key(at, sid), sid, Direction.INBOUND, MessageKind.REPLY, "2026-11-30",
                   body=body, reply_sent="ack")


def test_replies_with_words_wait_for_review_until_marked_and_a_flagged_bare_rating_joins_them(repos):
    # Given a reply with words, a bare rating, an outbound probe, and an old reply with words
    worded = repos.messages.record(_reply("cl_1", "SMa", "rough day at work"), retention_days=400)
    bare = repos.messages.record(_reply("cl_2", "SMb", "4"), retention_days=400)
    repos.messages.record(_outbound("cl_1", "SMc"), retention_days=400)
    repos.messages.record(_reply("cl_3", "SMd", "so tired", NOW - timedelta(days=20)), retention_days=400)
    since = NOW - timedelta(days=14)

    # Then only the recent reply with words waits
    assert repos.reviews.waiting(since) == [("cl_1", worded.at)]

    # When triage flags the bare rating for review, it waits too
    repos.messages.save_assessment(bare, mood=4.0, level=Level.LOW, reasons=[], alert_id=None, review=True)
    assert sorted(repos.reviews.waiting(since)) == [("cl_1", worded.at), ("cl_2", bare.at)]
    # And one coach's inbox reads only its clients' (cl_2's coach)
    assert repos.reviews.waiting(since, clients={"cl_2", "cl_9"}) == [("cl_2", bare.at)]

    # When a coach marks the reply with words (twice: the second is refused), it waits no more
    assert repos.reviews.mark(ReviewMark("cl_1", worded.at, "seen_fine", "c1", NOW))
    assert not repos.reviews.mark(ReviewMark("cl_1", worded.at, "follow_up", "c2", NOW))
    assert repos.reviews.waiting(since) == [("cl_2", bare.at)]

    # And a reply scored again after its mark (a redrive) is still left out by the mark
    repos.messages.save_assessment(worded, mood=2.0, level=Level.HIGH, reasons=["r"], alert_id=None, review=True)
    assert repos.reviews.waiting(since) == [("cl_2", bare.at)]
