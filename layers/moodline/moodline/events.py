"""Event time from each trigger's event: handlers never read the wall clock (DESIGN: event time)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from moodline.schedule import from_iso


class BadEvent(ValueError):
    """An event without the time it should carry."""


def scheduled_time(event: Mapping[str, Any]) -> datetime:
    """The time a schedule fired for: Scheduler's ``scheduled_time`` input, or an EventBridge ``time``."""
    raw = event.get("scheduled_time") or event.get("time")
    if not isinstance(raw, str):
        raise BadEvent("scheduled event carries no 'scheduled_time' (or 'time')")
    try:
        return from_iso(raw)
    except ValueError as exc:
        raise BadEvent("scheduled event time is not ISO-8601 with a timezone") from exc


def request_time(event: Mapping[str, Any]) -> datetime:
    """When API Gateway received the request (``requestContext.requestTimeEpoch``, milliseconds)."""
    epoch_ms = (event.get("requestContext") or {}).get("requestTimeEpoch")
    if not isinstance(epoch_ms, int | float):
        raise BadEvent("API Gateway event carries no requestContext.requestTimeEpoch")
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
