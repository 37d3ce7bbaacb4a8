"""Lambda: send the probe SMS for each request on the probes queue (partial batch failures)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from moodline.adapters.idempotency import register_lambda_context
from moodline.composition import Services
from moodline.handling import partial_batch, sqs_message_id
from moodline.observability import logger, metrics
from moodline.probes import ProbeRequest
from moodline.settings import TWILIO_REST_SECRET_ID

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

SERVICES = Services.from_env(TWILIO_REST_SECRET_ID)


def send_probe(record: Mapping[str, Any]) -> None:
    SERVICES.probe_sender.send(ProbeRequest.from_json(record["body"]))


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    register_lambda_context(context)
    return partial_batch(event["Records"], send_probe, sqs_message_id)
