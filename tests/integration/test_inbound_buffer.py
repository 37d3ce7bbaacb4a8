"""Issue 8 §3 end to end: the real ingest and drain functions, on the template's queue, through a table fault."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

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
