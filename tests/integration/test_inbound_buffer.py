"""Issue 8 §3 end to end: the real ingest and drain functions, on the template's queue, through a table fault."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from moodline.adapters.dynamodb import MessageRow
from tests.integration.roster import add_coach_with_pager, enrol

MONDAY = datetime(2026, 11, 30, tzinfo=UTC)
OUR_NUMBER = "+15005550006"


def test_a_crisis_reply_during_a_messages_table_fault_is_answered_then_stored_by_the_drain(stack, monkeypatch):
    # Given an enrolled client, and the messages table refusing writes in the webhook
    add_coach_with_pager(stack, "c1")
    ben = enrol(stack, name="Ben", phone="+15550100002", coach="c1", now=MONDAY)
    services = stack.runtime.functions["IngestSmsFunction"].module.SERVICES

    def write_fails(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("DynamoDB unavailable")

    monkeypatch.setattr(services.messages, "record_inbound", write_fails)

    # When Ben texts crisis language
    status, twiml = stack.twilio.post_inbound(stack.inbound_url, to=OUR_NUMBER, from_="+15550100002",
                                              body="i want to kill myself")

    # Then Twilio gets a 200 with the crisis resources, though nothing could be stored yet
    assert status == 200 and "988" in twiml
    assert list(MessageRow.query(ben.client_id)) == []

    # When the table recovers and the buffer queue is drained by DrainInboundFunction
    monkeypatch.undo()
    stack.settle()

    # Then the reply is stored once, as a crisis reply
    [reply] = list(MessageRow.query(ben.client_id))
    assert (reply.body, reply.reply_sent) == ("i want to kill myself", "crisis")


def test_a_placeholder_webhook_secret_fails_closed_with_503(stack):
    import json

    import boto3

    from moodline_local.template import REGION

    # Given the Twilio secret still holding the template's generated placeholder
    services = stack.runtime.functions["IngestSmsFunction"].module.SERVICES
    boto3.client("secretsmanager", region_name=REGION).put_secret_value(
        SecretId=services.settings.twilio_secret_id,
        SecretString=json.dumps({"account_sid": "unset", "auth_token": "GHJKLMNPQRSTUVWXYZghjklmnpqrstuvwxyzGHJK"}))
    from aws_lambda_powertools.utilities.parameters import base as parameters_base

    parameters_base.DEFAULT_PROVIDERS.clear()  # type: ignore[attr-defined]  # the 5-minute cache, expired

    # When a request signed with the stand-in's token arrives
    status, _ = stack.twilio.post_inbound(stack.inbound_url, to=OUR_NUMBER, from_="+15550100001", body="7")

    # Then the webhook refuses to trust anything: 503
    assert status == 503


def test_an_opt_out_callback_that_outruns_the_probe_record_stops_the_client_once_the_record_lands(stack,
                                                                                                  monkeypatch):
    import boto3
    import moto.sqs.models

    from moodline.adapters.dynamodb import DynamoClients
    from moodline.vocabulary import ClientStatus
    from moodline_local.template import REGION

    # Given a probe sent to Ana whose batched record has not been written yet
    add_coach_with_pager(stack, "c1")
    ana = enrol(stack, name="Ana", phone="+15550100001", coach="c1", now=MONDAY)
    messages = stack.runtime.functions["SendProbeFunction"].module.SERVICES.messages
    write, held = messages.record_many, []
    monkeypatch.setattr(messages, "record_many", lambda *args, **kwargs: held.append((args, kwargs)) or [])
    stack.fire_schedules(MONDAY.replace(hour=14))
    stack.settle()
    assert held and list(MessageRow.query(ana.client_id)) == []

    # When the carrier reports it undelivered because the number opted out (21610), before the record
    stack.twilio.flush_status_callbacks("undelivered", error_code=21610)

    # Then both callbacks ("sent", then "undelivered") were answered and buffered, delayed: not drained yet
    sqs = boto3.client("sqs", region_name=REGION)
    buffer_url = stack.runtime.functions["IngestSmsFunction"].module.SERVICES.settings.inbound_buffer_url
    delayed = sqs.get_queue_attributes(QueueUrl=buffer_url, AttributeNames=["ApproximateNumberOfMessagesDelayed"])
    assert delayed["Attributes"]["ApproximateNumberOfMessagesDelayed"] == "2"
    stack.settle()
    assert DynamoClients().get(ana.client_id).status == ClientStatus.ACTIVE

    # When the batch's record is written, and the delay has passed
    for args, kwargs in held:
        assert write(*args, **kwargs) == []
    real_now = moto.sqs.models.unix_time_millis
    monkeypatch.setattr(moto.sqs.models, "unix_time_millis", lambda *a: real_now(*a) + 31_000)
    stack.settle()

    # Then DrainInboundFunction applied it: Ana is stopped, her probe undelivered, and nothing went to the DLQ
    refreshed = DynamoClients().get(ana.client_id)
    assert refreshed.status == ClientStatus.STOPPED and refreshed.next_probe_at is None
    [probe] = list(MessageRow.query(ana.client_id))
    assert probe.status == "undelivered"
    dlq_url = sqs.get_queue_url(QueueName="InboundBufferDLQ")["QueueUrl"]  # local queues take their logical ids
    attributes = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"


# --------------------------------------------------------------------------------------- concurrent duplicates


@contextmanager
def cancelled_inbound_write(codes: tuple[str, str]) -> Iterator[list[str]]:
    """The next TransactWriteItems is cancelled as DynamoDB cancels it, with one reason per item.

    ``codes``: the message item's and the SID claim's reason ("None": no objection). Raised as
    botocore raises DynamoDB's answer (the modeled TransactionCanceledException with its
    CancellationReasons), so PynamoDB builds its real TransactWriteError from it. Yields the
    operations cancelled.
    """
    from botocore.client import BaseClient

    cancelled: list[str] = []
    original = BaseClient._make_api_call  # type: ignore[attr-defined]

    def make_api_call(self: Any, operation: str, params: Any) -> Any:
        if operation != "TransactWriteItems" or cancelled:
            return original(self, operation, params)
        cancelled.append(operation)
        reasons = [{"Code": code} if code == "None" else {"Code": code, "Message": _REASON_MESSAGES[code]}
                   for code in codes]
        raise self.exceptions.TransactionCanceledException({
            "Error": {"Code": "TransactionCanceledException",
                      "Message": f"Transaction cancelled, please refer cancellation reasons for specific "
                                 f"reasons [{', '.join(codes)}]"},
            "CancellationReasons": reasons}, operation)

    BaseClient._make_api_call = make_api_call  # type: ignore[attr-defined]
    try:
        yield cancelled
    finally:
        BaseClient._make_api_call = original  # type: ignore[attr-defined]


_REASON_MESSAGES = {
    "TransactionConflict": "Transaction is ongoing for the item",
    "ConditionalCheckFailed": "The conditional request failed",
    "ThrottlingError": "Throughput exceeds the current capacity for one or more global secondary indexes.",
}


def _buffered(stack: Any) -> int:
    import boto3

    from moodline_local.template import REGION

    attributes = boto3.client("sqs", region_name=REGION).get_queue_attributes(
        QueueUrl=stack.resource("InboundBufferQueue").url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_a_concurrent_duplicate_of_a_crisis_reply_gets_crisis_resources_and_no_second_page(stack, clock):
    # Given Ben's crisis reply stored by its first delivery, and his coach paged for it by scoring
    casey = add_coach_with_pager(stack, "c1")
    ben = enrol(stack, name="Ben", phone="+15550100002", coach="c1", now=MONDAY)
    sid = "SM" + "d" * 32
    clock.now = MONDAY.replace(hour=14, minute=5)
    first = stack.twilio.post_inbound(stack.inbound_url, to=OUR_NUMBER, from_="+15550100002",
                                      body="i want to kill myself", message_sid=sid)
    stack.settle()
    pages = casey.pages()
    assert first[0] == 200 and "988" in first[1] and pages

    # When Twilio's retry of it arrives while that write is in flight: DynamoDB cancels the retry's
    # TransactWriteItems with TransactionConflict on the SID's claim, the message item unobjected
    clock.now = MONDAY.replace(hour=14, minute=5, second=1)
    with cancelled_inbound_write(("None", "TransactionConflict")) as cancelled:
        again = stack.twilio.post_inbound(stack.inbound_url, to=OUR_NUMBER, from_="+15550100002",
                                          body="i want to kill myself", message_sid=sid)
    assert cancelled == ["TransactWriteItems"]

    # Then the retry gets the crisis resources again, as a retry would, and nothing else: nothing
    # buffered, no "could not be stored yet" page to the team, the reply stored once
    assert again == first
    assert _buffered(stack) == 0
    stack.settle()
    assert casey.pages() == []
    [reply] = list(MessageRow.query(ben.client_id))
    assert (reply.sid, reply.reply_sent) == (sid, "crisis")


def test_a_conflict_on_the_message_item_is_buffered_and_stored_by_the_drain(stack, clock):
    # Given an enrolled client
    casey = add_coach_with_pager(stack, "c1")
    ben = enrol(stack, name="Ben", phone="+15550100002", coach="c1", now=MONDAY)
    sid = "SM" + "e" * 32
    clock.now = MONDAY.replace(hour=14, minute=5)

    # When his crisis reply's write is cancelled with TransactionConflict on the message item only
    with cancelled_inbound_write(("TransactionConflict", "None")):
        status, twiml = stack.twilio.post_inbound(stack.inbound_url, to=OUR_NUMBER, from_="+15550100002",
                                                  body="i want to kill myself", message_sid=sid)

    # Then it is a fault, not a duplicate: answered with the crisis resources, buffered, the team paged
    assert status == 200 and "988" in twiml
    assert _buffered(stack) == 1 and list(MessageRow.query(ben.client_id)) == []
    [page] = casey.pages()
    assert page["MessageAttributes"]["coach_id"]["Value"] == "team" and sid in page["Message"]

    # When the buffer drains, the reply is stored once, as a crisis
    stack.settle()
    [reply] = list(MessageRow.query(ben.client_id))
    assert (reply.sid, reply.reply_sent) == (sid, "crisis")


@pytest.mark.parametrize(("codes", "in_flight"), [
    (("None", "TransactionConflict"), True),  # only the claim, held by a write in progress
    (("TransactionConflict", "None"), False),  # the message item
    (("TransactionConflict", "TransactionConflict"), False),
    (("ConditionalCheckFailed", "TransactionConflict"), False),
    (("None", "ThrottlingError"), False),
    (("ThrottlingError", "None"), False),
])
def test_only_a_conflict_on_the_sid_claim_alone_is_a_delivery_in_flight(stack, codes, in_flight):
    from pynamodb.exceptions import TransactWriteError

    from moodline.domain import Message, message_key
    from moodline.ports import InboundSidInFlight
    from moodline.vocabulary import Direction, MessageKind

    messages = stack.runtime.functions["IngestSmsFunction"].module.SERVICES.messages
    sid = "SM" + "f" * 32
    message = Message(client_id="client-1", at=message_key(MONDAY, sid), sid=sid, direction=Direction.INBOUND,
                      kind=MessageKind.REPLY, local_date="2026-11-30", body="7", reply_sent="ack")
    with cancelled_inbound_write(codes), pytest.raises(InboundSidInFlight if in_flight else TransactWriteError):
        messages.record_inbound(message, retention_days=400, sid_kept=timedelta(days=15))
    # Nothing was written either way; the same write goes through once the conflict is over
    assert messages.record_inbound(message, retention_days=400, sid_kept=timedelta(days=15)) is None
