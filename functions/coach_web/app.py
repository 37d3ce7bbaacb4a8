"""Lambda behind API Gateway: the coach's workspace under ``/coach`` (server-rendered HTML)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from moodline.events import request_time
from moodline.observability import logger, metrics
from moodline.settings import APP_SECRET_ID
from moodline.webhook import BadWebhook, form_of
from moodline.wiring import load_settings
from moodline.workspace.http import Request, Response
from moodline.workspace.wiring import WorkspaceSettings, build_workspace

SETTINGS = load_settings(APP_SECRET_ID)
WORKSPACE = build_workspace(SETTINGS, WorkspaceSettings.from_env())
PREFIX = "/coach"


def request_of(event: dict[str, Any]) -> Request:
    """The workspace request of an API Gateway (REST, proxy) event; ``root`` keeps the stage prefix."""
    path = event.get("path") or "/"
    context = event.get("requestContext") or {}
    full = context.get("path") or path  # "/Prod/coach/alerts" behind the default stage URL
    stage_prefix = full[: len(full) - len(path)] if full.endswith(path) else ""
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    method = event.get("httpMethod", "GET")
    form: dict[str, str] = {}
    if method == "POST":
        try:
            form = form_of(event)
        except BadWebhook:
            form = {}
    query = event.get("queryStringParameters") or {}
    relative = path[len(PREFIX):] if path.startswith(PREFIX) else path
    return Request(method=method, path=relative or "/", root=stage_prefix + PREFIX, now=request_time(event),
                   query=dict(query), form=form, cookie=headers.get("cookie", ""))


def result_of(response: Response) -> dict[str, Any]:
    """A proxy result; every ``Set-Cookie`` in ``multiValueHeaders`` (API Gateway drops repeats otherwise)."""
    result: dict[str, Any] = {"statusCode": response.status, "headers": response.all_headers(),
                              "body": response.body}
    if response.cookies:
        result["multiValueHeaders"] = {"Set-Cookie": response.cookies}
    return result


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = request_of(event)
    response = WORKSPACE.handle(request)
    metrics.add_metric(name="WorkspaceRequests", unit="Count", value=1)
    logger.info("workspace request", method=request.method, route=request.path.split("/")[1:2], status=response.status)
    return result_of(response)


__all__ = ["handler"]
