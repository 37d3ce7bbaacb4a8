"""Lambda: build and send one coach's weekly e-mail for each job on the weekly queue (partial batch failures)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from moodline.adapters.idempotency import register_lambda_context
from moodline.composition import Services
from moodline.handling import partial_batch, sqs_message_id
from moodline.observability import logger, metrics
from moodline.settings import SENDER_EMAIL
from moodline.weekly import WeeklyJob

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

SERVICES = Services.from_env(SENDER_EMAIL)


def send_summary(record: Mapping[str, Any]) -> None:
    # Once per coach and ISO week: a redelivered job returns the first result and sends nothing.
    SERVICES.weekly.send(WeeklyJob.from_json(record["body"]))


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    register_lambda_context(context)
    return partial_batch(event["Records"], send_summary, sqs_message_id)
