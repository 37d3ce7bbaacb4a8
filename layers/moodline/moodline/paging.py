"""Alerts and pages: who is on call, one alert per episode, escalation until a human acknowledges.

An alert's life, every step on its timeline::

    raised ─► paged (on call) ─► [no ack in 5 min (crisis) / 30 min (high)] ─► escalated: backup
        ─► [no ack] ─► escalated: whole team ─► [no ack] ─► team again … until
    acknowledged (link or "ACK <code>") ─► resolved with an outcome (true/false alarm, follow-up)
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from moodline import store
from moodline.idempotency import once_per_key
from moodline.links import AlertLink
from moodline.observability import logger, metrics
from moodline.pager import TEAM, Page, SnsPager
from moodline.schedule import from_iso, to_iso
from moodline.triage.model import Assessment, Level

PAGE_KEY_SECONDS = 7 * 24 * 3600
# Rotas in the order they win: an override (swap, sick day) beats the regular rota.
ROTAS = ("override", "primary")
OUTCOMES = ("true_alarm", "false_alarm", "follow_up")


class AlertError(ValueError):
    """An alert action that cannot apply (unknown alert, bad outcome, wrong code)."""


@dataclass(frozen=True)
class EscalationPolicy:
    """How long an unacknowledged page waits before the next step, per severity."""

    crisis: timedelta = timedelta(minutes=5)
    high: timedelta = timedelta(minutes=30)

    def delay(self, level: str) -> timedelta:
        return self.crisis if level == Level.CRISIS.value else self.high


@dataclass(frozen=True)
class OnCall:
    """Who to page at an instant, and where that answer came from."""

    primary: str
    backup: str | None
    source: str  # override | primary | team


def resolve_on_call(at: datetime) -> OnCall:
    """The coaches on call at ``at``: the override rota, then the rota; nobody on call means the whole team.

    Never nobody: the team target reaches every coach, the client's own coach included.
    """
    for rota in ROTAS:
        shift = store.find_shift(rota, at)
        if shift is not None:
            return OnCall(shift.primary_coach_id, shift.backup_coach_id, rota)
    return OnCall(TEAM, None, "team")


def escalation_target(step: int, on_call: OnCall) -> str:
    """Step 1 pages the backup (or the team when there is none); every later step pages the team."""
    if step == 1 and on_call.backup:
        return on_call.backup
    return TEAM


def _entry(at: datetime, event: str, detail: str = "") -> store.TimelineEntry:
    return store.TimelineEntry(at=to_iso(at), event=event, detail=detail)


def _unused_ack_code() -> str:
    """Six digits no other waiting alert uses, so ``ACK <code>`` always names exactly one alert."""
    taken = store.pending_ack_codes()
    while (code := f"{secrets.randbelow(10**6):06d}") in taken:
        pass
    return code


def _rule_ids(assessment: Assessment) -> list[str]:
    return sorted({reason.rule for reason in assessment.reasons})


class AlertDesk:
    """Opens, extends, pages and escalates alerts.

    Every page is idempotent on ``alert_id + step``: a retried invocation never pages twice for
    one step, and a half-done attempt (alert saved, page not sent) still pages on retry.
    """

    def __init__(
        self,
        *,
        pager: SnsPager,
        idempotency_table: str,
        public_base_url: str = "",
        link_key: Callable[[], bytes] | None = None,
        policy: EscalationPolicy | None = None,
    ) -> None:
        self._pager = pager
        self._public_base_url = public_base_url
        self._link_key = link_key
        self.policy = policy or EscalationPolicy()
        self._publish = once_per_key(
            self._publish_once,
            table_name=idempotency_table,
            key_prefix="page",
            data_keyword="page",
            key_jmespath="[alert_id, step]",
            expires_after_seconds=PAGE_KEY_SECONDS,
        )

    # --- raising ----------------------------------------------------------------------------

    def record_risk(
        self, client: store.Client, reply_key: str, assessment: Assessment, at: datetime
    ) -> tuple[store.Alert, str, str]:
        """Open an alert for the client's episode, or add the reply to the current one.

        Returns the alert, what happened (``raised``, ``raised_severity``, ``retriggered`` or
        ``appended``) and the page step this reply calls for. Severity may rise within an episode
        but never silently falls; a risky reply after an acknowledgement re-triggers the alert
        (pages again and escalates), as a pager would, until a coach resolves it.
        """
        current = store.get_alert(client.open_alert_id) if client.open_alert_id else None
        if current is None or current.status == "resolved":
            level = assessment.level.value
            alert = store.Alert(
                alert_id=store.new_id("al", at),
                client_id=client.client_id,
                coach_id=client.coach_id,
                level=level,
                opened_at=to_iso(at),
                ack_code=_unused_ack_code(),
                reasons=_rule_ids(assessment),
                replies=[reply_key],
                timeline=[_entry(at, "raised", f"{level}: {', '.join(_rule_ids(assessment))}")],
                pending=store.PENDING,
                escalate_at=to_iso(at + self.policy.delay(level)),
            )
            if store.open_alert(alert, client.client_id, replacing=client.open_alert_id):
                metrics.add_metric(name=f"Alerts{level.title()}", unit="Count", value=1)
                return alert, "raised", level
            # Another delivery opened the episode first: add to that one instead.
            refreshed = store.get_client(client.client_id)
            current = store.get_alert(refreshed.open_alert_id) if refreshed and refreshed.open_alert_id else None
            if current is None or current.status == "resolved":
                raise RuntimeError("alert episode changed concurrently; retry")
        alert = current
        if reply_key in alert.replies:  # a redelivered stream record: same step as the first time
            return alert, "appended", self._step_for(alert, reply_key)
        event = "appended"
        alert.replies = [*alert.replies, reply_key]
        alert.reasons = sorted(set(alert.reasons) | set(_rule_ids(assessment)))
        if assessment.level.rank > Level(alert.level).rank:
            alert.level = assessment.level.value
            event = "raised_severity"
        if alert.status == "acknowledged":
            alert.status, alert.escalation_step = "open", 0
            alert.pending, alert.escalate_at = store.PENDING, to_iso(at + self.policy.delay(alert.level))
            alert.retriggers = [*alert.retriggers, reply_key]
            event = "retriggered"
        elif event == "raised_severity" and alert.pending and alert.escalate_at:
            # A rise to crisis shortens the wait before escalation; it never lengthens it.
            alert.escalate_at = min(alert.escalate_at, to_iso(at + self.policy.delay(alert.level)))
        alert.timeline = [*alert.timeline, _entry(at, event, assessment.level.value)]
        alert.save()  # versioned: a concurrent acknowledgement makes this fail and the record retry
        return alert, event, self._step_for(alert, reply_key)

    @staticmethod
    def _step_for(alert: store.Alert, reply_key: str) -> str:
        # One page per severity of the episode, plus one per reply that re-triggered it.
        return f"retrigger:{reply_key}" if reply_key in alert.retriggers else alert.level

    # --- paging -----------------------------------------------------------------------------

    def page(self, alert: store.Alert, client: store.Client, at: datetime, *, step: str,
             coach_id: str | None = None, why: store.TimelineEntry | None = None) -> str | None:
        """Page ``coach_id`` (default: whoever is on call at ``at``) for ``step`` of ``alert``, once.

        ``why`` goes on the timeline just before the page (an escalation says why it pages).
        Returns the coach paged, or None when this step was already paged.
        """
        if step in alert.paged_steps:
            return None
        on_call = resolve_on_call(at)
        target = coach_id or on_call.primary
        page = Page(
            alert_id=alert.alert_id,
            step=step,
            coach_id=target,
            severity=alert.level,
            subject=f"Moodline {alert.level.upper()} alert: {client.display_name}"
            + (" (escalated)" if step.startswith("escalation") else ""),
            body=self._page_body(alert, client, target, at),
        )
        self._publish(page=asdict(page))
        source = on_call.source if coach_id is None else "escalation"

        def record(fresh: store.Alert) -> bool:
            if step in fresh.paged_steps:
                return False
            fresh.paged_to = target
            fresh.paged_steps = [*fresh.paged_steps, step]
            fresh.timeline = [*fresh.timeline, *([why] if why else []),
                              _entry(at, "paged", f"{target} ({source}), step {step}")]
            return True

        store.update_alert(alert.alert_id, record)
        logger.info("alert paged", alert_id=alert.alert_id, coach_id=target, step=step)
        return target

    def _page_body(self, alert: store.Alert, client: store.Client, coach_id: str, at: datetime) -> str:
        # The page names the client and the rules that fired, never the message text or phone
        # number: pages travel over SMS and e-mail. The coach reads the reply with the CLI.
        lines = [
            f"{alert.level.upper()}: {client.display_name} (client {client.client_id}) needs a human.",
            f"Why: {', '.join(alert.reasons)}.",
            f"Acknowledge: text ACK {alert.ack_code}",
        ]
        if self._public_base_url and self._link_key is not None:
            key = self._link_key()
            ack = AlertLink.for_page("ack", alert.alert_id, coach_id, at).url(self._public_base_url, key)
            resolve = AlertLink.for_page("resolve", alert.alert_id, coach_id, at).url(self._public_base_url, key)
            lines += [f"or open {ack}", f"Resolve (after speaking with the client): {resolve}"]
        lines += [f"Details: moodline alert show {alert.alert_id}", f"Their own coach is {client.coach_id}."]
        return "\n".join(lines)

    def _publish_once(self, page: dict[str, Any]) -> dict[str, Any]:
        message_id = self._pager.publish(Page(**page))
        metrics.add_metric(name="PagesPublished", unit="Count", value=1)
        return {"published": True, "message_id": message_id}

    # --- escalation -------------------------------------------------------------------------

    def escalate_due(self, now: datetime) -> list[tuple[str, str]]:
        """Escalate every unacknowledged alert whose wait is over; returns (alert_id, coach paged).

        The page goes out first (idempotent on its step), then the alert moves on: a failure in
        between re-runs the same step next minute instead of skipping it.
        """
        escalated: list[tuple[str, str]] = []
        failures = 0
        for alert in store.find_due_escalations(now):
            # One bad alert must not hold back the escalation of every alert behind it.
            try:
                target = self._escalate(alert, now)
            except Exception:
                logger.exception("escalation failed", alert_id=alert.alert_id)
                metrics.add_metric(name="EscalationFailed", unit="Count", value=1)
                failures += 1
                continue
            if target is not None:
                escalated.append((alert.alert_id, target))
        if failures:
            raise RuntimeError(f"{failures} escalation(s) failed; the next run retries them")
        return escalated

    def _escalate(self, alert: store.Alert, now: datetime) -> str | None:
        """Page the next step of one overdue alert, then move its clock on; returns the coach paged."""
        client = store.get_client(alert.client_id)
        if client is None or alert.status != "open":
            store.update_alert(alert.alert_id, _stop_escalating)
            return None
        step = int(alert.escalation_step) + 1
        target = escalation_target(step, resolve_on_call(now))
        why = _entry(now, "escalated", f"step {step}: {target}, not acknowledged")
        # A re-triggered alert starts its escalation again: the step key names the round.
        round_key = len(alert.retriggers)
        self.page(alert, client, now, step=f"escalation-{round_key}-{step}", coach_id=target, why=why)

        def advance(fresh: store.Alert) -> bool:
            if fresh.status != "open" or int(fresh.escalation_step) >= step:
                return False  # acknowledged meanwhile, or another run advanced it
            due_at = from_iso(fresh.escalate_at or to_iso(now))
            fresh.escalation_step = step
            fresh.escalate_at = to_iso(max(due_at, now) + self.policy.delay(fresh.level))
            return True

        store.update_alert(alert.alert_id, advance)
        metrics.add_metric(name="AlertsEscalated", unit="Count", value=1)
        return target


def _stop_escalating(alert: store.Alert) -> bool:
    changed = alert.pending is not None
    alert.pending = None
    alert.escalate_at = None
    return changed


# --- acknowledgement and resolution: no pager needed, so the webhook and the CLI use them too -------


def acknowledge_alert(alert_id: str, *, by: str, via: str, at: datetime) -> store.Alert:
    """Acknowledge an alert (idempotent): escalation stops; the alert stays open until resolved."""

    def acknowledge(alert: store.Alert) -> bool:
        if alert.status != "open":
            return False
        alert.status = "acknowledged"
        alert.acknowledged_by, alert.acknowledged_at = by, to_iso(at)
        _stop_escalating(alert)
        alert.timeline = [*alert.timeline, _entry(at, "acknowledged", f"by {by} via {via}")]
        return True

    alert = store.update_alert(alert_id, acknowledge)
    if alert is None:
        raise AlertError("no such alert")
    if alert.acknowledged_by == by and alert.acknowledged_at == to_iso(at):
        metrics.add_metric(name="AlertsAcknowledged", unit="Count", value=1)
        logger.info("alert acknowledged", alert_id=alert_id, coach_id=by, via=via)
    return alert


def acknowledge_by_code(code: str, *, by: str, at: datetime) -> store.Alert:
    """Acknowledge the pending alert whose page carried ``code`` (a coach texting ``ACK 123456``)."""
    matches = [alert_id for pending, alert_id in store.pending_ack_codes().items()
               if hmac.compare_digest(pending.encode(), code.encode())]
    if len(matches) != 1:
        raise AlertError(f"no open alert with code {code}")
    return acknowledge_alert(matches[0], by=by, via="sms", at=at)


def resolve_alert(alert_id: str, *, by: str, outcome: str, at: datetime, note: str = "") -> store.Alert:
    """Close the episode with its outcome; the next risky reply opens a new alert."""
    if outcome not in OUTCOMES:
        raise AlertError(f"outcome must be one of {', '.join(OUTCOMES)}")

    def resolve(alert: store.Alert) -> bool:
        if alert.status == "resolved":
            return False
        if alert.status == "open":
            alert.timeline = [*alert.timeline, _entry(at, "acknowledged", f"by {by} via resolve")]
            alert.acknowledged_by, alert.acknowledged_at = by, to_iso(at)
        alert.status, alert.outcome = "resolved", outcome
        alert.resolved_by, alert.resolved_at = by, to_iso(at)
        _stop_escalating(alert)
        detail = f"{outcome} by {by}" + (f": {note[:200]}" if note else "")
        alert.timeline = [*alert.timeline, _entry(at, "resolved", detail)]
        return True

    alert = store.update_alert(alert_id, resolve)
    if alert is None:
        raise AlertError("no such alert")
    store.close_episode(alert)
    metrics.add_metric(name="AlertsResolved", unit="Count", value=1)
    return alert
