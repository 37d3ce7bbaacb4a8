"""API Gateway (REST, proxy integration) events in and out of the workspace."""

from __future__ import annotations

from typing import Any

from moodline.events import BadEvent, form_of, request_time, stage_prefix
from moodline.workspace.http import Request, Response

PREFIX = "/coach"


def request_of(event: dict[str, Any]) -> Request:
    """The workspace request of a proxy event; ``root`` keeps the stage prefix (``/Prod/coach``)."""
    path = event.get("path") or "/"
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    method = event.get("httpMethod", "GET")
    form: dict[str, str] = {}
    if method == "POST":
        try:
            form = form_of(event)
        except BadEvent:
            form = {}
    relative = path[len(PREFIX):] if path.startswith(PREFIX) else path
    return Request(method=method, path=relative or "/", root=stage_prefix(event) + PREFIX, now=request_time(event),
                   query=dict(event.get("queryStringParameters") or {}), form=form,
                   cookie=headers.get("cookie", ""))


def result_of(response: Response) -> dict[str, Any]:
    """A proxy result; every ``Set-Cookie`` goes in ``multiValueHeaders`` (a plain header map keeps one)."""
    result: dict[str, Any] = {"statusCode": response.status, "headers": response.all_headers(),
                              "body": response.body}
    if response.cookies:
        result["multiValueHeaders"] = {"Set-Cookie": response.cookies}
    return result
