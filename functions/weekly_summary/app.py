"""Lambda: once a week, e-mail every coach the summary of their own clients' week."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from moodline.adapters.idempotency import register_lambda_context
from moodline.composition import Services
from moodline.events import scheduled_time
from moodline.observability import logger, metrics
from moodline.settings import SENDER_EMAIL

SERVICES = Services.from_env(SENDER_EMAIL)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    register_lambda_context(context)
    run = SERVICES.weekly.send_all(scheduled_time(event))
    logger.info("weekly summaries sent", **asdict(run))
    return asdict(run)
