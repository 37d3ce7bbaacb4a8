"""What a coach sees when they open a link from a page: confirm, then acknowledge (resolving needs sign-in)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

from moodline.alerting import escalation_round
from moodline.links import AlertLink, InvalidLink, workspace_alert_url
from moodline.paging import AlertActions, AlertError
from moodline.ports import Claims
from moodline.security_headers import SECURITY_HEADERS
from moodline.vocabulary import Via


@dataclass(frozen=True)
class LinkRequest:
    """A request on ``/alerts/{alert_id}/{action}`` with the signed query. The confirming POST carries no fields:
    everything is in the signed URL, so its body is never read (and no body can fail it)."""

    method: str
    action: str
    alert_id: str
    query: Mapping[str, str]


# The workspace's headers (no inline script or style, no framing, no sniffing), never stored, and no referrer:
# the signed URL must not reach the workspace, or any other site a page links to, in a Referer header.
PAGE_HEADERS = {**SECURITY_HEADERS, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _page(title: str, body: str, status: int = 200, *, workspace: str = "") -> tuple[int, str]:
    """A small page in the workspace's look: its stylesheet and icon, which CSP ``'self'`` allows.

    ``workspace`` is the workspace's root as a path (``/Prod/coach``): root-relative, so the files come from
    the origin the coach used (a custom domain or the execute-api URL alike). Without it, or if they fail to
    load, the page is plain HTML, readable all the same.
    """
    head = (f"<link rel='stylesheet' href='{escape(workspace)}/static/app.css'>"
            f"<link rel='icon' href='{escape(workspace)}/static/icon.svg' type='image/svg+xml'>") if workspace else ""
    html = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)} · Moodline</title>{head}</head>"
        "<body><header class='top'><span class='brand'>Moodline</span></header>"
        f"<main id='main'><h1>{escape(title)}</h1>{body}</main></body></html>"
    )
    return status, html


def handle_alert_link(request: LinkRequest, *, actions: AlertActions, claims: Claims, link_key: Callable[[], bytes],
                      now: datetime, public_base_url: str = "", workspace_path: str = "") -> tuple[int, str]:
    """Verify the signed link; GET shows a confirmation (link previews must not acknowledge), POST acts once.

    Only acknowledging works by link. Resolving closes the episode, so it needs a signed-in coach:
    the old resolve links (and anything else) answer with a pointer to the workspace's alert page.
    """
    workspace = workspace_alert_url(public_base_url, request.alert_id) if public_base_url else ""
    open_it = (f"<p><a href='{escape(workspace)}'>Open the alert in the coach workspace</a> (sign in).</p>"
               if workspace else "<p>Open the alert in the coach workspace (sign in).</p>")

    def page(title: str, body: str, status: int = 200) -> tuple[int, str]:
        return _page(title, body, status, workspace=workspace_path)

    if request.action != "ack":
        return page("Sign in to resolve", "<p>Resolving an alert needs you to sign in.</p>" + open_it, 403)
    try:
        link = AlertLink.verify(
            link_key(), action=request.action, alert_id=request.alert_id,
            coach_id=request.query.get("coach", ""), round=request.query.get("round", ""),
            expires=request.query.get("exp", ""), signature=request.query.get("sig", ""), now=now,
        )
    except InvalidLink as exc:
        return page("Link not valid", f"<p>{escape(str(exc))}.</p>" + open_it, 403)
    if request.method == "GET":
        return page("Acknowledge this alert?",
                    "<p>Acknowledging tells the team you have it, and stops escalation to others.</p>"
                    "<form method='post'><button type='submit' class='primary'>Acknowledge</button></form>")
    try:
        alert = actions.get(link.alert_id)
        if link.round != escalation_round(alert):
            raise AlertError("this link is from an earlier page of this alert; use the latest page")
        # Single use: the first POST claims the link; a replay (a forwarded page, a second tap) does nothing.
        if not claims.claim(link.use_key(link_key()), link.coach_id, now=now,
                            expires_at=datetime.fromtimestamp(link.expires, UTC)):
            return page("Link already used", "<p>This link has already been used.</p>" + open_it, 409)
        alert = actions.acknowledge(link.alert_id, by=link.coach_id, via=Via.LINK, at=now, round=link.round)
    except AlertError as exc:
        return page("Not acknowledged", f"<p>{escape(str(exc))}.</p>" + open_it, 409)
    return page("Acknowledged", f"<p>Thank you. Status: {escape(alert.status.value)}. Escalation stopped.</p>"
                                "<p>Read what the client said, call or text them, and resolve the alert "
                                "once you have spoken with them:</p>" + open_it)
