"""Lambda behind API Gateway: signed one-tap links in pages to acknowledge an alert."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moodline.alert_links import PAGE_HEADERS, LinkRequest, handle_alert_link
from moodline.composition import Services
from moodline.events import request_time, request_url, stage_prefix
from moodline.handling import NOT_FOUND, HttpResponse
from moodline.links import workspace_root
from moodline.observability import logger, metrics
from moodline.settings import APP_SECRET_ID

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

SERVICES = Services.from_env(APP_SECRET_ID)


def link_request(event: dict[str, Any]) -> LinkRequest | None:
    """The request of ``GET|POST /alerts/<alert_id>/<action>``; None for any other route."""
    method, path = event.get("httpMethod") or "", event.get("path") or ""
    match path.strip("/").split("/"):
        case ["alerts", alert_id, action] if method in {"GET", "POST"}:
            return LinkRequest(method, action, alert_id, event.get("queryStringParameters") or {})
    return None


def alert_link(event: dict[str, Any]) -> HttpResponse:
    request = link_request(event)
    if request is None:
        return NOT_FOUND
    # The base the coach's link used (custom domain or execute-api + stage): the workspace is under it.
    base_url = request_url(event, SERVICES.settings.public_base_url).split("/alerts/", 1)[0]
    status, html = handle_alert_link(request, actions=SERVICES.actions, claims=SERVICES.claims,
                                     link_key=SERVICES.link_key, now=request_time(event), public_base_url=base_url,
                                     workspace_path=workspace_root(stage_prefix(event)))
    return HttpResponse(status, html, "text/html; charset=utf-8", PAGE_HEADERS)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return alert_link(event).proxy_result()
