"""Lambda: score each reply from the messages stream; page and send crisis resources when needed."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from moodline.adapters.idempotency import register_lambda_context
from moodline.composition import Services
from moodline.observability import logger, metrics
from moodline.settings import ALERTS_TOPIC_ARN, APP_SECRET_ID, TWILIO_REST_SECRET_ID

SERVICES = Services.from_env(ALERTS_TOPIC_ARN, TWILIO_REST_SECRET_ID, APP_SECRET_ID)
# The semantic model loads at init, where SnapStart snapshots it: no reply waits the ~0.7 s it takes.
SEMANTIC = SERVICES.semantic
PROCESSOR = BatchProcessor(event_type=EventType.DynamoDBStreams)


def score_reply(record: DynamoDBRecord) -> None:
    SERVICES.scorer.score(SERVICES.reply_from_stream(record.raw_event["dynamodb"]["NewImage"]))


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    register_lambda_context(context)
    return process_partial_response(event=event, record_handler=score_reply, processor=PROCESSOR, context=context)
