"""Issue 8 §3: a short DynamoDB or Secrets Manager fault must not lose a reply, least of all a crisis one.

Each fault is injected into the webhook's path on fakes; the reply is buffered, the crisis answer and
the team page still go out, and once the fault clears the drain stores every reply exactly once.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from moodline.domain import InboundSms
from moodline.events import form_of
from moodline.inbound import InboundSmsService
from moodline.inbound_buffer import DeliveryStatusCallbacks, InboundDrain, InboundWebhook
from moodline.ports import InboundSidInFlight
from moodline.triage.engine import assess_reply
from moodline.vocabulary import TEAM, InboundOutcome
from tests.fakes import PHONE_KEY, FakeQueue, World, crisis_text
from tests.usecases.conftest import MONDAY, coach, enrol

_SIDS = itertools.count(1)


class Rejected(ValueError):
    """Stands for the adapter's InvalidSignature / BadWebhook."""


class Faults:
    """Switches for the dependencies a webhook touches after (and before) the signature check."""

    def __init__(self) -> None:
        self.on: set[str] = set()

    def check(self, name: str) -> None:
        if name in self.on:
            raise ConnectionError(f"{name} unavailable")  # what botocore raises on an endpoint fault


class Rig:
    """The webhook's use cases on a World, with every dependency behind a fault switch."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.faults = Faults()
        self.buffer = FakeQueue()
        messages_record = world.messages.record_inbound
        clients_by_phone = world.clients.by_phone

        def record(message: Any, *, retention_days: int, sid_kept: timedelta) -> Any:
            self.faults.check("messages write")
            if "sid claim in flight" in self.faults.on:
                raise InboundSidInFlight(message.sid)  # what the store raises for a conflict on the claim alone
            return messages_record(message, retention_days=retention_days, sid_kept=sid_kept)

        def by_phone(key: str) -> Any:
            self.faults.check("clients read")
            return clients_by_phone(key)

        def phone_key() -> bytes:
            self.faults.check("app secret read")
            return PHONE_KEY

        world.messages.record_inbound = record  # type: ignore[method-assign]
        world.clients.by_phone = by_phone  # type: ignore[method-assign]
        inbound = InboundSmsService(
            clients=world.clients, messages=world.messages, coaches=world.coaches, actions=world.actions,
            claims=world.claims, assess=assess_reply, phone_key=phone_key, crisis_text=crisis_text,
            retention_days=400, shards=world.shards, pager=world.pager)
        self.webhook = InboundWebhook(verify=self.verify, parse=self.parse, receive=inbound.receive,
                                      buffer=self.buffer, pager=world.pager, assess=assess_reply,
                                      crisis_text=crisis_text, rejections=(Rejected,))
        statuses = DeliveryStatusCallbacks(record=world.delivery.record, buffer=self.buffer)
        self.drain = InboundDrain(verify=self.verify, parse=self.parse, receive=inbound.receive,
                                  rejections=(Rejected,), statuses=statuses)

    def verify(self, event: Mapping[str, Any]) -> dict[str, str]:
        self.faults.check("webhook secret read")
        if event.get("headers", {}).get("x-twilio-signature") != "good":
            raise Rejected("bad signature")
        return form_of(event)

    @staticmethod
    def parse(form: Mapping[str, str]) -> InboundSms:
        return InboundSms(form["MessageSid"], "AC1", form["From"], "+15005550006", form["Body"])

    def post(self, sender: str, body: str, *, signature: str = "good", sid: str | None = None) -> tuple[str, Any]:
        sid = sid or f"SM{next(_SIDS):032x}"
        event = {"headers": {"x-twilio-signature": signature},
                 "body": urlencode({"MessageSid": sid, "From": sender, "Body": body})}
        return sid, self.webhook.handle(event, MONDAY + timedelta(minutes=5))

    def drain_all(self) -> list[str]:
        bodies, self.buffer.bodies = self.buffer.bodies, []
        return [self.drain.drain_one(body) for body in bodies]

    def stored(self, client_id: str) -> list[Any]:
        return self.world.messages.between(client_id, MONDAY - timedelta(hours=1), MONDAY + timedelta(hours=1))


@pytest.fixture
def rig(world: World) -> Rig:
    coach(world, "c1")
    return Rig(world)


FAULTS = ["messages write", "clients read", "app secret read", "webhook secret read"]


@pytest.mark.parametrize("fault", FAULTS)
def test_a_crisis_reply_during_a_fault_is_answered_buffered_and_stored_once_it_clears(rig, fault):
    # Given an enrolled client, and a dependency of the webhook failing
    ben = enrol(rig.world, "Ben", "+15550100002")
    rig.faults.on.add(fault)

    # When Ben texts crisis language
    sid, answer = rig.post("+15550100002", "i want to kill myself")

    # Then he gets the crisis resources in the same response, and the reply waits in the buffer
    assert answer.text is not None and "988" in answer.text
    assert len(rig.buffer.bodies) == 1 and not rig.stored(ben.client_id)
    # ...and the team is paged with the MessageSid - unless the signature could not be checked yet
    pages = [p for p in rig.world.pager.pages if sid in p.body]
    if fault == "webhook secret read":
        assert pages == []  # an unverified request pages nobody; the drain checks it first
    else:
        assert [p.coach_id for p in pages] == [TEAM] and "+1555" not in pages[0].body

    # When the fault clears and the buffer drains
    rig.faults.on.clear()
    assert rig.drain_all() == ["stored"]

    # Then the reply is stored exactly once, as a crisis: scoring takes it from there
    [stored] = rig.stored(ben.client_id)
    assert (stored.sid, stored.body, stored.reply_sent) == (sid, "i want to kill myself", InboundOutcome.CRISIS.value)


@pytest.mark.parametrize("fault", FAULTS)
def test_an_ordinary_reply_during_a_fault_is_not_lost_and_pages_nobody(rig, fault):
    ana = enrol(rig.world, "Ana", "+15550100001")
    rig.faults.on.add(fault)
    _, answer = rig.post("+15550100001", "7 good day")
    assert answer.text is None and rig.world.pager.pages == []
    rig.faults.on.clear()
    rig.drain_all()
    assert [m.body for m in rig.stored(ana.client_id)] == ["7 good day"]


def test_a_buffered_reply_already_stored_before_the_fault_is_not_stored_twice(rig):
    # Given a reply stored normally, whose redelivery meets a fault (Twilio's retry after a timeout)
    ana = enrol(rig.world, "Ana", "+15550100001")
    sid, _ = rig.post("+15550100001", "6 ok")
    buffered = rig.webhook.handle  # the same MessageSid again, now with the table failing
    rig.faults.on.add("clients read")
    event = {"headers": {"x-twilio-signature": "good"},
             "body": urlencode({"MessageSid": sid, "From": "+15550100001", "Body": "6 ok"})}
    buffered(event, MONDAY + timedelta(minutes=5))
    rig.faults.on.clear()

    # When the buffer drains
    rig.drain_all()

    # Then there is still one message: the drain goes through the same once-per-MessageSid service
    assert len(rig.stored(ana.client_id)) == 1


def test_a_forgery_buffered_while_the_secret_was_unreadable_is_dropped_by_the_drain(rig):
    ana = enrol(rig.world, "Ana", "+15550100001")
    rig.faults.on.add("webhook secret read")
    rig.post("+15550100001", "i want to kill myself", signature="forged")
    rig.faults.on.clear()
    assert rig.drain_all() == ["rejected"]
    assert rig.stored(ana.client_id) == [] and rig.world.pager.pages == []


def test_a_drain_that_meets_the_fault_again_raises_so_sqs_retries_it(rig):
    enrol(rig.world, "Ana", "+15550100001")
    rig.faults.on.add("messages write")
    rig.post("+15550100001", "5 meh")
    with pytest.raises(ConnectionError):
        rig.drain_all()  # the record stays on the queue (ReportBatchItemFailures), then its DLQ


def test_a_rejection_is_never_buffered(rig):
    with pytest.raises(Rejected):
        rig.post("+15550100001", "hello", signature="forged")
    assert rig.buffer.bodies == []


def test_a_concurrent_duplicate_of_a_crisis_reply_gets_crisis_resources_and_pages_nobody_a_second_time(rig):
    # Given Ben's crisis reply being stored by one delivery while Twilio's retry of it arrives: the
    # retry's write is cancelled on the SID's claim alone, held by the first delivery's write
    ben = enrol(rig.world, "Ben", "+15550100002")
    sid, first = rig.post("+15550100002", "i want to kill myself")
    rig.faults.on.add("sid claim in flight")

    # When the retry is answered
    _, again = rig.post("+15550100002", "i want to kill myself", sid=sid)

    # Then it gets the crisis resources again, as a retry would, and nothing else happens: no
    # "could not be stored yet" page to the team, nothing buffered; the first delivery holds the SID
    assert again.text == first.text and again.text is not None and "988" in again.text
    assert rig.world.pager.pages == [] and rig.buffer.bodies == []
    assert [m.sid for m in rig.stored(ben.client_id)] == [sid]


def test_a_concurrent_duplicate_of_an_ordinary_reply_is_thanked_as_a_retry_and_stores_nothing_twice(rig):
    # Given Ana's retry arriving first, while her original's write holds the claim (not committed yet)
    ana = enrol(rig.world, "Ana", "+15550100001")
    rig.faults.on.add("sid claim in flight")
    sid, again = rig.post("+15550100001", "7 good day")

    # When the original's write completes
    rig.faults.on.clear()
    _, first = rig.post("+15550100001", "7 good day", sid=sid)

    # Then both were thanked alike, nothing was buffered or paged, and the reply is stored once
    assert again.text == first.text and first.text is not None
    assert rig.buffer.bodies == [] and rig.world.pager.pages == []
    assert [m.sid for m in rig.stored(ana.client_id)] == [sid]


def test_a_drained_copy_whose_claim_is_in_flight_is_done_and_the_holder_stores_it(rig):
    # Given a reply buffered during a fault, drained while a Twilio retry of it is being stored
    ana = enrol(rig.world, "Ana", "+15550100001")
    rig.faults.on.add("messages write")
    sid, _ = rig.post("+15550100001", "6 ok")
    rig.faults.on = {"sid claim in flight"}

    # When the drain meets the claim in flight, and the retry's write completes
    assert rig.drain_all() == ["stored"]  # done: not retried, not to the DLQ
    rig.faults.on.clear()
    rig.post("+15550100001", "6 ok", sid=sid)

    # Then the reply is stored once, and nobody was paged for an ordinary reply
    assert [m.sid for m in rig.stored(ana.client_id)] == [sid] and rig.world.pager.pages == []


def test_when_the_buffer_fails_too_the_fault_propagates_for_twilio_to_retry(rig):
    enrol(rig.world, "Ben", "+15550100002")
    rig.faults.on.add("messages write")

    def sqs_down(bodies: Any, **kwargs: Any) -> None:
        raise ConnectionError("sqs unavailable")

    rig.buffer.send_all = sqs_down  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        rig.post("+15550100002", "i want to kill myself")
    # The team was paged before the buffer was tried: the crisis is in human hands either way.
    assert [p.coach_id for p in rig.world.pager.pages] == [TEAM]


def test_fault_audit_no_crisis_reply_is_lost_under_any_injected_fault(rig, capsys):
    # The figure for issue 8: crisis replies lost under each injected fault (must be 0 for each).
    lost: dict[str, int] = {}
    for number, fault in enumerate(FAULTS):
        phone = f"+1555020{number:04d}"
        client = enrol(rig.world, f"Client{number}", phone)
        rig.faults.on = {fault}
        sids = [rig.post(phone, text)[0] for text in ("i want to kill myself", "i'm going to end it tonight")]
        answered = len(rig.buffer.bodies)
        rig.faults.on = set()
        rig.drain_all()
        stored = {m.sid for m in rig.stored(client.client_id)}
        lost[fault] = sum(sid not in stored for sid in sids) + (len(sids) - answered)
    with capsys.disabled():
        print(f"\nfault audit: crisis replies lost per injected fault: {lost}")
    assert all(count == 0 for count in lost.values()), lost
