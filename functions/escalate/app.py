"""Lambda: every minute, escalate each alert whose page has not been acknowledged in time.

Each run also reports crisis alerts waiting over 15 minutes; an hourly run checks that every coach
still has a confirmed pager subscription.
"""

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
    now = scheduled_time(event)
    if event.get("check") == "pager_subscriptions":  # the hourly schedule: does every coach's pager work?
        return {"coaches_without_pager": SERVICES.pager_check.run()}
    overdue, escalated = SERVICES.desk.run(now)
    return {"escalated": [{"alert_id": alert_id, "paged": coach} for alert_id, coach in escalated],
            "crisis_unacknowledged_over_15_min": overdue}
