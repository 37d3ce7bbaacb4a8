"""The vocabulary of triage: levels, reasons and the assessment of one reply.

Kept apart from the rules so that code which only reads or stores an assessment (paging, the weekly
e-mail, the workspace) never pays for compiling them at cold start.
"""

from dataclasses import dataclass
from enum import StrEnum


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
