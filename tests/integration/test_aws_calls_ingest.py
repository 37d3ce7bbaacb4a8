"""AWS calls per inbound SMS (issue 10: ingest_sms ≤ 3 per ordinary reply), counted on moto.

Counted in a warm container: the webhook's Twilio secret and the app secret (the phone key) are read
once per container and cached, so each test first lets one reply through uncounted. A cold
container adds exactly those two ``secretsmanager:GetSecretValue`` calls, once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from moodline.adapters.dynamodb import MessageRow
from tests.integration.roster import add_coach_with_pager, enrol
from tests.integration.test_aws_calls import counting

MONDAY = datetime(2026, 11, 30, tzinfo=UTC)
OUR_NUMBER = "+15005550006"
# The ordinary path: the sender's client (GSI query, then a consistent read of the row) and one
# TransactWriteItems that stores the reply and claims its MessageSid together.
ORDINARY = {"dynamodb:Query": 1, "dynamodb:GetItem": 1, "dynamodb:TransactWriteItems": 1}


def _text(stack: Any, clock: Any, sender: str, body: str, sid: str, *, at: datetime) -> tuple[int, str]:
    clock.now = at
    return stack.twilio.post_inbound(stack.inbound_url, to=OUR_NUMBER, from_=sender, body=body, message_sid=sid)


def _warm(stack: Any, clock: Any) -> None:
    """A first reply through the container, so the secrets are read and cached before counting."""
    enrol(stack, name="Warm", phone="+15550100099", coach="c1", now=MONDAY)
    status, _ = _text(stack, clock, "+15550100099", "5", "SM" + "0" * 32, at=MONDAY.replace(hour=19))
    assert status == 200


def test_an_ordinary_reply_costs_three_aws_calls_in_a_warm_container(stack, clock):
    # Given an enrolled client and a warm ingest container
    add_coach_with_pager(stack, "c1")
    ana = enrol(stack, name="Ana", phone="+15550100001", coach="c1", now=MONDAY)
    _warm(stack, clock)

    # When she replies to her check-in
    with counting() as calls:
        status, twiml = _text(stack, clock, "+15550100001", "7 walked the dog", "SM" + "a" * 32,
                              at=MONDAY.replace(hour=20))

    # Then she is thanked and the reply is stored, for 3 calls (5 before: two idempotency writes more),
    # none of them to the idempotency table or Secrets Manager
    assert status == 200 and "Thanks, Ana" in twiml
    assert dict(calls) == ORDINARY, calls
    assert [m.body for m in MessageRow.query(ana.client_id)] == ["7 walked the dog"]


def test_a_cold_container_adds_only_the_two_secret_reads(stack, clock):
    add_coach_with_pager(stack, "c1")
    enrol(stack, name="Ana", phone="+15550100001", coach="c1", now=MONDAY)
    with counting() as calls:
        _text(stack, clock, "+15550100001", "7", "SM" + "a" * 32, at=MONDAY.replace(hour=20))
    assert dict(calls) == {**ORDINARY, "secretsmanager:GetSecretValue": 2}, calls


def test_a_twilio_retry_of_the_same_sid_is_stored_once_and_answered_the_same_for_three_calls(stack, clock):
    # Given a reply stored and answered, whose answer Twilio never got (a timeout)
    add_coach_with_pager(stack, "c1")
    ana = enrol(stack, name="Ana", phone="+15550100001", coach="c1", now=MONDAY)
    _warm(stack, clock)
    sid = "SM" + "b" * 32
    first = _text(stack, clock, "+15550100001", "7 walked the dog", sid, at=MONDAY.replace(hour=20))

    # When Twilio retries the same MessageSid a minute later
    with counting() as calls:
        again = _text(stack, clock, "+15550100001", "7 walked the dog", sid,
                      at=MONDAY.replace(hour=20) + timedelta(minutes=1))

    # Then the answer is the same TwiML, the transaction was refused on the SID's claim (its old
    # value says what was answered: no read), and the reply is stored once, and scored once
    assert again == first and "Thanks, Ana" in again[1]
    assert dict(calls) == ORDINARY, calls
    stack.settle()
    [stored] = [m for m in MessageRow.query(ana.client_id) if m.direction == "inbound"]
    assert (stored.sid, stored.reply_sent, stored.level is not None) == (sid, "ack", True)


def test_a_crisis_reply_costs_three_calls_and_its_retry_gets_resources_again_but_pages_nobody_twice(stack, clock):
    # Given an enrolled client whose coach has a pager, and a warm container
    casey = add_coach_with_pager(stack, "c1")
    ben = enrol(stack, name="Ben", phone="+15550100002", coach="c1", now=MONDAY)
    _warm(stack, clock)
    sid = "SM" + "c" * 32

    # When Ben texts crisis language
    with counting() as calls:
        status, twiml = _text(stack, clock, "+15550100002", "i want to kill myself", sid,
                              at=MONDAY.replace(hour=20))

    # Then the webhook answers the crisis resources for the same 3 calls (paging is scoring's, on the stream)
    assert status == 200 and "988" in twiml
    assert dict(calls) == ORDINARY, calls
    stack.settle()
    assert len(casey.pages()) == 1

    # When Twilio retries it
    with counting() as calls:
        again = _text(stack, clock, "+15550100002", "i want to kill myself", sid,
                      at=MONDAY.replace(hour=20) + timedelta(minutes=1))

    # Then the resources go back again (the first answer may never have arrived), nothing is
    # stored twice, and nobody is paged a second time
    assert again == (status, twiml)
    assert dict(calls) == ORDINARY, calls
    stack.settle()
    assert casey.pages() == []
    assert [m.reply_sent for m in MessageRow.query(ben.client_id) if m.direction == "inbound"] == ["crisis"]


def test_each_delivery_stores_with_a_request_token_of_its_own(stack, clock, monkeypatch):
    # Given an enrolled client and every TransactWriteItems request watched
    from botocore.client import BaseClient

    tokens: list[str] = []
    original = BaseClient._make_api_call  # type: ignore[attr-defined]

    def watched(self: Any, operation: str, params: Any) -> Any:
        if operation == "TransactWriteItems":
            tokens.append(params.get("ClientRequestToken", ""))
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", watched)
    add_coach_with_pager(stack, "c1")
    enrol(stack, name="Ana", phone="+15550100001", coach="c1", now=MONDAY)

    # When a reply arrives, and Twilio delivers the same SID again a minute later
    _text(stack, clock, "+15550100001", "7", "SM" + "b" * 32, at=MONDAY.replace(hour=20))
    _text(stack, clock, "+15550100001", "7", "SM" + "b" * 32, at=MONDAY.replace(hour=20, minute=1))

    # Then each delivery's write carried a token (so botocore's own retry of it is idempotent in DynamoDB),
    # and the two deliveries' tokens differ (Twilio's retry is judged by the SID's claim, not swallowed)
    assert len(tokens) == 2 and all(len(token) == 36 for token in tokens) and tokens[0] != tokens[1]
