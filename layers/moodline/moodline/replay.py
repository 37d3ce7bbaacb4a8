"""Closing the loop: re-score stored replies with today's triage and measure each rule against outcomes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from moodline.ports import Alerts, Messages
from moodline.scoring import mood_history
from moodline.triage.engine import assess_reply
from moodline.vocabulary import Outcome

# A follow-up was still a reason to call the client: it counts with true alarms for precision.
USEFUL = {Outcome.TRUE_ALARM, Outcome.FOLLOW_UP}


@dataclass(frozen=True)
class ReplayCase:
    """One stored reply that was part of a resolved alert, with what the coach found."""

    alert_id: str
    text: str
    history: Sequence[float]
    outcome: str
    stored_level: str | None


@dataclass(frozen=True)
class RulePrecision:
    """How often a rule fired on alerts coaches resolved, and how often it was right to."""

    rule: str
    fired: int
    useful: int
    false_alarm: int

    @property
    def precision(self) -> float | None:
        judged = self.useful + self.false_alarm
        return round(self.useful / judged, 3) if judged else None


@dataclass(frozen=True)
class Replay:
    """Per-rule precision, and the replies whose level today's triage would change."""

    rules: list[RulePrecision]
    changed: list[tuple[str, str | None, str]]  # (alert id, stored level, level now)
    cases: int


def replay(cases: Iterable[ReplayCase]) -> Replay:
    """Re-score every case; count, per rule that fires now, the outcomes coaches recorded."""
    fired: Counter[str] = Counter()
    useful: Counter[str] = Counter()
    false: Counter[str] = Counter()
    changed: list[tuple[str, str | None, str]] = []
    count = 0
    for case in cases:
        count += 1
        assessment = assess_reply(case.text, list(case.history))
        if assessment.level.value != case.stored_level:
            changed.append((case.alert_id, case.stored_level, assessment.level.value))
        for rule in {reason.rule for reason in assessment.reasons}:
            fired[rule] += 1
            if case.outcome in USEFUL:
                useful[rule] += 1
            elif case.outcome == Outcome.FALSE_ALARM:
                false[rule] += 1
    rules = [RulePrecision(rule, fired[rule], useful[rule], false[rule]) for rule in sorted(fired)]
    return Replay(rules, changed, count)


def resolved_cases(alerts: Alerts, messages: Messages) -> Iterator[ReplayCase]:
    """The replies of every resolved alert, with each client's mood history before the reply (a scan: ops only)."""
    for alert in alerts.resolved():
        for key in alert.replies:
            reply = messages.get(alert.client_id, key)
            if reply is None or reply.body is None:
                continue  # expired by TTL or erased
            yield ReplayCase(alert.alert_id, reply.body, mood_history(messages, reply),
                             alert.outcome.value if alert.outcome else "",
                             reply.level.value if reply.level else None)
