"""The alert state machine's invariants, over any sequence of events (hypothesis).

- never nobody paged: every page has a target, whoever is (or is not) on call;
- an acknowledgement is never overwritten: once on the timeline it stays there, and only a new
  risky reply (a re-trigger) or a resolve moves an acknowledged alert on;
- severity never silently falls: the level never drops, and every rise is on the timeline;
- resolve is final for the episode: nothing changes a resolved alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moodline import alerting
from moodline.alerting import AlertError, EscalationPolicy
from moodline.domain import Alert, Client, Shift
from moodline.triage.model import Level
from moodline.vocabulary import TEAM, AlertEvent, AlertStatus, Outcome, Rota, Via

START = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
POLICY = EscalationPolicy()
CLIENT = Client("cl_1", "c3", "Ben", "+15550100002", "h", "America/New_York", "09:00", "2026-11-01T00:00:00.000Z")
PAGING_LEVELS = st.sampled_from([Level.HIGH, Level.CRISIS])


@dataclass(frozen=True)
class Reply:
    level: Level
    key: int


@dataclass(frozen=True)
class Escalate:
    pass


@dataclass(frozen=True)
class Page:
    step: str
    target: str


@dataclass(frozen=True)
class Acknowledge:
    by: str


@dataclass(frozen=True)
class Resolve:
    outcome: Outcome


EVENTS = st.one_of(
    st.builds(Reply, PAGING_LEVELS, st.integers(0, 5)),
    st.just(Escalate()),
    st.builds(Page, st.sampled_from(["high", "crisis", "escalation-0-1"]), st.sampled_from(["c1", "c2", TEAM])),
    st.builds(Acknowledge, st.sampled_from(["c1", "c2"])),
    st.builds(Resolve, st.sampled_from(list(Outcome))),
)


def _raised(level: Level) -> Alert:
    return alerting.raise_alert(alert_id="al_1", client=CLIENT, level=level, rules=["r"], reply_key="reply-start",
                                ack_code="123456", at=START, policy=POLICY)


def _apply(alert: Alert, event: object, at: datetime) -> Alert:
    """One transition; None from the machine means 'does not apply': the alert stays as it was."""
    changed: Alert | None
    if isinstance(event, Reply):
        if alert.status is AlertStatus.RESOLVED:
            with pytest.raises(AlertError):
                alerting.add_reply(alert, reply_key=f"r{event.key}", level=event.level, rules=["r"], at=at,
                                   policy=POLICY)
            return alert
        changed = alerting.add_reply(alert, reply_key=f"r{event.key}", level=event.level, rules=["r"], at=at,
                                     policy=POLICY).alert
    elif isinstance(event, Escalate):
        changed = alerting.advance_escalation(alert, step=alert.escalation_step + 1, now=at, policy=POLICY)
    elif isinstance(event, Page):
        changed = alerting.record_page(alert, step=event.step, target=event.target, source="rota", at=at)
    elif isinstance(event, Acknowledge):
        changed = alerting.acknowledge(alert, by=event.by, via=Via.SMS, at=at)
    else:
        assert isinstance(event, Resolve)
        changed = alerting.resolve(alert, by="c1", outcome=event.outcome, at=at)
    return alert if changed is None else changed


@given(PAGING_LEVELS, st.lists(EVENTS, max_size=25))
def test_the_invariants_hold_over_any_sequence_of_events(level, events):
    alert = _raised(level)
    at = START
    for event in events:
        at += timedelta(minutes=1)
        before = alert
        alert = _apply(before, event, at)

        # The timeline only grows: nothing that happened is ever rewritten or lost
        assert alert.timeline[: len(before.timeline)] == before.timeline

        # Severity never falls, and a rise is never silent
        assert alert.level.rank >= before.level.rank
        if alert.level is not before.level:
            assert alert.timeline[-1].event is AlertEvent.RAISED_SEVERITY or any(
                e.event is AlertEvent.RAISED_SEVERITY for e in alert.timeline[len(before.timeline):])

        # Resolve is final for the episode
        if before.status is AlertStatus.RESOLVED:
            assert alert == before

        # An acknowledgement is never overwritten: only a re-triggering reply or a resolve moves it on
        if before.status is AlertStatus.ACKNOWLEDGED and alert.status is not AlertStatus.ACKNOWLEDGED:
            assert isinstance(event, Reply | Resolve)
        if before.status is AlertStatus.ACKNOWLEDGED and isinstance(event, Escalate | Page | Acknowledge):
            assert (alert.status, alert.acknowledged_by, alert.acknowledged_at) == (
                before.status, before.acknowledged_by, before.acknowledged_at)

        # The escalation clock runs exactly while the alert waits for a human
        assert alert.pending is (alert.status is AlertStatus.OPEN)


SHIFT = st.builds(Shift, st.sampled_from(list(Rota)), st.just("2026-11-30T00:00:00.000Z"),
                  st.just("2026-12-07T00:00:00.000Z"), st.sampled_from(["c1", "c2", ""]),
                  st.one_of(st.none(), st.sampled_from(["c2", "c3", ""])))


@given(st.dictionaries(st.sampled_from(list(Rota)), SHIFT), st.integers(1, 10))
def test_never_nobody_is_paged_whoever_is_or_is_not_on_call(shifts, step):
    # Given any rota (none, a primary only, an override, empty names)
    on_call = POLICY.on_call(shifts.get)

    # Then the first page and every escalation step have a target
    assert on_call.primary
    assert POLICY.target(step, on_call)


def test_an_override_beats_the_rota_and_nobody_on_call_means_the_team():
    shifts = {Rota.PRIMARY: Shift(Rota.PRIMARY, "a", "z", "c1", "c2"),
              Rota.OVERRIDE: Shift(Rota.OVERRIDE, "a", "z", "c3")}
    assert POLICY.on_call(shifts.get).primary == "c3"
    assert POLICY.on_call({}.get).primary == TEAM


def test_escalation_pages_the_backup_then_the_team():
    on_call = POLICY.on_call({Rota.PRIMARY: Shift(Rota.PRIMARY, "a", "z", "c1", "c2")}.get)
    assert [POLICY.target(step, on_call) for step in (1, 2, 3)] == ["c2", TEAM, TEAM]
    no_backup = POLICY.on_call({Rota.PRIMARY: Shift(Rota.PRIMARY, "a", "z", "c1")}.get)
    assert POLICY.target(1, no_backup) == TEAM


def test_a_rise_to_crisis_shortens_the_wait_and_a_fall_does_not_lower_the_level():
    high = _raised(Level.HIGH)
    rose = alerting.add_reply(high, reply_key="r1", level=Level.CRISIS, rules=["x"], at=START + timedelta(minutes=1),
                              policy=POLICY)
    assert rose.event is AlertEvent.RAISED_SEVERITY and rose.step == "crisis"
    assert rose.alert.escalate_at == "2026-11-30T13:06:00.000Z"
    fell = alerting.add_reply(rose.alert, reply_key="r2", level=Level.HIGH, rules=["y"],
                              at=START + timedelta(minutes=2), policy=POLICY)
    assert fell.alert.level is Level.CRISIS and fell.event is AlertEvent.APPENDED and fell.step == "crisis"


def test_a_redelivered_reply_changes_nothing_and_calls_for_the_same_step():
    alert = _raised(Level.HIGH)
    again = alerting.add_reply(alert, reply_key="reply-start", level=Level.CRISIS, rules=["x"], at=START,
                               policy=POLICY)
    assert again.changed is False and again.alert == alert and again.step == "high"


def test_a_retrigger_restarts_escalation_with_its_own_page_step():
    acked = alerting.acknowledge(_raised(Level.CRISIS), by="c1", via=Via.LINK, at=START)
    assert acked is not None and not acked.pending
    again = alerting.add_reply(acked, reply_key="r9", level=Level.HIGH, rules=["x"], at=START + timedelta(hours=1),
                               policy=POLICY)
    assert again.event is AlertEvent.RETRIGGERED and again.step == "retrigger:r9"
    assert again.alert.status is AlertStatus.OPEN and again.alert.escalation_step == 0
    assert alerting.escalation_round(again.alert) == 1


def test_resolving_an_open_alert_acknowledges_it_first():
    resolved = alerting.resolve(_raised(Level.HIGH), by="c2", outcome=Outcome.FOLLOW_UP, at=START, note="called")
    assert resolved is not None
    assert [e.event for e in resolved.timeline][-2:] == [AlertEvent.ACKNOWLEDGED, AlertEvent.RESOLVED]
    assert resolved.acknowledged_by == "c2" and resolved.outcome is Outcome.FOLLOW_UP
    assert alerting.resolve(resolved, by="c1", outcome=Outcome.FALSE_ALARM, at=START) is None


def test_an_unknown_outcome_is_refused():
    with pytest.raises(AlertError):
        alerting.parse_outcome("meh")
