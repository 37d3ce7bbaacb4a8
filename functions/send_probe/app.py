"""Lambda: send the probe SMS for each request on the probes queue (partial batch failures)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from moodline.adapters.idempotency import register_lambda_context
from moodline.composition import Services
from moodline.observability import logger, metrics
from moodline.probes import ProbeRequest
from moodline.settings import TWILIO_REST_SECRET_ID

SERVICES = Services.from_env(TWILIO_REST_SECRET_ID)
PROCESSOR = BatchProcessor(event_type=EventType.SQS)


def send_probe(record: SQSRecord) -> None:
    SERVICES.probe_sender.send(ProbeRequest.from_json(record.body))


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    register_lambda_context(context)
    return process_partial_response(event=event, record_handler=send_probe, processor=PROCESSOR, context=context)
