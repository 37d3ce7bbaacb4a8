"""EventBridge Scheduler cron expressions, evaluated locally (moto stores schedules but never fires them)."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_MONTHS = {m: i for i, m in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}


class CronError(ValueError):
    """An expression EventBridge would reject (or that this local evaluator does not support)."""


def _field(spec: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int] | None:
    if spec in {"*", "?"}:
        return None
    values: set[int] = set()
    for item in spec.split(","):
        part, step = item, 1
        if "/" in item:
            part, step_text = item.split("/", 1)
            step = int(step_text)
        if part in {"*", ""}:
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = _value(a, names), _value(b, names)
        else:
            start = _value(part, names)
            end = high if step != 1 else start
        if not low <= start <= high or not low <= end <= high:
            raise CronError(f"{part!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return values


def _value(text: str, names: dict[str, int] | None) -> int:
    if names and text.upper() in names:
        return names[text.upper()]
    if not re.fullmatch(r"\d+", text):
        raise CronError(f"{text!r} is not a number")
    return int(text)


class Cron:
    """``cron(minutes hours day-of-month month day-of-week year)`` in a timezone."""

    def __init__(self, expression: str, timezone: str = "UTC") -> None:
        match = re.fullmatch(r"cron\((.+)\)", expression.strip())
        if not match:
            raise CronError(f"not a cron expression: {expression!r}")
        fields = match[1].split()
        if len(fields) != 6:
            raise CronError("cron needs six fields: minutes hours day-of-month month day-of-week year")
        minutes, hours, dom, month, dow, _year = fields
        if (dom == "?") == (dow == "?"):
            raise CronError("exactly one of day-of-month and day-of-week must be '?'")
        self.zone = ZoneInfo(timezone)
        self.minutes = _field(minutes, 0, 59)
        self.hours = _field(hours, 0, 23)
        self.dom = _field(dom, 1, 31)
        self.month = _field(month, 1, 12, _MONTHS)
        self.dow = _field(dow, 1, 7, _DAYS)

    def matches(self, instant: datetime) -> bool:
        """Whether the schedule fires at ``instant`` (to the minute)."""
        local = instant.astimezone(self.zone)
        aws_dow = local.isoweekday() % 7 + 1  # EventBridge counts SUN=1 … SAT=7
        return all(
            allowed is None or value in allowed
            for allowed, value in (
                (self.minutes, local.minute), (self.hours, local.hour), (self.dom, local.day),
                (self.month, local.month), (self.dow, aws_dow),
            )
        )
