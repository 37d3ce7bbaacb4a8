"""Lambda behind API Gateway: the coach's workspace under ``/coach`` (server-rendered HTML)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from moodline.observability import logger, metrics
from moodline.settings import APP_SECRET_ID
from moodline.wiring import load_settings
from moodline.workspace.apigw import request_of, result_of
from moodline.workspace.wiring import WorkspaceSettings, build_workspace

SETTINGS = load_settings(APP_SECRET_ID)
WORKSPACE = build_workspace(SETTINGS, WorkspaceSettings.from_env())


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = request_of(event)
    response = WORKSPACE.handle(request)
    metrics.add_metric(name="WorkspaceRequests", unit="Count", value=1)
    # Route and status only: never a phone number, a message or a token.
    logger.info("workspace request", method=request.method, route=request.path.split("/")[1:2],
                status=response.status)
    return result_of(response)
