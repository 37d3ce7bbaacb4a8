"""Lambda: score each reply from the messages stream; page and send crisis resources when needed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from moodline.adapters.idempotency import register_lambda_context
from moodline.composition import Services
from moodline.handling import partial_batch, stream_sequence_number
from moodline.observability import logger, metrics
from moodline.settings import ALERTS_TOPIC_ARN, APP_SECRET_ID, TWILIO_REST_SECRET_ID
from moodline.snapstart import before_snapshot

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

SERVICES = Services.from_env(ALERTS_TOPIC_ARN, TWILIO_REST_SECRET_ID, APP_SECRET_ID)
# The rules and the semantic model (~0.7 s) load before SnapStart's snapshot, so no reply waits for
# them; without SnapStart they load with the first reply, and the import (init) stays cheap.
before_snapshot(SERVICES.prime_scoring)


def score_reply(record: Mapping[str, Any]) -> None:
    SERVICES.scorer.score(SERVICES.reply_from_stream(record["dynamodb"]["NewImage"]))


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    register_lambda_context(context)
    return partial_batch(event["Records"], score_reply, stream_sequence_number)
