"""Adherence: a regular replier who has gone quiet (read by the weekly e-mail, no language rules needed)."""

from collections.abc import Sequence

from moodline.triage.model import Assessment, Level, Reason

_ADHERENCE_MISSED = 3
_ADHERENCE_LOOKBACK = 5
_ADHERENCE_MIN_ANSWERED = 3


def assess_adherence(answered: Sequence[bool]) -> Assessment | None:
    """Flag a client who was replying regularly and has now missed the last three check-ins in a row."""
    if len(answered) < _ADHERENCE_MISSED or any(answered[-_ADHERENCE_MISSED:]):
        return None
    before = answered[-_ADHERENCE_MISSED - _ADHERENCE_LOOKBACK : -_ADHERENCE_MISSED]
    if sum(bool(a) for a in before) < _ADHERENCE_MIN_ANSWERED:
        return None
    return Assessment(
        level=Level.MODERATE,
        mood=None,
        reasons=(Reason("adherence.missed", f"{_ADHERENCE_MISSED} missed check-ins in a row"),),
    )
