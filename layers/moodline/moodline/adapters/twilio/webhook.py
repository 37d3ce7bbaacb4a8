"""Twilio webhooks behind API Gateway: the signature check, the form parsed into domain values, TwiML out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twilio.request_validator import RequestValidator  # ~30 ms, unlike twilio.rest (~120 ms)
from twilio.twiml.messaging_response import MessagingResponse

from moodline.adapters.twilio.codes import rank_of, refusal_of, status_of
from moodline.domain import DeliveryReport, InboundAnswer, InboundSms
from moodline.events import BadEvent, form_of, request_url


class BadWebhook(BadEvent):
    """A request that is not a well-formed Twilio webhook: answered 4xx, never 5xx (Twilio would retry)."""


class InvalidSignature(BadWebhook):
    """The request is not signed by Twilio for the URL it was sent to: answered 403."""


def parse_inbound(form: Mapping[str, str]) -> InboundSms:
    """Validate the fields of an inbound-message webhook."""
    sid = form.get("MessageSid") or form.get("SmsMessageSid") or ""
    if not sid.startswith(("SM", "MM")) or not form.get("From"):
        raise BadWebhook("not an inbound message webhook (MessageSid and From are required)")
    return InboundSms(sid, form.get("AccountSid", ""), form["From"], form.get("To", ""), form.get("Body", ""))


def parse_status(form: Mapping[str, str]) -> DeliveryReport:
    """Validate a status callback, and rank and classify it in Moodline's terms."""
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    raw_status = (form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
    if not sid or not raw_status:
        raise BadWebhook("not a status callback (MessageSid and MessageStatus are required)")
    raw_code = form.get("ErrorCode") or ""
    code = int(raw_code) if raw_code.isdigit() else None
    status = status_of(raw_status)
    refusal = refusal_of(code) if code is not None and status is not None and status.failed else None
    return DeliveryReport(sid, status, rank_of(status), code,
                          refusal if refusal is not None and refusal.about_recipient else None)


def verified_form(event: Mapping[str, Any], auth_token: str, public_base_url: str = "") -> dict[str, str]:
    """The form of a webhook request, once its ``X-Twilio-Signature`` is checked against the URL called."""
    form = form_of(event)
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    if not signature_is_valid(auth_token, request_url(event, public_base_url), form, headers.get("x-twilio-signature")):
        raise InvalidSignature("invalid or missing Twilio signature")
    return form


def signature_is_valid(auth_token: str, url: str, form: Mapping[str, str], signature: str | None) -> bool:
    """Twilio's own check (HMAC-SHA1 over URL + sorted params, constant-time compare)."""
    if not signature:
        return False
    return bool(RequestValidator(auth_token).validate(url, dict(form), signature))


class TwimlRenderer:
    """:class:`moodline.ports.AnswerRenderer` for Twilio: the answer as a TwiML ``<Response>``."""

    content_type = "application/xml"

    def render(self, answer: InboundAnswer) -> str:
        reply = MessagingResponse()
        if answer.text:
            reply.message(answer.text)
        return str(reply)
