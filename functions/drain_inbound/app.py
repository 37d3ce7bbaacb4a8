"""SQS consumer: stores the inbound replies the webhook buffered while storage was failing (issue 8 §3)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from moodline.adapters.idempotency import register_lambda_context
from moodline.composition import Services
from moodline.observability import logger, metrics
from moodline.settings import ALERTS_TOPIC_ARN, APP_SECRET_ID, TWILIO_SECRET_ID

SERVICES = Services.from_env(TWILIO_SECRET_ID, APP_SECRET_ID, ALERTS_TOPIC_ARN)
PROCESSOR = BatchProcessor(event_type=EventType.SQS)


def drain(record: SQSRecord) -> str:
    # A failure stays on the queue and is retried; after maxReceiveCount it lands in the alarmed DLQ.
    return SERVICES.inbound_drain.drain_one(record.body)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    register_lambda_context(context)
    return process_partial_response(event=event, record_handler=drain, processor=PROCESSOR, context=context)
