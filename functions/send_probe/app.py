"""Lambda: send the probe SMS for each request on the probes queue, records batched (partial batch failures)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from moodline.adapters.idempotency import register_lambda_context
from moodline.composition import Services
from moodline.handling import partial_batch_together, sqs_message_id
from moodline.observability import logger, metrics
from moodline.probes import ProbeRequest, SentProbe, probe_work
from moodline.settings import PROBES_QUEUE_URL, TWILIO_REST_SECRET_ID

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

SERVICES = Services.from_env(TWILIO_REST_SECRET_ID, PROBES_QUEUE_URL)


def parse(record: Mapping[str, Any]) -> ProbeRequest | SentProbe:
    return probe_work(record["body"])


def send_all(work: dict[str, ProbeRequest | SentProbe]) -> list[str]:
    return SERVICES.probe_sender.send_all(work).failed


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    register_lambda_context(context)
    return partial_batch_together(event["Records"], parse, send_all, sqs_message_id)
