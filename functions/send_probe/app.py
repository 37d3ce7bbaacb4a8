"""Lambda: send the probe SMS for each request on the probes queue (partial batch failures)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from moodline.idempotency import register_lambda_context
from moodline.observability import logger, metrics
from moodline.probes import ProbeRequest, ProbeSender
from moodline.settings import TWILIO_SECRET_ID
from moodline.wiring import load_settings, twilio_sms

SETTINGS = load_settings(TWILIO_SECRET_ID)
SENDER = ProbeSender(
    sms=twilio_sms(SETTINGS),
    idempotency_table=SETTINGS.idempotency_table,
    retention_days=SETTINGS.retention_days,
    shards=SETTINGS.due_shards,
)
PROCESSOR = BatchProcessor(event_type=EventType.SQS)


def send_probe(record: SQSRecord) -> None:
    request = ProbeRequest.from_json(record.body)
    SENDER.send_probe(probe=request.__dict__)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    register_lambda_context(context)
    return process_partial_response(event=event, record_handler=send_probe, processor=PROCESSOR, context=context)
