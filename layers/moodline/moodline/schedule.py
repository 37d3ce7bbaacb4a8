"""Scheduling maths: 15-minute slots, local check-in times and DST-safe next-probe instants."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

SLOT = timedelta(minutes=15)
# US messaging rules allow 8 am – 9 pm recipient-local; check-in times must sit inside that window.
QUIET_HOURS_END = time(8, 0)
QUIET_HOURS_START = time(21, 0)
# A probe found this late (scheduler outage) is skipped rather than sent at an odd hour.
MAX_LATENESS = timedelta(hours=3)

# "09:00" as stored; "9:00" and "09:00:00" as spreadsheets write it (seconds must be zero).
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?::00)?$")


class InvalidSchedule(ValueError):
    """A check-in time or timezone that Moodline cannot schedule."""


def canonical_timezone(name: str) -> str:
    """The IANA zone ``name`` names, in its own spelling ("america/new_york" is "America/New_York").

    Looked up in the zone list first: on a case-insensitive file system (macOS, where ops run the CLI)
    ZoneInfo("america/new_york") loads, and the lower-case name would be stored where Lambda cannot load it.
    For enrolment and ops (the list costs a directory walk, once per process); the hot paths read stored,
    canonical names with :meth:`CheckinTime.parse`.
    """
    name = name.strip()
    found = _zones_by_folded_name().get(name.casefold())
    if found is not None:
        return found
    try:
        ZoneInfo(name)  # a zone the list does not name (a tzdata newer than the list)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidSchedule(f"unknown IANA timezone {name!r} (e.g. America/New_York)") from None
    return name


def stored_hhmm(text: str) -> str | None:
    """``text`` as a check-in time is stored ("9:00" and "09:00:00" are "09:00"), None if it is not one."""
    match = _HHMM.match(text.strip())
    return f"{int(match[1]):02d}:{match[2]}" if match else None


@cache
def _zones_by_folded_name() -> dict[str, str]:
    return {zone.casefold(): zone for zone in available_timezones()}


@dataclass(frozen=True)
class CheckinTime:
    """A client's daily check-in: a wall-clock time in their own IANA timezone."""

    local_time: time
    timezone: str

    @classmethod
    def parse(cls, hhmm: str, timezone: str) -> CheckinTime:
        """Validate ``"HH:MM"`` (on a 15-minute boundary, inside 08:00–21:00) and an IANA timezone."""
        match = _HHMM.match(hhmm.strip())
        if not match:
            raise InvalidSchedule(f"check-in time must be HH:MM (24-hour), got {hhmm!r}")
        local_time = time(int(match[1]), int(match[2]))
        if local_time.minute % 15:
            raise InvalidSchedule("check-in time must be on a 15-minute boundary (the scheduler's slot)")
        if not QUIET_HOURS_END <= local_time < QUIET_HOURS_START:
            raise InvalidSchedule("check-in time must be from 08:00 to 20:45 local (21:00-08:00 is quiet hours)")
        try:
            ZoneInfo(timezone)
            zone = timezone
        except (ZoneInfoNotFoundError, ValueError):
            zone = canonical_timezone(timezone)  # "america/new_york" from a spreadsheet, on Linux
        return cls(local_time, zone)

    @property
    def hhmm(self) -> str:
        """The time as stored: ``"09:00"``."""
        return self.local_time.strftime("%H:%M")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def instant_on(self, local_date: date) -> datetime:
        """The UTC instant of the check-in on ``local_date``.

        A wall time skipped by a spring-forward gap resolves to the same offset as just before
        the gap (``fold=0``), so the probe goes out one hour later in wall time, never not at all.
        """
        local = datetime.combine(local_date, self.local_time, tzinfo=self.zone)
        return local.astimezone(UTC)

    def local_date_of(self, instant: datetime) -> date:
        """The client's calendar date at ``instant``."""
        return local_date_in(self.timezone, instant)

    def next_after(self, instant: datetime) -> datetime:
        """The first check-in strictly after ``instant`` (UTC)."""
        today = self.local_date_of(instant)
        for offset in range(3):
            candidate = self.instant_on(today + timedelta(days=offset))
            if candidate > instant:
                return candidate
        raise AssertionError("unreachable: a daily time recurs within three days")


def local_date_in(timezone: str, instant: datetime) -> date:
    """The calendar date in ``timezone`` at ``instant``."""
    return instant.astimezone(ZoneInfo(timezone)).date()


def within_sending_hours(timezone: str, instant: datetime) -> bool:
    """Whether ``instant`` is between 08:00 and 21:00 in ``timezone`` (US rules for texting)."""
    local = instant.astimezone(ZoneInfo(timezone)).time()
    return QUIET_HOURS_END <= local < QUIET_HOURS_START


def latest_delivery(timezone: str, due_at: datetime) -> datetime:
    """The last moment a check-in due at ``due_at`` may still reach the client's phone.

    The earlier of the lateness limit and the start of the client's quiet hours that evening: a
    probe held in the provider's queue past either is worse than none.
    """
    local_due = due_at.astimezone(ZoneInfo(timezone))
    quiet = datetime.combine(local_due.date(), QUIET_HOURS_START, tzinfo=ZoneInfo(timezone))
    if quiet <= local_due:  # due in the evening's quiet hours (never queued so): the next evening's
        quiet = datetime.combine(local_due.date() + timedelta(days=1), QUIET_HOURS_START, tzinfo=ZoneInfo(timezone))
    return min(due_at + MAX_LATENESS, quiet.astimezone(due_at.tzinfo or UTC))


def slot_start(instant: datetime) -> datetime:
    """The start of the 15-minute UTC slot containing ``instant``."""
    instant = instant.astimezone(UTC)
    return instant.replace(minute=instant.minute - instant.minute % 15, second=0, microsecond=0)


def slot_end(instant: datetime) -> datetime:
    """The exclusive end of the 15-minute UTC slot containing ``instant``."""
    return slot_start(instant) + SLOT


def is_stale(due_at: datetime, now: datetime) -> bool:
    """True when a probe due at ``due_at`` is too late to send at ``now``."""
    return now - due_at > MAX_LATENESS


def to_iso(instant: datetime) -> str:
    """Sortable UTC ISO-8601 with milliseconds and a ``Z``: the string form used in every key."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}Z"


def from_iso(text: str) -> datetime:
    """Parse :func:`to_iso` output (or any ISO-8601 with offset) as an aware UTC datetime."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("timestamp without a timezone")
    return parsed.astimezone(UTC)
