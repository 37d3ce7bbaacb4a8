"""Lambda: send the probe SMS for each request on the probes queue, records batched (partial batch failures)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
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


def sender_for(context: LambdaContext) -> Callable[[dict[str, ProbeRequest | SentProbe]], list[str]]:
    """The batch's sender, stopping short of the invocation's timeout so the records are always written."""

    def send_all(work: dict[str, ProbeRequest | SentProbe]) -> list[str]:
        return SERVICES.probe_sender.send_all(
            work, seconds_left=lambda: context.get_remaining_time_in_millis() / 1000).failed

    return send_all


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    register_lambda_context(context)
    return partial_batch_together(event["Records"], parse, sender_for(context), sqs_message_id)
