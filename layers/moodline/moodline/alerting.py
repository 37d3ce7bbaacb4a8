"""The alert state machine: pure transitions of an :class:`~moodline.domain.Alert`, and the escalation policy.

Nothing here reads a clock, a table or a pager. Each transition takes an alert and returns the
alert it becomes, or None when it does not apply (so a retried or concurrent call changes
nothing). :mod:`moodline.paging` decides *when* to call them; the store only persists what they
return. The states::

            raise                        acknowledge                       resolve
    (none) ───────► OPEN ─────────────────────────► ACKNOWLEDGED ─────────────────► RESOLVED (final)
                    │  ▲  page, escalate (clock runs)    │ risky reply: re-trigger      ▲
                    │  └─────────────────────────────────┘                              │
                    └───────────────────────────────────────────────────────────────────┘ resolve

Within an episode a reply may append, raise the severity (never lower it) or re-trigger an
acknowledged alert; a resolved alert never changes again, and the next risky reply opens a new one.
The invariants are checked with hypothesis in ``tests/unit/test_alerting.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from moodline.domain import Alert, Client, Shift, TimelineEntry
from moodline.schedule import from_iso, to_iso
from moodline.triage.model import Level
from moodline.vocabulary import TEAM, AlertEvent, AlertStatus, Outcome, Rota, Via


class AlertError(ValueError):
    """An alert action that cannot apply (unknown alert, bad outcome, wrong code)."""


@dataclass(frozen=True)
class OnCall:
    """Who to page at an instant, and where that answer came from."""

    primary: str
    backup: str | None
    source: str  # a Rota, or "team" when nobody is on call


@dataclass(frozen=True)
class EscalationPolicy:
    """The whole escalation policy, one value: waits per severity, rota precedence, and who each step pages."""

    crisis: timedelta = timedelta(minutes=5)
    high: timedelta = timedelta(minutes=30)
    rotas: tuple[Rota, ...] = field(default=(Rota.OVERRIDE, Rota.PRIMARY))

    def delay(self, level: Level) -> timedelta:
        """How long an unacknowledged page waits before the next step."""
        return self.crisis if level is Level.CRISIS else self.high

    def on_call(self, shift_of: Callable[[Rota], Shift | None]) -> OnCall:
        """The first rota with a shift wins; nobody on call means the whole team. Never nobody."""
        for rota in self.rotas:
            shift = shift_of(rota)
            if shift is not None and shift.primary_coach_id:
                return OnCall(shift.primary_coach_id, shift.backup_coach_id or None, rota.value)
        return OnCall(TEAM, None, "team")

    def target(self, step: int, on_call: OnCall) -> str:
        """Step 1 pages the backup (or the team when there is none); every later step pages the team."""
        if step == 1 and on_call.backup:
            return on_call.backup
        return TEAM


def entry(at: datetime, event: AlertEvent, detail: str = "") -> TimelineEntry:
    return TimelineEntry(at=to_iso(at), event=event, detail=detail)


def rule_ids(rules: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(rules)))


# --- raising and replies ------------------------------------------------------------------------


def raise_alert(*, alert_id: str, client: Client, level: Level, rules: Iterable[str], reply_key: str,
                ack_code: str, at: datetime, policy: EscalationPolicy) -> Alert:
    """A new episode, waiting for a page to be acknowledged."""
    reasons = rule_ids(rules)
    return Alert(
        alert_id=alert_id,
        client_id=client.client_id,
        coach_id=client.coach_id,
        level=level,
        opened_at=to_iso(at),
        ack_code=ack_code,
        reasons=reasons,
        replies=(reply_key,),
        timeline=(entry(at, AlertEvent.RAISED, f"{level.value}: {', '.join(reasons)}"),),
        escalate_at=to_iso(at + policy.delay(level)),
    )


def note_client_keyword(alert: Alert, *, keyword: str, reply_key: str, at: datetime) -> Alert | None:
    """A keyword (STOP, HELP…) texted during the episode: on its replies and its timeline, severity unchanged.

    A resolved episode is final: the coach is told, but it is not reopened.
    """
    if alert.status is AlertStatus.RESOLVED or reply_key in alert.replies:
        return None
    return replace(alert, replies=(*alert.replies, reply_key),
                   timeline=(*alert.timeline, entry(at, AlertEvent.APPENDED, f"client texted {keyword.upper()}")))


@dataclass(frozen=True)
class ReplyAdded:
    """What one risky reply did to the open episode, and the page step it calls for."""

    alert: Alert
    event: AlertEvent
    step: str
    changed: bool


def page_step(alert: Alert, reply_key: str) -> str:
    """One page per severity of the episode, plus one per reply that re-triggered it."""
    return f"retrigger:{reply_key}" if reply_key in alert.retriggers else alert.level.value


def add_reply(alert: Alert, *, reply_key: str, level: Level, rules: Iterable[str], at: datetime,
              policy: EscalationPolicy) -> ReplyAdded:
    """Add a risky reply to the episode: append, raise the severity, or re-trigger an acknowledged alert.

    Severity may rise but never silently falls; a redelivered reply changes nothing and calls for
    the same step as the first time. A resolved alert takes no replies: the caller opens a new one.
    """
    if alert.status is AlertStatus.RESOLVED:
        raise AlertError("a resolved alert takes no replies: open a new episode")
    if reply_key in alert.replies:
        return ReplyAdded(alert, AlertEvent.APPENDED, page_step(alert, reply_key), changed=False)
    event = AlertEvent.APPENDED
    new_level = alert.level
    entries = []
    if level.rank > alert.level.rank:
        new_level, event = level, AlertEvent.RAISED_SEVERITY
        entries.append(entry(at, AlertEvent.RAISED_SEVERITY, level.value))  # a rise is never silent
    changed = replace(alert, replies=(*alert.replies, reply_key), reasons=rule_ids((*alert.reasons, *rules)),
                      level=new_level)
    if alert.status is AlertStatus.ACKNOWLEDGED:
        # As a pager would: a risky reply after an acknowledgement pages again and escalates.
        changed = replace(changed, status=AlertStatus.OPEN, escalation_step=0,
                          escalate_at=to_iso(at + policy.delay(new_level)),
                          retriggers=(*alert.retriggers, reply_key))
        event = AlertEvent.RETRIGGERED
    elif event is AlertEvent.RAISED_SEVERITY and alert.escalate_at is not None:
        # A rise to crisis shortens the wait before escalation; it never lengthens it.
        changed = replace(changed, escalate_at=min(alert.escalate_at, to_iso(at + policy.delay(new_level))))
    if event is not AlertEvent.RAISED_SEVERITY:
        entries.append(entry(at, event, level.value))
    changed = replace(changed, timeline=(*changed.timeline, *entries))
    return ReplyAdded(changed, event, page_step(changed, reply_key), changed=True)


# --- paging and escalation ----------------------------------------------------------------------


def record_page(alert: Alert, *, step: str, target: str, source: str, at: datetime,
                why: TimelineEntry | None = None, coaches: Iterable[str] = ()) -> Alert | None:
    """Put a page on the timeline (after it went out); None if this step is already recorded.

    ``coaches`` are the coaches it reached (a team page goes to each coach): they may acknowledge
    by code from then on.

    A page that went out while a coach resolved the alert stays in the log, not on the timeline:
    resolve is final for the episode.
    """
    if step in alert.paged_steps or not target or alert.status is AlertStatus.RESOLVED:
        return None
    reached = tuple(dict.fromkeys((*alert.paged_coaches, *(coaches or (target,)))))
    return replace(alert, paged_to=target, paged_steps=(*alert.paged_steps, step), paged_coaches=reached,
                   timeline=(*alert.timeline, *([why] if why else []),
                             entry(at, AlertEvent.PAGED, f"{target} ({source}), step {step}")))


def escalation_round(alert: Alert) -> int:
    """A re-triggered alert starts its escalation again: the page step names the round."""
    return len(alert.retriggers)


def may_acknowledge_by_code(alert: Alert, coach_id: str) -> bool:
    """Whether ``coach_id`` was paged for this alert (first page, escalation steps or the team)."""
    return coach_id in alert.paged_coaches or TEAM in alert.paged_coaches


def waiting_since(alert: Alert) -> datetime:
    """When the current wait for an acknowledgement began: the episode's opening or its last re-trigger."""
    starts = [e.at for e in alert.timeline if e.event in {AlertEvent.RAISED, AlertEvent.RETRIGGERED}]
    return from_iso(max(starts, default=alert.opened_at))


