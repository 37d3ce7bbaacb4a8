"""Lambda behind API Gateway: Twilio's inbound-SMS and delivery-status webhooks."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

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
from moodline.observability import logger, metrics
from moodline.settings import ALERTS_TOPIC_ARN, APP_SECRET_ID, TWILIO_SECRET_ID

SERVICES = Services.from_env(TWILIO_SECRET_ID, APP_SECRET_ID, ALERTS_TOPIC_ARN)
TWIML = TwimlRenderer()
app = APIGatewayRestResolver()


def signed_form() -> dict[str, str]:
    return verified_form(app.current_event.raw_event, SERVICES.twilio_auth_token(), SERVICES.settings.public_base_url)


def answer(reply: InboundAnswer) -> Response[str]:
    return Response(status_code=200, content_type=TWIML.content_type, body=TWIML.render(reply))


@app.post("/twilio/inbound")
def inbound_sms() -> Response[str]:
    sms = parse_inbound(signed_form())
    return answer(SERVICES.inbound.receive(sms, request_time(app.current_event.raw_event)).answer)


@app.post("/twilio/status")
def delivery_status() -> Response[str]:
    report = parse_status(signed_form())
    outcome = SERVICES.delivery_statuses.record(report, now=request_time(app.current_event.raw_event))
    logger.info("delivery status", message_sid=report.message_sid, status=report.status, outcome=outcome)
    return answer(InboundAnswer(None))


@app.exception_handler(InvalidSignature)
def forbidden(exc: InvalidSignature) -> Response[str]:
    metrics.add_metric(name="WebhookRejected", unit="Count", value=1)
    logger.warning("webhook rejected: bad signature", path=app.current_event.path)
    return Response(status_code=403, content_type="text/plain", body="Forbidden")


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
