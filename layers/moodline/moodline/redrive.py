"""The scoring redrive, automated: while the scoring DLQ holds failed stream batches, rescore.

A failed batch's dead letter names only the stream's shard and sequence numbers, never a reply,
so the replies themselves are the source of truth (as for ``moodline rescore``): every reply with
no level since the oldest dead letter's first record is scored, idempotently (a reply already
paged is not paged again). The dead letters are deleted only after that succeeded; a failure
leaves them for the next run and the DLQ alarm stays on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from moodline.observability import logger, metrics
from moodline.ports import DeadLetters
from moodline.schedule import from_iso

STREAM_RETENTION = timedelta(hours=24)  # no failed batch can hold a record older than the stream keeps
MAX_LETTERS = 100


@dataclass(frozen=True)
class RedriveResult:
    dead_letters: int
    rescored: int
    since: datetime | None


def first_record_at(body: str) -> datetime | None:
    """``approximateArrivalOfFirstRecord`` of a stream on-failure record, if the body has one."""
    try:
        info: Any = json.loads(body).get("DDBStreamBatchInfo", {})
        return from_iso(info["approximateArrivalOfFirstRecord"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


class ScoringRedrive:
    """Rescore replies the scoring DLQ says were missed, then clear the dead letters that covered."""

    def __init__(self, dead_letters: DeadLetters, rescore: Callable[[datetime], Sequence[object]]) -> None:
        self._dead_letters = dead_letters
        self._rescore = rescore

    def run(self, now: datetime) -> RedriveResult:
        letters = self._dead_letters.receive(MAX_LETTERS)
        if not letters:
            return RedriveResult(0, 0, None)
        arrivals = [first_record_at(body) for _, body in letters]
        # A letter we cannot read still means "something was missed": look back as far as the stream keeps.
        since = min((a for a in arrivals if a is not None), default=now - STREAM_RETENTION)
        if any(a is None for a in arrivals):
            since = min(since, now - STREAM_RETENTION)
        since -= timedelta(minutes=1)  # "approximate" arrival: a little margin
        outcomes = self._rescore(since)
        self._dead_letters.delete([receipt for receipt, _ in letters])
        metrics.add_metric(name="ScoringRedriven", unit="Count", value=len(letters))
        logger.info("scoring DLQ redriven", dead_letters=len(letters), rescored=len(outcomes), since=since.isoformat())
        return RedriveResult(len(letters), len(outcomes), since)
