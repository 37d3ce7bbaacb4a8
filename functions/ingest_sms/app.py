"""Lambda behind API Gateway: Twilio's inbound-SMS and delivery-status webhooks."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from moodline.adapters.idempotency import register_lambda_context
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
from moodline.observability import logger, metrics
from moodline.settings import ALERTS_TOPIC_ARN, APP_SECRET_ID, INBOUND_BUFFER_URL, TWILIO_SECRET_ID

SERVICES = Services.from_env(TWILIO_SECRET_ID, APP_SECRET_ID, ALERTS_TOPIC_ARN, INBOUND_BUFFER_URL)
TWIML = TwimlRenderer()
app = APIGatewayRestResolver()
CHALLENGE = {"WWW-Authenticate": 'Basic realm="moodline"'}


def answer(reply: InboundAnswer) -> Response[str]:
    return Response(status_code=200, content_type=TWIML.content_type, body=TWIML.render(reply))


@app.post("/twilio/inbound")
def inbound_sms() -> Response[str]:
    event = app.current_event.raw_event
    return answer(SERVICES.inbound_webhook.handle(event, request_time(event)))


@app.post("/twilio/status")
def delivery_status() -> Response[str]:
    report = parse_status(SERVICES.verified_form(app.current_event.raw_event))
    outcome = SERVICES.delivery_statuses.record(report, now=request_time(app.current_event.raw_event))
    logger.info("delivery status", message_sid=report.message_sid, status=report.status, outcome=outcome)
    return answer(InboundAnswer(None))


def rejected(cause: RejectCause, status_code: int, detail: str = "") -> Response[str]:
    # One plain metric (no dimension: the alarm reads it), one line naming the cause, no PII.
    metrics.add_metric(name="WebhookRejected", unit="Count", value=1)
    logger.warning("webhook rejected", cause=cause.value, detail=detail, path=app.current_event.path)
    headers = CHALLENGE if status_code == 401 else None
    return Response(status_code=status_code, content_type="text/plain", body="Rejected", headers=headers)


@app.exception_handler(InvalidSignature)
def forbidden(exc: InvalidSignature) -> Response[str]:
    return rejected(exc.cause, exc.status_code)


@app.exception_handler(MalformedCredentials)
def misconfigured(exc: MalformedCredentials) -> Response[str]:
    # Fail closed: a placeholder secret is a public key. 503 so Twilio retries once ops fix it.
    return rejected(RejectCause.MALFORMED_CREDENTIALS, 503, str(exc))


@app.exception_handler(AuthChallenge)
def challenge(exc: AuthChallenge) -> Response[str]:
    # Twilio's first call to a URL with credentials carries none: the challenge is expected, not alarmed.
    return Response(status_code=401, content_type="text/plain", body="Unauthorized", headers=CHALLENGE)


@app.exception_handler(BadWebhook)
@app.exception_handler(BadEvent)
def bad_request(exc: Exception) -> Response[str]:
    # 4xx, never 5xx: Twilio retries 5xx, and a malformed request will not get better.
    logger.warning("webhook rejected: malformed", path=app.current_event.path, error=str(exc))
    return Response(status_code=400, content_type="text/plain", body="Bad Request")


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    register_lambda_context(context)
    return app.resolve(event, context)
