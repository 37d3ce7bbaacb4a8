"""Closing the loop: re-score stored replies with today's triage and measure each rule against outcomes.

Two sources of truth from coaches: the outcome of every resolved alert (per-rule precision), and every
reply a coach marked "should have paged" in the review inbox (triage misses, per rule family, and
whether today's triage would page them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from moodline.domain import SHOULD_HAVE_PAGED
from moodline.ports import Alerts, Messages, Reviews
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


# --- triage misses: replies coaches marked "should have paged" ----------------------------------

NO_RULE = "(no rule)"


def rule_family(rule: str) -> str:
    """``crisis.plan.means.dwelling.en`` → ``crisis.plan``; ``hopelessness.core.en`` → ``hopelessness``."""
    parts = rule.split(".")
    return ".".join(parts[:2]) if parts[0] == "crisis" and len(parts) > 1 else parts[0]


@dataclass(frozen=True)
class MissCase:
    """A reply triage let through that a coach said should have paged, with what triage said then."""

    client_id: str
    message_key: str
    text: str
    history: Sequence[float]
    stored_level: str | None
    stored_rules: tuple[str, ...]


@dataclass(frozen=True)
class FamilyMisses:
    """Misses whose reply fired rules of ``family`` (too weakly to page), and how many page today."""

    family: str
    misses: int
    caught_now: int


@dataclass(frozen=True)
class Misses:
    families: list[FamilyMisses]
    total: int
    caught_now: int


def replay_misses(cases: Iterable[MissCase]) -> Misses:
    """Re-score every miss; count it under each rule family it fired then (or ``(no rule)``)."""
    misses: Counter[str] = Counter()
    caught: Counter[str] = Counter()
    total = caught_total = 0
    for case in cases:
        total += 1
        pages_now = assess_reply(case.text, list(case.history)).level.pages
        caught_total += pages_now
        for family in sorted({rule_family(r) for r in case.stored_rules}) or [NO_RULE]:
            misses[family] += 1
            caught[family] += pages_now
    families = [FamilyMisses(f, misses[f], caught[f]) for f in sorted(misses, key=lambda f: (-misses[f], f))]
    return Misses(families, total, caught_total)


def triage_misses(reviews: Reviews, messages: Messages, since: datetime) -> Iterator[MissCase]:
    """Every reply marked "should have paged" since ``since`` that is still stored."""
    for mark in reviews.with_mark(SHOULD_HAVE_PAGED, since):
        reply = messages.get(mark.client_id, mark.message_key)
        if reply is None or reply.body is None:
            continue  # expired by TTL or erased
        rules = tuple(r for r in reply.reasons if not r.startswith("coach."))
        yield MissCase(mark.client_id, mark.message_key, reply.body, mood_history(messages, reply),
                       reply.level.value if reply.level else None, rules)