def advance_escalation(alert: Alert, *, step: int, now: datetime, policy: EscalationPolicy) -> Alert | None:
    """Move the escalation clock on after step ``step`` paged; None if acknowledged or already advanced."""
    if alert.status is not AlertStatus.OPEN or alert.escalation_step >= step:
        return None
    due_at = from_iso(alert.escalate_at or to_iso(now))
    return replace(alert, escalation_step=step, escalate_at=to_iso(max(due_at, now) + policy.delay(alert.level)))


def stop_escalating(alert: Alert) -> Alert | None:
    """Take the alert off the escalation clock; None if it was not on it."""
    return replace(alert, escalate_at=None) if alert.escalate_at is not None else None


# --- acknowledgement and resolution -------------------------------------------------------------


def acknowledge(alert: Alert, *, by: str, via: Via, at: datetime, round: int | None = None) -> Alert | None:
    """Escalation stops; the alert stays open until resolved. None if not waiting for one.

    ``round`` is the page round a link was signed for: a link from an earlier round is refused
    (raises :class:`AlertError`) rather than acknowledging a later re-trigger.
    """
    if round is not None and round != escalation_round(alert):
        raise AlertError("this link is from an earlier page of this alert; use the latest page")
    if alert.status is not AlertStatus.OPEN:
        return None
    return replace(alert, status=AlertStatus.ACKNOWLEDGED, acknowledged_by=by, acknowledged_at=to_iso(at),
                   escalate_at=None,
                   timeline=(*alert.timeline, entry(at, AlertEvent.ACKNOWLEDGED, f"by {by} via {via.value}")))


def resolve(alert: Alert, *, by: str, outcome: Outcome, at: datetime, note: str = "") -> Alert | None:
    """Close the episode with its outcome (acknowledging it first if nobody had). Final: None if resolved."""
    if alert.status is AlertStatus.RESOLVED:
        return None
    resolved = alert
    if alert.status is AlertStatus.OPEN:
        resolved = replace(alert, acknowledged_by=by, acknowledged_at=to_iso(at),
                           timeline=(*alert.timeline,
                                     entry(at, AlertEvent.ACKNOWLEDGED, f"by {by} via {Via.RESOLVE.value}")))
    detail = f"{outcome.value} by {by}" + (f": {note[:200]}" if note else "")
    return replace(resolved, status=AlertStatus.RESOLVED, outcome=outcome, resolved_by=by,
                   resolved_at=to_iso(at), escalate_at=None,
                   timeline=(*resolved.timeline, entry(at, AlertEvent.RESOLVED, detail)))


def parse_outcome(raw: str) -> Outcome:
    try:
        return Outcome(raw)
    except ValueError:
        raise AlertError(f"outcome must be one of {', '.join(o.value for o in Outcome)}") from None
