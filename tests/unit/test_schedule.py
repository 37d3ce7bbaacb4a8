"""Scheduling maths: slots, local dates and DST, without AWS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moodline.schedule import (
    MAX_LATENESS,
    CheckinTime,
    InvalidSchedule,
    from_iso,
    latest_delivery,
    slot_end,
    slot_start,
    to_iso,
    within_sending_hours,
)

ZONES = ["America/New_York", "America/Los_Angeles", "Europe/London", "Asia/Kolkata", "Australia/Lord_Howe",
         "America/Phoenix", "Pacific/Chatham"]


def test_a_new_york_checkin_moves_in_utc_across_the_dst_change_but_not_in_local_time():
    # Given a 09:00 New York check-in
    checkin = CheckinTime.parse("09:00", "America/New_York")

    # When we ask for the instants the day before and the day after DST starts (8 March 2026)
    before = checkin.instant_on(datetime(2026, 3, 7).date())
    after = checkin.instant_on(datetime(2026, 3, 9).date())

    # Then both are 09:00 local: 14:00 UTC in winter, 13:00 UTC in summer
    assert (before.hour, after.hour) == (14, 13)


def test_a_checkin_inside_the_spring_forward_gap_still_happens_that_day():
    # Given a time that does not exist on the DST day in a zone that jumps at 02:00... the earliest
    # allowed check-in is 08:00, so use Lord Howe (30-minute DST at 02:00) to check gap logic directly
    checkin = CheckinTime.parse("08:00", "Australia/Lord_Howe")

    # When the next check-in after the day starts is computed across the DST change
    day = datetime(2026, 10, 4).date()  # Lord Howe springs forward on the first Sunday of October
    instant = checkin.instant_on(day)

    # Then there is exactly one check-in that local day
    assert checkin.local_date_of(instant) == day


@pytest.mark.parametrize(("hhmm", "zone"), [("9:0", "UTC"), ("09:05", "UTC"), ("07:45", "UTC"),
                                            ("21:00", "UTC"), ("09:00", "Mars/Olympus"), ("9:00 AM", "UTC"),
                                            ("09:00:30", "UTC"), ("009:00", "UTC")])
def test_invalid_checkins_are_rejected_with_a_reason(hhmm, zone):
    with pytest.raises(InvalidSchedule):
        CheckinTime.parse(hhmm, zone)


@given(instant=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)),
       zone=st.sampled_from(ZONES),
       minutes=st.sampled_from(range(8 * 60, 21 * 60, 15)))
def test_next_after_is_the_next_local_checkin_within_a_day_and_a_bit(instant, zone, minutes):
    # Given any instant and any valid check-in time in a zone with odd offsets and DST
    checkin = CheckinTime.parse(f"{minutes // 60:02d}:{minutes % 60:02d}", zone)

    # When the next check-in is computed
    nxt = checkin.next_after(instant)

    # Then it is strictly later, within 25 hours (DST), and at that wall-clock time locally
    assert instant < nxt <= instant + timedelta(hours=25, minutes=1)
    local = nxt.astimezone(checkin.zone)
    assert (local.hour * 60 + local.minute) in {minutes, minutes + 60, minutes + 30}  # gap days shift forward


@given(st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)))
def test_slots_are_fifteen_minutes_and_contain_the_instant(instant):
    start, end = slot_start(instant), slot_end(instant)
    assert start <= instant < end and end - start == timedelta(minutes=15) and start.minute % 15 == 0


def test_iso_strings_sort_like_time_and_round_trip():
    a, b = datetime(2026, 11, 30, 9, 0, 0, 5000, tzinfo=UTC), datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    assert to_iso(a) < to_iso(b) and from_iso(to_iso(a)) == a.replace(microsecond=5000)
    with pytest.raises(ValueError, match="timezone"):
        from_iso("2026-11-30T09:00:00")


@pytest.mark.parametrize(("zone", "due_local", "latest_local"), [
    ("America/New_York", datetime(2026, 11, 30, 9, 0), datetime(2026, 11, 30, 12, 0)),  # the lateness limit
    ("America/New_York", datetime(2026, 11, 30, 19, 30), datetime(2026, 11, 30, 21, 0)),  # the quiet hours
    ("America/New_York", datetime(2026, 3, 8, 18, 30), datetime(2026, 3, 8, 21, 0)),  # the spring-forward day
    ("Pacific/Auckland", datetime(2026, 4, 5, 20, 45), datetime(2026, 4, 5, 21, 0)),  # NZ's autumn change
    ("Europe/London", datetime(2026, 10, 25, 8, 0), datetime(2026, 10, 25, 11, 0)),
])
def test_the_last_moment_a_probe_may_arrive_is_the_lateness_limit_or_quiet_hours(zone, due_local, latest_local):
    from zoneinfo import ZoneInfo

    due = due_local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    assert latest_delivery(zone, due) == latest_local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)),
       st.sampled_from(["America/New_York", "America/Los_Angeles", "Europe/Madrid", "Australia/Sydney",
                        "Pacific/Auckland", "America/Mexico_City"]))
def test_a_probe_never_arrives_late_or_at_night(due, zone):
    latest = latest_delivery(zone, due)
    assert due < latest <= due + MAX_LATENESS
    if within_sending_hours(zone, due):
        # Every instant from the due time to the last moment is within the client's sending hours.
        assert within_sending_hours(zone, latest - timedelta(seconds=1))


@pytest.mark.parametrize(("hhmm", "zone", "stored"), [
    ("9:00", "UTC", ("09:00", "UTC")),  # as a spreadsheet writes it
    ("09:00:00", "America/New_York", ("09:00", "America/New_York")),
    ("20:45", "america/new_york", ("20:45", "America/New_York")),  # the zone in its own spelling
    (" 08:00 ", "EUROPE/LONDON", ("08:00", "Europe/London")),
])
def test_a_checkin_time_and_zone_are_read_as_written_and_stored_canonically(hhmm, zone, stored):
    checkin = CheckinTime.parse(hhmm, zone)
    assert (checkin.hhmm, checkin.timezone) == stored


def test_a_zone_is_stored_in_its_own_spelling_even_where_the_file_system_ignores_case(monkeypatch):
    # Given a machine whose file system loads "america/new_york" (macOS, where ops run the CLI)
    from moodline import schedule

    real = schedule.ZoneInfo
    monkeypatch.setattr(schedule, "ZoneInfo", lambda name: real(schedule._zones_by_folded_name().get(
        name.casefold(), name)))
    # When enrolment canonicalises it, then Lambda (case-sensitive) gets the name it can load
    assert schedule.canonical_timezone("america/new_york") == "America/New_York"
    assert schedule.canonical_timezone(" Europe/London ") == "Europe/London"
