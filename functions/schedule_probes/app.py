"""Lambda: every 15 minutes, queue one probe request for each client due in this slot."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from moodline.composition import Services
from moodline.events import scheduled_time
from moodline.observability import logger, metrics
from moodline.settings import PROBES_QUEUE_URL

SERVICES = Services.from_env(PROBES_QUEUE_URL)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    run = SERVICES.probe_scheduler.queue_due_probes(scheduled_time(event))
    logger.info("probes queued", **asdict(run))
    return asdict(run)
