"""Lambda behind API Gateway: Twilio's inbound-SMS and delivery-status webhooks."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext
from twilio.twiml.messaging_response import MessagingResponse

from moodline.events import BadEvent, request_time
from moodline.idempotency import register_lambda_context
from moodline.inbound import InboundSmsService, record_delivery_status
from moodline.observability import logger, metrics
from moodline.pager import SnsPager
from moodline.settings import ALERTS_TOPIC_ARN, APP_SECRET_ID, TWILIO_SECRET_ID
from moodline.webhook import BadWebhook, InboundSms, InvalidSignature, StatusUpdate, verified_form
from moodline.wiring import load_settings, phone_key, twilio_auth_token

SETTINGS = load_settings(TWILIO_SECRET_ID, APP_SECRET_ID, ALERTS_TOPIC_ARN)
INBOUND = InboundSmsService(SETTINGS, lambda: phone_key(SETTINGS), SnsPager(SETTINGS.alerts_topic_arn))
app = APIGatewayRestResolver()


def signed_form() -> dict[str, str]:
    return verified_form(app.current_event.raw_event, twilio_auth_token(SETTINGS), SETTINGS.public_base_url)


def twiml(text: str | None) -> Response[str]:
    reply = MessagingResponse()
    if text:
        reply.message(text)
    return Response(status_code=200, content_type="application/xml", body=str(reply))


@app.post("/twilio/inbound")
def inbound_sms() -> Response[str]:
    sms = InboundSms.from_form(signed_form())
    return twiml(INBOUND.receive(sms, request_time(app.current_event.raw_event)).reply)


@app.post("/twilio/status")
def delivery_status() -> Response[str]:
    update = StatusUpdate.from_form(signed_form())
    outcome = record_delivery_status(update, now=request_time(app.current_event.raw_event),
                                     shards=SETTINGS.due_shards)
    logger.info("delivery status", message_sid=update.message_sid, status=update.status, outcome=outcome)
    return twiml(None)


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
