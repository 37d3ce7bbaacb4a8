"""Lambda: once a week, e-mail every coach the summary of their own clients' week."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from moodline.events import scheduled_time
from moodline.idempotency import register_lambda_context
from moodline.mailer import SesMailer
from moodline.observability import logger, metrics
from moodline.settings import SENDER_EMAIL
from moodline.weekly import WeeklySummaries
from moodline.wiring import load_settings

SETTINGS = load_settings(SENDER_EMAIL)
SUMMARIES = WeeklySummaries(
    mailer=SesMailer(SETTINGS.sender_email),
    idempotency_table=SETTINGS.idempotency_table,
    practice_timezone=SETTINGS.practice_timezone,
)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    register_lambda_context(context)
    run = SUMMARIES.send_all(scheduled_time(event))
    logger.info("weekly summaries sent", **asdict(run))
    return asdict(run)
