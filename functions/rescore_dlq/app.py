"""Lambda: every 15 minutes, while the scoring DLQ is not empty, rescore the replies it says were missed."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from moodline.adapters.idempotency import register_lambda_context
from moodline.composition import Services
from moodline.events import scheduled_time
from moodline.observability import logger, metrics
from moodline.settings import ALERTS_TOPIC_ARN, APP_SECRET_ID, SCORING_DLQ_URL, TWILIO_SECRET_ID

SERVICES = Services.from_env(ALERTS_TOPIC_ARN, TWILIO_SECRET_ID, APP_SECRET_ID, SCORING_DLQ_URL)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    register_lambda_context(context)
    result = SERVICES.scoring_redrive.run(scheduled_time(event))
    return {"dead_letters": result.dead_letters, "rescored": result.rescored,
            "since": result.since.isoformat() if result.since else None}
