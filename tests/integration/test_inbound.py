"""The Twilio webhooks: signatures, storing replies, keywords, strangers and malformed requests."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator

from moodline.adapters.dynamodb import AlertRow, DynamoClients, MessageRow
from moodline.vocabulary import ClientStatus
from moodline_local.runtime import build_api_event
from tests.conftest import load_event
from tests.integration.roster import add_coach_with_pager, enrol

MONDAY = datetime(2026, 11, 30, tzinfo=UTC)
OUR_NUMBER = "+15005550006"


def _stored(client_id: str) -> list[MessageRow]:
    return list(MessageRow.query(client_id))


def test_inbound_event_from_events_folder_is_stored_and_answered_in_twiml(stack):
    # Given the API Gateway event in events/ from an enrolled sender, signed for the URL this stack serves
    add_coach_with_pager(stack, "c1")
    client = enrol(stack, name="Ana", phone="+15550100001", coach="c1", now=MONDAY)
    event = load_event("twilio_inbound.json")
    params = dict(parse_qsl(event["body"], keep_blank_values=True))
    event["headers"]["X-Twilio-Signature"] = stack.twilio.signature_for(stack.inbound_url, params)

    # When the ingest function handles it
    response = stack.runtime.invoke("IngestSmsFunction", event)

    # Then it answers TwiML and the reply is stored under Twilio's SID
    assert response["statusCode"] == 200
    assert response["body"].startswith('<?xml version="1.0" encoding="UTF-8"?><Response><Message>Thanks, Ana')
    [reply] = _stored(client.client_id)
    assert (reply.sid, reply.direction, reply.kind, reply.body) == (
        "SM0a1b2c3d4e5f60718293a4b5c6d7e8f9", "inbound", "reply", "7 pretty good day")


def test_forged_or_missing_signature_gets_403_and_stores_nothing(stack):
    # Given an enrolled client
    add_coach_with_pager(stack, "c1")
    client = enrol(stack, name="Ana", phone="+15550100001", coach="c1", now=MONDAY)
    params = {"MessageSid": "SM" + "1" * 32, "AccountSid": "AC" + "0" * 32, "From": "+15550100001",
              "To": OUR_NUMBER, "Body": "7"}

    # When a request arrives unsigned, signed with the wrong token, and signed for another URL
    unsigned = stack.twilio.post_signed(stack.inbound_url, params, sign=False)
    forged = stack.twilio.post_signed(
        stack.inbound_url, params,
        signature=RequestValidator("wrong-token").compute_signature(stack.inbound_url, params))
    other_url = stack.twilio.post_signed(
        stack.inbound_url, params, signature=stack.twilio.signature_for(stack.inbound_url + "x", params))

    # Then each gets 403 and nothing is stored
    assert [unsigned[0], forged[0], other_url[0]] == [403, 403, 403]
    assert _stored(client.client_id) == []


def test_a_redelivered_webhook_stores_the_reply_once(stack, clock):
    # Given an enrolled client and one inbound message
    add_coach_with_pager(stack, "c1")
    client = enrol(stack, name="Ana", phone="+15550100001", coach="c1", now=MONDAY)
    clock.now = MONDAY.replace(hour=14, minute=5)

    # When Twilio delivers the same MessageSid twice (a timeout retry), seconds apart
    first = stack.twilio.post_inbound(stack.inbound_url, to=OUR_NUMBER, from_="+15550100001", body="6",
                                      message_sid="SM" + "a" * 32)
    clock.now = MONDAY.replace(hour=14, minute=5, second=20)
    second = stack.twilio.post_inbound(stack.inbound_url, to=OUR_NUMBER, from_="+15550100001", body="6",
                                       message_sid="SM" + "a" * 32)

    # Then both get the same answer and one reply is stored
    assert first == second and first[0] == 200
    assert len(_stored(client.client_id)) == 1


def test_unknown_number_gets_a_polite_answer_and_nothing_is_stored(stack):
    # Given no client with this number
    add_coach_with_pager(stack, "c1")

    # When a stranger texts
    status, body = stack.twilio.post_inbound(stack.inbound_url, to=OUR_NUMBER, from_="+15550199999", body="hi?")

    # Then they are told politely, with where to get help, and no message is stored anywhere
    assert status == 200 and "isn't enrolled" in body and "988" in body
    assert list(MessageRow.scan()) == []


def test_help_keyword_answers_help_and_is_not_scored(stack):
    # Given an enrolled client
    add_coach_with_pager(stack, "c1")
    client = enrol(stack, name="Ana", phone="+15550100001", coach="c1", now=MONDAY)

    # When they text HELP
    status, body = stack.twilio.post_inbound(stack.inbound_url, to=OUR_NUMBER, from_="+15550100001", body="help")
    stack.settle()

    # Then they get the help text with their country's crisis line, and the message is stored as sent,
    # as a keyword (not a mood reply: a coach reads it, scoring does not)
    assert status == 200 and "Reply with your mood 1-10" in body and "988" in body
    [message] = _stored(client.client_id)
    assert (message.kind, message.body, message.level) == ("keyword", "help", None)


def test_malformed_webhooks_get_4xx_never_5xx(stack):
    # Given requests that are signed but are not Twilio webhooks, and an unroutable path
    no_sid = {"From": "+15550100001", "Body": "7"}
    bad_status = {"MessageSid": "SM" + "2" * 32}

    # When they arrive
    inbound = stack.twilio.post_signed(stack.inbound_url, no_sid)
    status = stack.twilio.post_signed(f"{stack.base_url}/twilio/status", bad_status)
    event = build_api_event("POST", "/twilio/inbound", "/twilio/inbound", headers={}, body="%%%", host="127.0.0.1",
                            at=MONDAY)
    garbage = stack.runtime.invoke("IngestSmsFunction", event)

    # Then each gets a 4xx with no stack trace, and nothing is stored
    assert inbound[0] == 400 and status[0] == 400 and garbage["statusCode"] == 403
    assert list(MessageRow.scan()) == []


def test_status_callbacks_update_the_outbound_message_and_never_move_it_backwards(stack, clock):
    # Given a probe sent to a client
    add_coach_with_pager(stack, "c1")
    client = enrol(stack, name="Ana", phone="+15550100001", coach="c1", now=MONDAY)
    stack.fire_schedules(MONDAY.replace(hour=14))
    stack.settle()

    # When Twilio reports sent then delivered, and then a late 'sent' arrives out of order
    stack.twilio.flush_status_callbacks("delivered")
    [probe] = [m for m in _stored(client.client_id) if m.kind == "probe"]
    late = {"MessageSid": probe.sid, "MessageStatus": "sent", "AccountSid": "AC" + "0" * 31 + "1"}
    late_status, _ = stack.twilio.post_signed(f"{stack.base_url}/twilio/status", late)

    # Then the message is delivered, and stays delivered
    assert late_status == 200
    [probe] = [m for m in _stored(client.client_id) if m.kind == "probe"]
    assert probe.status == "delivered"


def test_an_undelivered_opt_out_marks_the_client_stopped(stack):
    # Given a probe sent to a client
    add_coach_with_pager(stack, "c1")
    client = enrol(stack, name="Ana", phone="+15550100001", coach="c1", now=MONDAY)
    stack.fire_schedules(MONDAY.replace(hour=14))
    stack.settle()

    # When the carrier reports it undelivered because the number opted out (21610)
    stack.twilio.flush_status_callbacks("undelivered", error_code=21610)

    # Then the client is stopped and out of the due index
    refreshed = DynamoClients().get(client.client_id)
    assert refreshed.status == ClientStatus.STOPPED and refreshed.next_probe_at is None




def test_crisis_language_from_an_unknown_number_pages_the_team_and_stores_nothing(stack):
    # Given two coaches and no client with this number
    casey, jordan = add_coach_with_pager(stack, "c1"), add_coach_with_pager(stack, "c2")

    # When a stranger texts crisis language (twice: a Twilio retry of the same message)
    first = stack.twilio.post_inbound(stack.inbound_url, to=OUR_NUMBER, from_="+15550199999",
                                      body="i dont want to be alive anymore", message_sid="SM" + "c" * 32)
    again = stack.twilio.post_inbound(stack.inbound_url, to=OUR_NUMBER, from_="+15550199999",
                                      body="i dont want to be alive anymore", message_sid="SM" + "c" * 32)

    # Then they get crisis resources, the whole team is paged once with only Twilio's SID, and nothing is stored
    assert first == again and "988" in first[1]
    [page] = casey.pages()
    assert len(jordan.pages()) == 1
    assert page["MessageAttributes"]["coach_id"]["Value"] == "team"
    assert "SM" + "c" * 32 in page["Message"] and "0199999" not in page["Message"]
    assert "alive" not in page["Message"]
    assert list(MessageRow.scan()) == [] and list(AlertRow.scan()) == []
