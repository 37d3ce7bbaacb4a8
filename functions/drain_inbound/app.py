"""SQS consumer: stores the inbound replies the webhook buffered while storage was failing (issue 8 §3),
and applies the delivery statuses that arrived before their message was recorded."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from moodline.composition import Services
from moodline.handling import partial_batch, sqs_message_id
from moodline.observability import logger, metrics
from moodline.settings import ALERTS_TOPIC_ARN, APP_SECRET_ID, INBOUND_BUFFER_URL, TWILIO_SECRET_ID

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

# The buffer too: a status whose message is still unknown goes back on it, delayed.
SERVICES = Services.from_env(TWILIO_SECRET_ID, APP_SECRET_ID, ALERTS_TOPIC_ARN, INBOUND_BUFFER_URL)


def drain(record: Mapping[str, Any]) -> None:
    # A failure stays on the queue and is retried; after maxReceiveCount it lands in the alarmed DLQ.
    SERVICES.inbound_drain.drain_one(record["body"])


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return partial_batch(event["Records"], drain, sqs_message_id)
