"""Lambda behind API Gateway: Twilio's inbound-SMS and delivery-status webhooks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moodline.adapters.twilio.webhook import (
    AuthChallenge,
    BadWebhook,
    InvalidSignature,
    RejectCause,
    TwimlRenderer,
    parse_status,
)
from moodline.composition import Services
from moodline.credentials import MalformedCredentials
from moodline.domain import InboundAnswer
from moodline.events import BadEvent, request_time
from moodline.handling import NOT_FOUND, HttpResponse
from moodline.observability import logger, metrics
from moodline.settings import ALERTS_TOPIC_ARN, APP_SECRET_ID, INBOUND_BUFFER_URL, TWILIO_SECRET_ID
from moodline.snapstart import before_snapshot

if TYPE_CHECKING:
    from collections.abc import Callable

    from aws_lambda_powertools.utilities.typing import LambdaContext

SERVICES = Services.from_env(TWILIO_SECRET_ID, APP_SECRET_ID, ALERTS_TOPIC_ARN, INBOUND_BUFFER_URL)
TWIML = TwimlRenderer()
CHALLENGE = {"WWW-Authenticate": 'Basic realm="moodline"'}
# The triage rules compile before SnapStart's snapshot, so no webhook waits for them.
before_snapshot(SERVICES.prime_triage)


def answer(reply: InboundAnswer) -> HttpResponse:
    return HttpResponse(200, TWIML.render(reply), TWIML.content_type)


def inbound_sms(event: dict[str, Any]) -> HttpResponse:
    return answer(SERVICES.inbound_webhook.handle(event, request_time(event)))


def delivery_status(event: dict[str, Any]) -> HttpResponse:
    report = parse_status(SERVICES.verified_form(event))
    # A callback for a message not recorded yet is buffered and applied later: still a 200.
    outcome = SERVICES.delivery_status_callbacks.handle(report, request_time(event))
    logger.info("delivery status", message_sid=report.message_sid, status=report.status, outcome=outcome)
    return answer(InboundAnswer(None))


ROUTES: dict[tuple[str, str], Callable[[dict[str, Any]], HttpResponse]] = {
    ("POST", "/twilio/inbound"): inbound_sms,
    ("POST", "/twilio/status"): delivery_status,
}


def rejected(event: dict[str, Any], cause: RejectCause, status_code: int, detail: str = "") -> HttpResponse:
    # One plain metric (no dimension: the alarm reads it), one line naming the cause, no PII.
    metrics.add_metric(name="WebhookRejected", unit="Count", value=1)
    logger.warning("webhook rejected", cause=cause.value, detail=detail, path=event.get("path"))
    return HttpResponse(status_code, "Rejected", headers=CHALLENGE if status_code == 401 else {})


def route(event: dict[str, Any]) -> HttpResponse:
    endpoint = ROUTES.get((event.get("httpMethod") or "", event.get("path") or ""))
    if endpoint is None:
        return NOT_FOUND
    # Most specific first: InvalidSignature and AuthChallenge are BadWebhooks too.
    try:
        return endpoint(event)
    except InvalidSignature as exc:
        return rejected(event, exc.cause, exc.status_code)
    except AuthChallenge:
        # Twilio's first call to a URL with credentials carries none: the challenge is expected, not alarmed.
        return HttpResponse(401, "Unauthorized", headers=CHALLENGE)
    except MalformedCredentials as exc:
        # Fail closed: a placeholder secret is a public key. 503 so Twilio retries once ops fix it.
        return rejected(event, RejectCause.MALFORMED_CREDENTIALS, 503, str(exc))
    except (BadWebhook, BadEvent) as exc:
        # 4xx, never 5xx: Twilio retries 5xx, and a malformed request will not get better.
        logger.warning("webhook rejected: malformed", path=event.get("path"), error=str(exc))
        return HttpResponse(400, "Bad Request")


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return route(event).proxy_result()
