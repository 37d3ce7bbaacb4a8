"""Lambda: every minute, escalate each alert whose page has not been acknowledged in time."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from moodline.adapters.idempotency import register_lambda_context
from moodline.composition import Services
from moodline.events import scheduled_time
from moodline.observability import logger, metrics
from moodline.settings import ALERTS_TOPIC_ARN, APP_SECRET_ID

SERVICES = Services.from_env(ALERTS_TOPIC_ARN, APP_SECRET_ID)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    register_lambda_context(context)
    escalated = SERVICES.desk.escalate_due(scheduled_time(event))
    return {"escalated": [{"alert_id": alert_id, "paged": coach} for alert_id, coach in escalated]}
