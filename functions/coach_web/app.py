"""Lambda behind API Gateway: the coach's workspace under ``/coach`` (server-rendered HTML)."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from moodline.adapters.idempotency import register_lambda_context
from moodline.composition import Services
from moodline.observability import logger, metrics
from moodline.workspace.apigw import request_of, result_of
from moodline.workspace.app import Workspace
from moodline.workspace.wiring import REQUIRED, WorkspaceSettings, build_workspace

# Settings are read (and refused) at init; the repositories, and so the DynamoDB client, are built on
# the first request, as in every other function.
SERVICES = Services.from_env(*REQUIRED)
SETTINGS = WorkspaceSettings.from_env()


@cache
def workspace() -> Workspace:
    return build_workspace(SERVICES, SETTINGS)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    register_lambda_context(context)
    request = request_of(event)
    response = workspace().handle(request)
    metrics.add_metric(name="WorkspaceRequests", unit="Count", value=1)
    # Route and status only: never a phone number, a message or a token.
    logger.info("workspace request", method=request.method, route=request.path.split("/")[1:2],
                status=response.status)
    return result_of(response)
