"""Lambda: every hour, nudge coaches (then the team) about replies waiting too long in the review inbox."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from moodline.adapters.idempotency import register_lambda_context
from moodline.composition import Services
from moodline.events import scheduled_time
from moodline.observability import logger, metrics
from moodline.settings import REVIEW_TABLE, SENDER_EMAIL

SERVICES = Services.from_env(SENDER_EMAIL, REVIEW_TABLE)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    register_lambda_context(context)
    run = SERVICES.review_nudges.run(scheduled_time(event))
    return {"waiting": run.waiting, "nudged": len(run.nudged)}
