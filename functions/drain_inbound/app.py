"""SQS consumer: stores the inbound replies the webhook buffered while storage was failing (issue 8 §3)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from moodline.adapters.idempotency import register_lambda_context
from moodline.composition import Services
from moodline.handling import partial_batch, sqs_message_id
from moodline.observability import logger, metrics
from moodline.settings import ALERTS_TOPIC_ARN, APP_SECRET_ID, TWILIO_SECRET_ID

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

SERVICES = Services.from_env(TWILIO_SECRET_ID, APP_SECRET_ID, ALERTS_TOPIC_ARN)


def drain(record: Mapping[str, Any]) -> None:
    # A failure stays on the queue and is retried; after maxReceiveCount it lands in the alarmed DLQ.
    SERVICES.inbound_drain.drain_one(record["body"])


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    register_lambda_context(context)
    return partial_batch(event["Records"], drain, sqs_message_id)
