"""The vocabulary of triage: levels, reasons and the assessment of one reply.

Kept apart from the rules so that code which only reads or stores an assessment (paging, the weekly
e-mail, the workspace) never pays for compiling them at cold start.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Level(StrEnum):
    """Triage level, ordered by severity."""

    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"
    CRISIS = "crisis"

    @property
    def rank(self) -> int:
        """Severity rank: low=0 .. crisis=3."""
        return list(Level).index(self)

    @property
    def pages(self) -> bool:
        """Whether this level pages a human coach."""
        return self.rank >= Level.HIGH.rank


@dataclass(frozen=True)
class Reason:
    """One rule that fired, with the text (or value) that triggered it."""

    rule: str
    matched: str


@dataclass(frozen=True)
class Assessment:
    """The triage outcome for one reply (or for a run of missed replies)."""

    level: Level
    mood: float | None
    reasons: tuple[Reason, ...]
    # "A coach should read this today": what the rules or the model are unsure of (never lowers a level).
    review: bool = False

    def to_json(self) -> dict[str, object]:
        """Plain-JSON form for storage and the coach dashboard."""
        return {
            "level": self.level.value,
            "mood": self.mood,
            "reasons": [{"rule": r.rule, "matched": r.matched} for r in self.reasons],
            "review": self.review,
        }


@dataclass(frozen=True)
class SemanticOpinion:
    """What the semantic second opinion makes of one reply (it may raise a level, never lower one)."""

    # The level the model would raise the reply to (HIGH or CRISIS), or None below its page threshold.
    level: Level | None
    # Between the model's review and page thresholds: a coach should read it today.
    review: bool
    # The model's probability that the reply needs a human now, 0..1.
    score: float
    # Up to three of the closest labelled examples, shown to the coach as the model's "why".
    neighbours: tuple[str, ...] = ()


class SemanticJudge(Protocol):
    """The port the rules engine asks for a second opinion; the shipped model and test fakes implement it."""

    def judge(self, text: str) -> SemanticOpinion:
        """The model's opinion of one reply's text."""
        ...
