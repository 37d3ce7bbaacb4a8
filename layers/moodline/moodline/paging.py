"""Alerts and pages: who is on call, one open alert per episode, and one page per alert step."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from moodline import store
from moodline.idempotency import once_per_key
from moodline.observability import logger, metrics
from moodline.pager import TEAM, Page, SnsPager
from moodline.schedule import to_iso
from moodline.triage import Assessment, Level

PAGE_KEY_SECONDS = 7 * 24 * 3600
# Rotas in the order they win: an override (swap, sick day) beats the regular rota.
ROTAS = ("override", "primary")


@dataclass(frozen=True)
class OnCall:
    """Who to page at an instant, and where that answer came from."""

    primary: str
    backup: str | None
    source: str  # override | primary | client_coach | team


def resolve_on_call(at: datetime, client_coach_id: str | None) -> OnCall:
    """The coach on call at ``at``: override rota, then the rota, then the client's own coach, then the team.

    Never nobody: with no rota and no coach, the whole team is paged.
    """
    for rota in ROTAS:
        shift = store.find_shift(rota, at)
        if shift is not None:
            return OnCall(shift.primary_coach_id, shift.backup_coach_id, rota)
    if client_coach_id:
        return OnCall(client_coach_id, None, "client_coach")
    return OnCall(TEAM, None, "team")


def _entry(at: datetime, event: str, detail: str = "") -> store.TimelineEntry:
    return store.TimelineEntry(at=to_iso(at), event=event, detail=detail)


def _rule_ids(assessment: Assessment) -> list[str]:
    return sorted({reason.rule for reason in assessment.reasons})


class AlertDesk:
    """Opens, extends and pages alerts; every page is idempotent on ``alert_id#step``."""

    def __init__(self, *, pager: SnsPager, idempotency_table: str, public_base_url: str = "") -> None:
        self._pager = pager
        self._public_base_url = public_base_url
        self._publish = once_per_key(
            self._publish_once,
            table_name=idempotency_table,
            key_prefix="page",
            data_keyword="page",
            key_jmespath="[alert_id, step]",
            expires_after_seconds=PAGE_KEY_SECONDS,
        )

    def record_risk(
        self, client: store.Client, reply_key: str, assessment: Assessment, at: datetime
    ) -> tuple[store.Alert, str]:
        """Open an alert for the client's episode, or append the reply to the open one.

        Returns the alert and what happened: ``raised``, ``raised_severity`` or ``appended``.
        Severity may rise within an episode but never silently falls.
        """
        alert = store.get_alert(client.open_alert_id) if client.open_alert_id else None
        if alert is None or alert.status == "resolved":
            alert = store.Alert(
                alert_id=store.new_id("al", at),
                client_id=client.client_id,
                coach_id=client.coach_id,
                level=assessment.level.value,
                opened_at=to_iso(at),
                ack_code=f"{secrets.randbelow(10**6):06d}",
                reasons=_rule_ids(assessment),
                replies=[reply_key],
                timeline=[_entry(at, "raised", f"{assessment.level.value}: {', '.join(_rule_ids(assessment))}")],
            )
            if store.open_alert(alert, client.client_id):
                metrics.add_metric(name=f"Alerts{assessment.level.value.title()}", unit="Count", value=1)
                return alert, "raised"
            # Another delivery opened the episode first: append to that one instead.
            refreshed = store.get_client(client.client_id)
            alert = store.get_alert(refreshed.open_alert_id) if refreshed and refreshed.open_alert_id else None
            if alert is None:
                raise RuntimeError("alert episode changed concurrently; retry")
        if reply_key in alert.replies:
            return alert, "appended"  # a redelivered stream record: already on the timeline
        event = "appended"
        alert.replies = [*alert.replies, reply_key]
        alert.reasons = sorted(set(alert.reasons) | set(_rule_ids(assessment)))
        if assessment.level.rank > Level(alert.level).rank:
            alert.level = assessment.level.value
            event = "raised_severity"
        alert.timeline = [*alert.timeline, _entry(at, event, assessment.level.value)]
        alert.save()
        return alert, event

    def page(self, alert: store.Alert, client: store.Client, at: datetime, *, step: str) -> str | None:
        """Page whoever is on call at ``at`` for ``step`` of ``alert``, once; returns the coach paged (or None).

        Called on every risky reply of the episode, not only when the alert is opened: a retry
        after an attempt that opened the alert but failed to publish must still page.
        """
        if step in alert.paged_steps:
            return None
        on_call = resolve_on_call(at, client.coach_id)
        page = Page(
            alert_id=alert.alert_id,
            step=step,
            coach_id=on_call.primary,
            severity=alert.level,
            subject=f"Moodline {alert.level.upper()} alert: {client.display_name}",
            body=self._page_body(alert, client, on_call),
        )
        result = self._publish(page=asdict(page))
        if result.get("published"):
            alert.paged_to = on_call.primary
            alert.paged_steps = [*alert.paged_steps, step]
            detail = f"{on_call.primary} ({on_call.source}), step {step}"
            alert.timeline = [*alert.timeline, _entry(at, "paged", detail)]
            alert.save()
        logger.info("alert paged", alert_id=alert.alert_id, coach_id=on_call.primary, step=step,
                    on_call_source=on_call.source)
        return on_call.primary

    def _page_body(self, alert: store.Alert, client: store.Client, on_call: OnCall) -> str:
        # The page names the client and the rules that fired, never the message text or phone
        # number: pages travel over SMS and e-mail. The coach reads the reply in the console / CLI.
        lines = [
            f"{alert.level.upper()}: {client.display_name} (client {client.client_id}) needs a human.",
            f"Why: {', '.join(alert.reasons)}.",
            f"Acknowledge: text ACK {alert.ack_code}" + (
                f" or open {self._public_base_url}/alerts/{alert.alert_id}" if self._public_base_url else ""
            ) + ".",
            f"Details: moodline alert show {alert.alert_id}",
        ]
        if on_call.source != "client_coach":
            lines.append(f"Their own coach is {client.coach_id}.")
        return "\n".join(lines)

    def _publish_once(self, page: dict[str, Any]) -> dict[str, Any]:
        message_id = self._pager.publish(Page(**page))
        metrics.add_metric(name="PagesPublished", unit="Count", value=1)
        return {"published": True, "message_id": message_id}
