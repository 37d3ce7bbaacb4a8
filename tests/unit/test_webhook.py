"""The URL Twilio signed, rebuilt from an API Gateway event, and the signature check against it."""

from __future__ import annotations

import base64
from urllib.parse import parse_qsl

import pytest
from twilio.request_validator import RequestValidator

from moodline.adapters.twilio.webhook import BadWebhook, parse_inbound, parse_status, signature_is_valid
from moodline.events import BadEvent, form_of, request_url
from moodline.vocabulary import DeliveryStatus, Refusal
from tests.conftest import load_event

TOKEN = "12345"
STAGE_URL = "https://abc123defg.execute-api.us-east-1.amazonaws.com/Prod/twilio/inbound"


def test_the_signed_url_keeps_the_api_gateway_stage():
    # Given the inbound event as API Gateway delivers it (path without the stage, requestContext.path with it)
    event = load_event("twilio_inbound.json")

    # When the URL Twilio called is rebuilt
    url = request_url(event)

    # Then it includes /Prod, which is what Twilio signed
    assert url == STAGE_URL


def test_a_signature_over_the_stage_url_validates_and_one_without_the_stage_does_not():
    # Given the form of the inbound event and signatures over two URLs
    event = load_event("twilio_inbound.json")
    form = form_of(event)
    validator = RequestValidator(TOKEN)
    good = validator.compute_signature(STAGE_URL, form)
    without_stage = validator.compute_signature(STAGE_URL.replace("/Prod", ""), form)

    # When each is checked against the rebuilt URL
    # Then only the one over the real URL passes, and a missing one fails
    assert signature_is_valid(TOKEN, request_url(event), form, good)
    assert not signature_is_valid(TOKEN, request_url(event), form, without_stage)
    assert not signature_is_valid(TOKEN, request_url(event), form, None)


def test_a_custom_domain_and_the_query_string_are_part_of_the_signed_url():
    # Given a request through a custom domain with a query string
    event = load_event("twilio_inbound.json")
    event["multiValueQueryStringParameters"] = {"tenant": ["north"]}

    # When the URL is rebuilt with PUBLIC_BASE_URL set
    url = request_url(event, "https://sms.practice.example")

    # Then the custom domain replaces the execute-api host and stage, and the query is kept
    assert url == "https://sms.practice.example/twilio/inbound?tenant=north"


def test_a_base64_body_is_decoded_and_a_broken_one_is_a_bad_request():
    # Given a base64-encoded body, and one that is not base64
    event = load_event("twilio_inbound.json")
    encoded = dict(event, body=base64.b64encode(event["body"].encode()).decode(), isBase64Encoded=True)
    broken = dict(event, body="@@@", isBase64Encoded=True)

    # Then the first decodes to the same form, and the second is rejected as bad input
    assert form_of(encoded) == dict(parse_qsl(event["body"], keep_blank_values=True))
    with pytest.raises(BadEvent):  # answered 400 by the webhook, like a BadWebhook
        form_of(broken)


@pytest.mark.parametrize("form", [{}, {"From": "+15550100001"}, {"MessageSid": "XX123", "From": "+1555"}])
def test_inbound_without_a_message_sid_or_sender_is_a_bad_webhook(form):
    with pytest.raises(BadWebhook):
        parse_inbound(form)


def test_status_callback_fields_are_read_with_the_error_code():
    update = parse_status({"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "30006"})
    assert (update.message_sid, update.status, update.error_code) == ("SM1", DeliveryStatus.UNDELIVERED, 30006)
    assert update.refusal is Refusal.UNREACHABLE  # 30006: landline or unreachable carrier
    with pytest.raises(BadWebhook):
        parse_status({"MessageSid": "SM1"})
