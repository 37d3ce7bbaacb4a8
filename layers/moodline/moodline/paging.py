"""Alerts and pages: who is on call, one alert per episode, escalation until a human acknowledges.

An alert's life, every step on its timeline::

    raised ─► paged (on call) ─► [no ack in 5 min (crisis) / 30 min (high)] ─► escalated: backup
        ─► [no ack] ─► escalated: whole team ─► [no ack] ─► team again … until
    acknowledged (link or "ACK <code>") ─► resolved with an outcome (true/false alarm, follow-up)

The transitions themselves are pure, in :mod:`moodline.alerting`; this module decides when to
apply them, pages, and has the repository persist what they return.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from moodline import alerting
from moodline.alerting import AlertError, EscalationPolicy, OnCall
from moodline.domain import Alert, Client, Page, TimelineEntry, new_id
from moodline.links import AlertLink, link_lifetime, workspace_alert_url
from moodline.observability import logger, metrics
from moodline.ports import Alerts, Claims, Clients, Coaches, OncePerKey, Pager, PagerSubscriptions
from moodline.ports import OnCall as OnCallRepository
from moodline.schedule import to_iso
from moodline.triage.model import Assessment, Level
from moodline.vocabulary import TEAM, AlertEvent, AlertStatus, Via

PAGE_KEY_SECONDS = 7 * 24 * 3600

# ACK codes are 8 digits. Only a coach's phone can try one; a phone is locked out after 5 wrong
# codes in 15 minutes, and a code acknowledges only for a coach the alert was paged to. 8 digits
# keep a guess at 1 in 10^8 per pending code (about 1 in 20,000 per phone-day at the lockout rate
# with ten alerts pending, where 6 digits gave 1 in 200) and still read and type as one number.
ACK_CODE_DIGITS = 8
ACK_CODE_LIFETIME = timedelta(days=30)  # a backstop: resolve releases the code
BAD_ACK_LIMIT = 5
BAD_ACK_WINDOW = timedelta(minutes=15)
CRISIS_UNACKNOWLEDGED_AFTER = timedelta(minutes=15)

SEVERITY_WORDS = {
    Level.CRISIS: "CRISIS - may be in danger now",
    Level.HIGH: "HIGH - very low mood or distress",
    Level.MODERATE: "moderate - low mood",
    Level.LOW: "low",
}

__all__ = ["AckLockedOut", "AlertActions", "AlertDesk", "AlertError", "EscalationPolicy", "OnCall", "PagerCheck"]


class AckLockedOut(AlertError):
    """Too many wrong ACK codes from one phone: it may not try again for a while."""


def ack_code_key(code: str) -> str:
    return f"ack#{code}"


def _new_ack_code() -> str:
    return f"{secrets.randbelow(10**ACK_CODE_DIGITS):0{ACK_CODE_DIGITS}d}"


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
        claims: Claims,
        coaches: Coaches,
        policy: EscalationPolicy | None = None,
        public_base_url: str = "",
        link_key: Callable[[], bytes] | None = None,
    ) -> None:
        self._alerts = alerts
        self._clients = clients
        self._claims = claims
        self._coaches = coaches
        self._on_call = on_call
        self._pager = pager
        self._public_base_url = public_base_url
        self._link_key = link_key
        self.policy = policy or EscalationPolicy()
        self._publish = once(
            self._publish_once,
            key_prefix="page",
            data_keyword="page",
            # One page per step and coach: a team step is one page per coach, each signed for them.
            key_jmespath="[alert_id, step, coach_id]",
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
            alert_id = new_id("al", at)
            alert = alerting.raise_alert(
                alert_id=alert_id, client=client, level=assessment.level, rules=rules,
                reply_key=reply_key, ack_code=self._claim_ack_code(alert_id, at), at=at, policy=self.policy,
            )
            if self._alerts.open_episode(alert, replacing=client.open_alert_id):
                metrics.add_metric(name=f"Alerts{alert.level.value.title()}", unit="Count", value=1)
                return alert, AlertEvent.RAISED, alert.level.value
            self._claims.release(ack_code_key(alert.ack_code), alert.alert_id)
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

    def _claim_ack_code(self, alert_id: str, at: datetime) -> str:
        """A code no other alert holds, claimed by a conditional write: ``ACK <code>`` names one alert."""
        for _ in range(20):
            code = _new_ack_code()
            if self._claims.claim(ack_code_key(code), alert_id, now=at, expires_at=at + ACK_CODE_LIFETIME):
                return code
        raise RuntimeError("no free ACK code after 20 draws; retry")

    # --- paging -----------------------------------------------------------------------------

    def page(self, alert: Alert, client: Client, at: datetime, *, step: str,
             coach_id: str | None = None, why: TimelineEntry | None = None) -> str | None:
        """Page ``coach_id`` (default: whoever is on call at ``at``) for ``step`` of ``alert``, once.

        ``why`` goes on the timeline just before the page (an escalation says why it pages).
        Returns the coach paged, or None when this step was already paged.
        """
        if step in alert.paged_steps:
            return None
        if coach_id is None:  # an escalation names its target: the rota is read only when nobody is named
            on_call = self.on_call_at(at)
            target, source = on_call.primary, on_call.source
        else:
            target, source = coach_id, "escalation"
        # The team is paged one coach at a time, so each page's link is signed for its reader.
        recipients = [c.coach_id for c in self._coaches.all()] if target == TEAM else [target]
        recipients = recipients or [TEAM]  # no coach on file: one page the whole topic receives
        subject = f"Moodline {alert.level.value.upper()} alert: {client.display_name}" + (
            " (escalated)" if step.startswith("escalation") else "")
        for recipient in recipients:
            page = Page(alert_id=alert.alert_id, step=step, coach_id=recipient, severity=alert.level.value,
                        subject=subject, body=self.page_body(alert, client, recipient, at))
            self._publish(page=asdict(page))
        self._alerts.update(alert.alert_id, lambda fresh: alerting.record_page(
            fresh, step=step, target=target, source=source, at=at, why=why, coaches=recipients))
        logger.info("alert paged", alert_id=alert.alert_id, coach_id=target, step=step, pages=len(recipients))
        return target

    def page_body(self, alert: Alert, client: Client, coach_id: str, at: datetime) -> str:
        """What a page says: short, and safe on a lock screen or a forwarded e-mail.

        The client's name, the severity in words, the ACK code, the one-tap link and the workspace
        link. Never the message text, a phone number or rule ids: pages travel over SMS and e-mail,
        and the workspace shows the rest after sign-in.
        """
        lines = [f"{SEVERITY_WORDS.get(alert.level, alert.level.value)}: {client.display_name} needs a human.",
                 f"Acknowledge: text ACK {alert.ack_code}"]
        if self._public_base_url and self._link_key is not None and coach_id != TEAM:
            link = AlertLink.for_page("ack", alert.alert_id, coach_id, at, round=alerting.escalation_round(alert),
                                      lifetime=link_lifetime(alert.level.value))
            lines.append(f"or tap {link.url(self._public_base_url, self._link_key())}")
        if self._public_base_url:
            lines.append(f"Open (sign in): {workspace_alert_url(self._public_base_url, alert.alert_id)}")
        return "\n".join(lines)

    def _publish_once(self, page: dict[str, Any]) -> dict[str, Any]:
        message_id = self._pager.publish(Page(**page))
        metrics.add_metric(name="PagesPublished", unit="Count", value=1)
        return {"published": True, "message_id": message_id}

    # --- escalation -------------------------------------------------------------------------

    def run(self, now: datetime) -> tuple[int, list[tuple[str, str]]]:
        """The escalate function's minute: report the crisis alerts waiting too long, then escalate the due
        ones, from one read of the pending alerts. Reporting goes first, so a failing escalation still
        reports who is waiting. Returns (overdue crisis alerts, escalations)."""
        pending = self._alerts.pending()
        return self.report_unacknowledged(now, pending), self.escalate_due(now, pending)

    def escalate_due(self, now: datetime, pending: Sequence[Alert] | None = None) -> list[tuple[str, str]]:
        """Escalate every unacknowledged alert whose wait is over; returns (alert_id, coach paged).

        The page goes out first (idempotent on its step), then the alert moves on: a failure in
        between re-runs the same step next minute instead of skipping it. Oldest wait first.
        """
        escalated: list[tuple[str, str]] = []
        failures = 0
        waiting = self._alerts.pending() if pending is None else pending
        due = sorted((a for a in waiting if a.escalate_at is not None and a.escalate_at <= to_iso(now)),
                     key=lambda a: a.escalate_at or "")
        for alert in due:
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

    def report_unacknowledged(self, now: datetime, pending: Sequence[Alert] | None = None) -> int:
        """Emit ``CrisisUnacknowledgedOver15Min``: pending crisis alerts waiting over 15 minutes (0 too).

        Emitted on every escalate run, zero included, so its alarm sees data whenever escalate runs.
        """
        waiting = self._alerts.pending() if pending is None else pending
        overdue = sum(1 for alert in waiting if alert.level is Level.CRISIS
                      and now - alerting.waiting_since(alert) > CRISIS_UNACKNOWLEDGED_AFTER)
        metrics.add_metric(name="CrisisUnacknowledgedOver15Min", unit="Count", value=overdue)
        if overdue:
            logger.warning("crisis alerts unacknowledged over 15 minutes", count=overdue)
        return overdue

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

    def __init__(self, alerts: Alerts, claims: Claims) -> None:
        self._alerts = alerts
        self._claims = claims

    def get(self, alert_id: str) -> Alert:
        alert = self._alerts.get(alert_id)
        if alert is None:
            raise AlertError("no such alert")
        return alert

    def acknowledge(self, alert_id: str, *, by: str, via: Via, at: datetime, round: int | None = None) -> Alert:
        """Acknowledge an alert (idempotent): escalation stops; the alert stays open until resolved.

        ``round``: the page round a signed link was made for; a stale round raises :class:`AlertError`.
        """
        acknowledged: list[Alert] = []

        def acknowledge(fresh: Alert) -> Alert | None:
            changed = alerting.acknowledge(fresh, by=by, via=via, at=at, round=round)
            acknowledged[:] = [fresh] if changed is not None else []
            return changed

        alert = self._alerts.update(alert_id, acknowledge)
        if alert is None:
            raise AlertError("no such alert")
        if acknowledged:
            self._acknowledged(acknowledged[0], by=by, via=via, at=at)
        return alert

    @staticmethod
    def _acknowledged(waiting: Alert, *, by: str, via: Via, at: datetime) -> None:
        waited = max(0.0, (at - alerting.waiting_since(waiting)).total_seconds())
        metrics.add_metric(name="AlertsAcknowledged", unit="Count", value=1)
        metrics.add_metric(name="TimeToAcknowledge", unit="Seconds", value=waited)
        logger.info("alert acknowledged", alert_id=waiting.alert_id, coach_id=by, via=via.value,
                    seconds_to_acknowledge=round(waited))

    def acknowledge_by_code(self, code: str, *, by: str, at: datetime) -> Alert:
        """Acknowledge the alert whose page carried ``code`` (coach ``by`` texting ``ACK 12345678``).

        The code must belong to an alert that paged ``by`` (or the team); 5 wrong codes in 15
        minutes lock the coach's phone out for the rest of that window. Each wrong code emits
        ``BadAckCode``.
        """
        tally_key = f"ackfail#{by}"
        if self._claims.count(tally_key, now=at) >= BAD_ACK_LIMIT:
            self._bad_code(tally_key, by=by, at=at, reason="locked_out")
            raise AckLockedOut("too many wrong codes: try again in 15 minutes, or use the link in the page")
        alert_id = self._claims.owner(ack_code_key(code), now=at) if code.isdigit() else None
        alert = self._alerts.get(alert_id) if alert_id else None
        if alert is None or alert.status is AlertStatus.RESOLVED or not alerting.may_acknowledge_by_code(alert, by):
            self._bad_code(tally_key, by=by, at=at, reason="no_alert" if alert is None else "not_paged")
            raise AlertError(f"no open alert paged to you has code {code}")
        return self.acknowledge(alert.alert_id, by=by, via=Via.SMS, at=at)

    def _bad_code(self, tally_key: str, *, by: str, at: datetime, reason: str) -> None:
        failures = self._claims.tally(tally_key, now=at, window=BAD_ACK_WINDOW)
        metrics.add_metric(name="BadAckCode", unit="Count", value=1)
        logger.warning("bad ACK code", coach_id=by, reason=reason, failures_in_window=failures)

    def note_client_keyword(self, alert_id: str, *, keyword: str, reply_key: str, at: datetime) -> Alert | None:
        """Put a keyword the client texted during an episode on its timeline (None: no such alert)."""
        return self._alerts.update(alert_id, lambda fresh: alerting.note_client_keyword(
            fresh, keyword=keyword, reply_key=reply_key, at=at))

    def resolve(self, alert_id: str, *, by: str, outcome: str, at: datetime, note: str = "") -> Alert:
        """Close the episode with its outcome; the next risky reply opens a new alert."""
        chosen = alerting.parse_outcome(outcome)
        before: list[Alert] = []

        def resolve(fresh: Alert) -> Alert | None:
            before[:] = [fresh]
            return alerting.resolve(fresh, by=by, outcome=chosen, at=at, note=note)

        alert = self._alerts.update(alert_id, resolve)
        if alert is None:
            raise AlertError("no such alert")
        self._alerts.close_episode(alert)
        if before and before[0].status is AlertStatus.OPEN and alert.status is AlertStatus.RESOLVED:
            self._acknowledged(before[0], by=by, via=Via.RESOLVE, at=at)
        self._claims.release(ack_code_key(alert.ack_code), alert.alert_id)  # the code may serve another alert
        metrics.add_metric(name="AlertsResolved", unit="Count", value=1)
        return alert


class PagerCheck:
    """Every coach still has a confirmed pager subscription that delivers their pages (issue 8 §9)."""

    def __init__(self, coaches: Coaches, subscriptions: PagerSubscriptions) -> None:
        self._coaches = coaches
        self._subscriptions = subscriptions

    def run(self) -> list[str]:
        """The coaches nobody's pager would reach; emits ``PagerSubscriptionsMissing`` (0 included)."""
        reached = self._subscriptions.confirmed_coaches()
        missing = sorted(c.coach_id for c in self._coaches.all() if c.coach_id not in reached)
        metrics.add_metric(name="PagerSubscriptionsMissing", unit="Count", value=len(missing))
        if missing:
            logger.warning("coaches without a confirmed pager subscription", coach_ids=missing)
        return missing
