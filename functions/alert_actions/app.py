"""Lambda behind API Gateway: signed one-tap links in pages to acknowledge an alert."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from moodline.alert_links import LinkRequest, handle_alert_link
from moodline.composition import Services
from moodline.events import form_of, request_time, request_url
from moodline.observability import logger, metrics
from moodline.settings import APP_SECRET_ID

SERVICES = Services.from_env(APP_SECRET_ID)
app = APIGatewayRestResolver()


@app.route("/alerts/<alert_id>/<action>", method=["GET", "POST"])
def alert_link(alert_id: str, action: str) -> Response[str]:
    event = app.current_event.raw_event
    request = LinkRequest(event["httpMethod"], action, alert_id, event.get("queryStringParameters") or {},
                          form_of(event) if event["httpMethod"] == "POST" else {})
    # The base the coach's link used (custom domain or execute-api + stage): the workspace is under it.
    base_url = request_url(event, SERVICES.settings.public_base_url).split("/alerts/", 1)[0]
    status, html = handle_alert_link(request, actions=SERVICES.actions, claims=SERVICES.claims,
                                     link_key=SERVICES.link_key, now=request_time(event), public_base_url=base_url)
    return Response(status_code=status, content_type="text/html; charset=utf-8", body=html,
                    headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
