"""Alerts and pages: who is on call, one alert per episode, escalation until a human acknowledges.

An alert's life, every step on its timeline::

    raised ─► paged (on call) ─► [no ack in 5 min (crisis) / 30 min (high)] ─► escalated: backup
        ─► [no ack] ─► escalated: whole team ─► [no ack] ─► team again … until
    acknowledged (link or "ACK <code>") ─► resolved with an outcome (true/false alarm, follow-up)

The transitions themselves are pure, in :mod:`moodline.alerting`; this module decides when to
apply them, pages, and has the repository persist what they return.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Any

from moodline import alerting
from moodline.alerting import AlertError, EscalationPolicy, OnCall
from moodline.domain import Alert, Client, Page, TimelineEntry, new_id
from moodline.links import AlertLink
from moodline.observability import logger, metrics
from moodline.ports import Alerts, Clients, OncePerKey, Pager
from moodline.ports import OnCall as OnCallRepository
from moodline.triage.model import Assessment
from moodline.vocabulary import AlertEvent, AlertStatus, Via

PAGE_KEY_SECONDS = 7 * 24 * 3600

__all__ = ["AlertActions", "AlertDesk", "AlertError", "EscalationPolicy", "OnCall"]


def _unused_ack_code(taken: dict[str, str]) -> str:
    """Six digits no other waiting alert uses, so ``ACK <code>`` always names exactly one alert."""
    while (code := f"{secrets.randbelow(10**6):06d}") in taken:
        pass
    return code


class AlertDesk:
    """Opens, extends, pages and escalates alerts.

    Every page is idempotent on ``alert_id + step``: a retried invocation never pages twice for
    one step, and a half-done attempt (alert saved, page not sent) still pages on retry.
    """

    def __init__(
        self,
        *,
        alerts: Alerts,
        clients: Clients,
        on_call: OnCallRepository,
        pager: Pager,
        once: OncePerKey,
        policy: EscalationPolicy | None = None,
        public_base_url: str = "",
        link_key: Callable[[], bytes] | None = None,
    ) -> None:
        self._alerts = alerts
        self._clients = clients
        self._on_call = on_call
        self._pager = pager
        self._public_base_url = public_base_url
        self._link_key = link_key
        self.policy = policy or EscalationPolicy()
        self._publish = once(
            self._publish_once,
            key_prefix="page",
            data_keyword="page",
            key_jmespath="[alert_id, step]",
            expires_after_seconds=PAGE_KEY_SECONDS,
        )

    def on_call_at(self, at: datetime) -> OnCall:
        """The coaches on call at ``at``, by the policy's rota precedence; never nobody."""
        return self.policy.on_call(lambda rota: self._on_call.shift_at(rota, at))

    # --- raising ----------------------------------------------------------------------------

    def record_risk(self, client: Client, reply_key: str, assessment: Assessment,
                    at: datetime) -> tuple[Alert, AlertEvent, str]:
        """Open an alert for the client's episode, or add the reply to the current one.

        Returns the alert, what happened and the page step this reply calls for (see
        :func:`moodline.alerting.add_reply`).
        """
        rules = [reason.rule for reason in assessment.reasons]
        current = self._alerts.get(client.open_alert_id) if client.open_alert_id else None
        if current is None or current.status is AlertStatus.RESOLVED:
            alert = alerting.raise_alert(
                alert_id=new_id("al", at), client=client, level=assessment.level, rules=rules,
                reply_key=reply_key, ack_code=_unused_ack_code(self._alerts.pending_ack_codes()),
                at=at, policy=self.policy,
            )
            if self._alerts.open_episode(alert, replacing=client.open_alert_id):
                metrics.add_metric(name=f"Alerts{alert.level.value.title()}", unit="Count", value=1)
                return alert, AlertEvent.RAISED, alert.level.value
            # Another delivery opened the episode first: add to that one instead.
            refreshed = self._clients.get(client.client_id)
            current = self._alerts.get(refreshed.open_alert_id) if refreshed and refreshed.open_alert_id else None
            if current is None or current.status is AlertStatus.RESOLVED:
                raise RuntimeError("alert episode changed concurrently; retry")
        added: list[alerting.ReplyAdded] = []

        def add(fresh: Alert) -> Alert | None:
            added.append(alerting.add_reply(fresh, reply_key=reply_key, level=assessment.level, rules=rules,
                                            at=at, policy=self.policy))
            return added[-1].alert if added[-1].changed else None

        # Versioned: a concurrent acknowledgement makes the save fail, and the reply is re-applied.
        saved = self._alerts.update(current.alert_id, add)
        if saved is None:
            raise RuntimeError("alert vanished while adding a reply; retry")
        result = added[-1]
        return saved, result.event, result.step

    # --- paging -----------------------------------------------------------------------------

    def page(self, alert: Alert, client: Client, at: datetime, *, step: str,
             coach_id: str | None = None, why: TimelineEntry | None = None) -> str | None:
        """Page ``coach_id`` (default: whoever is on call at ``at``) for ``step`` of ``alert``, once.

        ``why`` goes on the timeline just before the page (an escalation says why it pages).
        Returns the coach paged, or None when this step was already paged.
        """
        if step in alert.paged_steps:
            return None
        on_call = self.on_call_at(at)
        target = coach_id or on_call.primary
        page = Page(
            alert_id=alert.alert_id,
            step=step,
            coach_id=target,
            severity=alert.level.value,
            subject=f"Moodline {alert.level.value.upper()} alert: {client.display_name}"
            + (" (escalated)" if step.startswith("escalation") else ""),
            body=self._page_body(alert, client, target, at),
        )
        self._publish(page=asdict(page))
        source = on_call.source if coach_id is None else "escalation"
        self._alerts.update(alert.alert_id, lambda fresh: alerting.record_page(
            fresh, step=step, target=target, source=source, at=at, why=why))
        logger.info("alert paged", alert_id=alert.alert_id, coach_id=target, step=step)
        return target

    def _page_body(self, alert: Alert, client: Client, coach_id: str, at: datetime) -> str:
        # The page names the client and the rules that fired, never the message text or phone
        # number: pages travel over SMS and e-mail. The coach reads the reply with the CLI.
        lines = [
            f"{alert.level.value.upper()}: {client.display_name} (client {client.client_id}) needs a human.",
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
        for alert in self._alerts.due_escalations(now):
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

    def _escalate(self, alert: Alert, now: datetime) -> str | None:
        """Page the next step of one overdue alert, then move its clock on; returns the coach paged."""
        client = self._clients.get(alert.client_id)
        if client is None or alert.status is not AlertStatus.OPEN:
            self._alerts.update(alert.alert_id, alerting.stop_escalating)
            return None
        step = alert.escalation_step + 1
        target = self.policy.target(step, self.on_call_at(now))
        why = alerting.entry(now, AlertEvent.ESCALATED, f"step {step}: {target}, not acknowledged")
        round_key = alerting.escalation_round(alert)
        self.page(alert, client, now, step=f"escalation-{round_key}-{step}", coach_id=target, why=why)
        self._alerts.update(alert.alert_id, lambda fresh: alerting.advance_escalation(
            fresh, step=step, now=now, policy=self.policy))
        metrics.add_metric(name="AlertsEscalated", unit="Count", value=1)
        return target


class AlertActions:
    """Acknowledge and resolve: no pager needed, so the webhook, the links and the CLI use them too."""

    def __init__(self, alerts: Alerts) -> None:
        self._alerts = alerts

    def get(self, alert_id: str) -> Alert:
        alert = self._alerts.get(alert_id)
        if alert is None:
            raise AlertError("no such alert")
        return alert

    def acknowledge(self, alert_id: str, *, by: str, via: Via, at: datetime) -> Alert:
        """Acknowledge an alert (idempotent): escalation stops; the alert stays open until resolved."""
        acknowledged: list[Alert] = []

        def acknowledge(fresh: Alert) -> Alert | None:
            changed = alerting.acknowledge(fresh, by=by, via=via, at=at)
            acknowledged[:] = [changed] if changed is not None else []
            return changed

        alert = self._alerts.update(alert_id, acknowledge)
        if alert is None:
            raise AlertError("no such alert")
        if acknowledged:
            metrics.add_metric(name="AlertsAcknowledged", unit="Count", value=1)
            logger.info("alert acknowledged", alert_id=alert_id, coach_id=by, via=via.value)
        return alert

    def acknowledge_by_code(self, code: str, *, by: str, at: datetime) -> Alert:
        """Acknowledge the pending alert whose page carried ``code`` (a coach texting ``ACK 123456``)."""
        matches = [alert_id for pending, alert_id in self._alerts.pending_ack_codes().items()
                   if hmac.compare_digest(pending.encode(), code.encode())]
        if len(matches) != 1:
            raise AlertError(f"no open alert with code {code}")
        return self.acknowledge(matches[0], by=by, via=Via.SMS, at=at)

    def note_client_keyword(self, alert_id: str, *, keyword: str, reply_key: str, at: datetime) -> Alert | None:
        """Put a keyword the client texted during an episode on its timeline (None: no such alert)."""
        return self._alerts.update(alert_id, lambda fresh: alerting.note_client_keyword(
            fresh, keyword=keyword, reply_key=reply_key, at=at))

    def resolve(self, alert_id: str, *, by: str, outcome: str, at: datetime, note: str = "") -> Alert:
        """Close the episode with its outcome; the next risky reply opens a new alert."""
        chosen = alerting.parse_outcome(outcome)
        alert = self._alerts.update(alert_id, lambda fresh: alerting.resolve(
            fresh, by=by, outcome=chosen, at=at, note=note))
        if alert is None:
            raise AlertError("no such alert")
        self._alerts.close_episode(alert)
        metrics.add_metric(name="AlertsResolved", unit="Count", value=1)
        return alert
