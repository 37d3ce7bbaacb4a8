"""Lambda: on Monday morning, queue one weekly e-mail job per coach (weekly_coach sends each)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from moodline.composition import Services
from moodline.events import scheduled_time
from moodline.observability import logger, metrics
from moodline.settings import WEEKLY_QUEUE_URL

SERVICES = Services.from_env(WEEKLY_QUEUE_URL)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    run = SERVICES.weekly_tick.queue_all(scheduled_time(event))
    logger.info("weekly summaries queued", **asdict(run))
    return asdict(run)
