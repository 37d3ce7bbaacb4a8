"""What a coach sees when they open a link from a page: confirm, then acknowledge or resolve."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from html import escape

from moodline.links import AlertLink, InvalidLink
from moodline.paging import AlertActions, AlertError
from moodline.vocabulary import Outcome, Via

_OUTCOME_LABELS = {Outcome.TRUE_ALARM: "True alarm: the client needed us", Outcome.FALSE_ALARM: "False alarm",
                   Outcome.FOLLOW_UP: "Follow-up needed"}


@dataclass(frozen=True)
class LinkRequest:
    """A request on ``/alerts/{alert_id}/{action}`` with the signed query and, for POST, the form."""

    method: str
    action: str
    alert_id: str
    query: Mapping[str, str]
    form: Mapping[str, str]


def _page(title: str, body: str, status: int = 200) -> tuple[int, str]:
    html = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)}</title></head>"
        "<body style='font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem'>"
        f"<h1 style='font-size:1.3rem'>{escape(title)}</h1>{body}</body></html>"
    )
    return status, html


def handle_alert_link(request: LinkRequest, *, actions: AlertActions, link_key: Callable[[], bytes],
                      now: datetime) -> tuple[int, str]:
    """Verify the signed link; GET shows a confirmation (link previews must not acknowledge), POST acts."""
    try:
        link = AlertLink.verify(
            link_key(), action=request.action, alert_id=request.alert_id,
            coach_id=request.query.get("coach", ""), expires=request.query.get("exp", ""),
            signature=request.query.get("sig", ""), now=now,
        )
    except InvalidLink as exc:
        return _page("Link not valid", f"<p>{escape(str(exc))}.</p>", 403)
    button = "style='font-size:1.1rem;padding:.6rem 1.2rem'"
    if request.method == "GET" and link.action == "ack":
        return _page("Acknowledge this alert?",
                     f"<p>Alert {escape(link.alert_id)}. Acknowledging stops escalation to others.</p>"
                     f"<form method='post'><button {button}>Acknowledge</button></form>")
    if request.method == "GET":
        options = "".join(
            f"<p><label><input type='radio' name='outcome' value='{o}' required> {escape(label)}</label></p>"
            for o, label in _OUTCOME_LABELS.items())
        return _page("Resolve this alert",
                     f"<form method='post'>{options}<p><label>Note (optional, no client details)<br>"
                     f"<input name='note' maxlength='200' style='width:100%'></label></p>"
                     f"<button {button}>Resolve</button></form>")
    try:
        if link.action == "ack":
            alert = actions.acknowledge(link.alert_id, by=link.coach_id, via=Via.LINK, at=now)
            return _page("Acknowledged", f"<p>Thank you. Status: {escape(alert.status.value)}. "
                                         f"Resolve it with <code>moodline alert resolve {escape(alert.alert_id)}"
                                         "</code> once you have spoken with the client.</p>")
        outcome = request.form.get("outcome", "")
        if outcome not in _OUTCOME_LABELS:
            return _page("Choose an outcome", "<p>Go back and choose one of the outcomes.</p>", 400)
        alert = actions.resolve(link.alert_id, by=link.coach_id, outcome=outcome, at=now,
                              note=request.form.get("note", ""))
        return _page("Resolved", f"<p>Recorded: {escape(_OUTCOME_LABELS[Outcome(outcome)])}.</p>")
    except AlertError as exc:
        return _page("Not found", f"<p>{escape(str(exc))}.</p>", 404)
