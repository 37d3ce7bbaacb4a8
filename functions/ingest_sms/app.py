"""Lambda behind API Gateway: Twilio's inbound-SMS and delivery-status webhooks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moodline.adapters.idempotency import register_lambda_context
from moodline.adapters.twilio.webhook import (
    BadWebhook,
    InvalidSignature,
    TwimlRenderer,
    parse_inbound,
    parse_status,
    verified_form,
)
from moodline.composition import Services
from moodline.domain import InboundAnswer
from moodline.events import BadEvent, request_time
from moodline.handling import NOT_FOUND, HttpResponse
from moodline.observability import logger, metrics
from moodline.settings import ALERTS_TOPIC_ARN, APP_SECRET_ID, TWILIO_SECRET_ID
from moodline.snapstart import before_snapshot

if TYPE_CHECKING:
    from collections.abc import Callable

    from aws_lambda_powertools.utilities.typing import LambdaContext

SERVICES = Services.from_env(TWILIO_SECRET_ID, APP_SECRET_ID, ALERTS_TOPIC_ARN)
TWIML = TwimlRenderer()
# The triage rules compile before SnapStart's snapshot, so no webhook waits for them.
before_snapshot(SERVICES.prime_triage)


def signed_form(event: dict[str, Any]) -> dict[str, str]:
    return verified_form(event, SERVICES.twilio_auth_token(), SERVICES.settings.public_base_url)


def answer(reply: InboundAnswer) -> HttpResponse:
    return HttpResponse(200, TWIML.render(reply), TWIML.content_type)


def inbound_sms(event: dict[str, Any]) -> HttpResponse:
    sms = parse_inbound(signed_form(event))
    return answer(SERVICES.inbound.receive(sms, request_time(event)).answer)


def delivery_status(event: dict[str, Any]) -> HttpResponse:
    report = parse_status(signed_form(event))
    outcome = SERVICES.delivery_statuses.record(report, now=request_time(event))
    logger.info("delivery status", message_sid=report.message_sid, status=report.status, outcome=outcome)
    return answer(InboundAnswer(None))


ROUTES: dict[tuple[str, str], Callable[[dict[str, Any]], HttpResponse]] = {
    ("POST", "/twilio/inbound"): inbound_sms,
    ("POST", "/twilio/status"): delivery_status,
}


def route(event: dict[str, Any]) -> HttpResponse:
    endpoint = ROUTES.get((event.get("httpMethod") or "", event.get("path") or ""))
    if endpoint is None:
        return NOT_FOUND
    try:
        return endpoint(event)
    except InvalidSignature:
        metrics.add_metric(name="WebhookRejected", unit="Count", value=1)
        logger.warning("webhook rejected: bad signature", path=event.get("path"))
        return HttpResponse(403, "Forbidden")
    except (BadWebhook, BadEvent) as exc:
        # 4xx, never 5xx: Twilio retries 5xx, and a malformed request will not get better.
        logger.warning("webhook rejected: malformed", path=event.get("path"), error=str(exc))
        return HttpResponse(400, "Bad Request")


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    register_lambda_context(context)
    return route(event).proxy_result()
