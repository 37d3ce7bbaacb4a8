"""Behaviour of the weekly summary: per-client figures, concern ordering and the rendered e-mail."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moodline.summary import (
    DAY_KINDS,
    FOOTER,
    AlertBrief,
    ClientWeekInput,
    ClientWeekSummary,
    DayCheckin,
    HandledPage,
    iso_week_bounds,
    render_weekly_email,
    should_send,
    summarize_client_week,
)

WEEK = "2026-W48"
MONDAY = date(2026, 11, 23)
ABSENT = "absent"  # marker: no probe that day, so no check-in row at all

DayMood = float | None | str


def checkins(days: Sequence[DayMood]) -> list[DayCheckin]:
    """Mon..Sun: a number is a reply with that mood, None a probe without reply, ABSENT no probe."""
    out = []
    for offset, mood in enumerate(days):
        if mood == ABSENT:
            continue
        assert not isinstance(mood, str)
        out.append(DayCheckin(MONDAY + timedelta(days=offset), True, mood is not None, mood))
    return out


def alert(level: str, status: str = "open") -> AlertBrief:
    return AlertBrief(datetime(2026, 11, 25, 9, 30, tzinfo=UTC), level, status)


def client(
    name: str,
    days: Sequence[DayMood] = (7, 7, 7, 7, 7, 7, 7),
    *,
    alerts: Sequence[AlertBrief] = (),
    previous: Sequence[float] = (7, 7, 7),
    opted_out: bool = False,
    client_id: str | None = None,
) -> ClientWeekInput:
    return ClientWeekInput(
        client_id=client_id or f"id-{name.lower()}",
        display_name=name,
        checkins=checkins(days),
        alerts=list(alerts),
        previous_moods=list(previous),
        opted_out=opted_out,
    )


def summarize(week: ClientWeekInput) -> ClientWeekSummary:
    return summarize_client_week(week, week_start=MONDAY)


def render(*weeks: ClientWeekInput, coach: str = "Sam") -> tuple[str, str, str]:
    email = render_weekly_email(coach_name=coach, iso_week=WEEK, summaries=[summarize(w) for w in weeks])
    return email.subject, email.html, email.text


def html_names(html: str) -> list[str]:
    return [html_lib.unescape(n) for n in re.findall(r"font-size:17px[^>]*>([^<]*)</td>", html)]


def html_figures(html: str) -> list[tuple[str, str, str, str, str]]:
    """(name, answered, mean, low, trend) per client card, in order."""
    visible = " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())
    found = re.findall(r"Answered (.+?) · Mean (\S+) · Low (\S+) · Trend (\S+ \S+)", visible)
    return [(name, *figures) for name, figures in zip(html_names(html), found, strict=True)]


def html_moods(html: str) -> list[list[str]]:
    cells = [html_lib.unescape(c) for c in re.findall(r'height="34"[^>]*>([^<]*)</td>', html)]
    return [cells[i : i + 7] for i in range(0, len(cells), 7)]


def text_rows(text: str) -> list[list[str]]:
    """The text table's data rows split into columns (columns are separated by two or more spaces)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("---")) + 1
    rows = []
    for line in lines[start:]:
        if not line.strip():
            break
        if not line.startswith(" "):
            rows.append(re.split(r" {2,}", line.strip()))
    return rows


def text_moods(text: str) -> list[list[str]]:
    return [line.split(":", 1)[1].split() for line in text.splitlines() if "Days Mon–Sun:" in line]


# --------------------------------------------------------------------------- counts


def test_counts_replies_only_on_probed_days_and_places_moods_by_weekday() -> None:
    # Given 6 probes (none on Wednesday, when the client texted a 9 anyway), 4 replies to probes,
    # one of them without a usable rating, supplied out of order
    day = [MONDAY + timedelta(days=i) for i in range(7)]
    week = ClientWeekInput(
        client_id="c-ana",
        display_name="Ana",
        checkins=[
            DayCheckin(day[6], probe_sent=True, replied=True, mood=None),
            DayCheckin(day[3], probe_sent=True, replied=True, mood=4),
            DayCheckin(day[0], probe_sent=True, replied=True, mood=6),
            DayCheckin(day[2], probe_sent=False, replied=True, mood=9),
            DayCheckin(day[1], probe_sent=True, replied=False, mood=None),
            DayCheckin(day[5], probe_sent=True, replied=True, mood=8),
            DayCheckin(day[4], probe_sent=True, replied=False, mood=None),
        ],
        alerts=[],
        previous_moods=[],
    )

    # When it is summarised
    summary = summarize(week)

    # Then replies count only where a probe went out (rate stays a fraction of probes),
    # every self-reported mood sits on its weekday, and mean/low use those moods
    assert summary.probes_sent == 6
    assert summary.replies == 4
    assert summary.response_rate == pytest.approx(4 / 6)
    assert summary.moods == (6, None, 9, 4, None, 8, None)
    assert summary.mean_mood == pytest.approx(6.75)
    assert summary.low_mood == 4


def test_no_probes_gives_no_rate_and_a_flag() -> None:
    # Given a client who received no check-ins at all
    summary = summarize(client("Bo", [ABSENT] * 7))

    # Then the rate is unknown rather than zero, and the coach is told why the row is empty
    assert (summary.probes_sent, summary.replies, summary.response_rate) == (0, 0, None)
    assert summary.moods == (None,) * 7
    assert summary.mean_mood is None
    assert summary.low_mood is None
    assert summary.trend == "unknown"
    assert "No check-ins sent this week" in summary.flags


def test_alerts_are_counted_per_level_and_open_ones_separately() -> None:
    # Given one crisis (acknowledged), two moderate (one open) alerts
    week = client(
        "Cy", alerts=[alert("crisis", "acknowledged"), alert("moderate"), alert("moderate", "resolved")]
    )

    # When summarised
    summary = summarize(week)

    # Then every level is present, and the crisis is called out first
    assert dict(summary.alerts_by_level) == {"crisis": 1, "high": 0, "moderate": 2}
    assert summary.open_alerts == 1
    assert summary.flags[0] == "Crisis alert this week"
    assert "1 alert still open" in summary.flags


def test_flags_no_replies_missed_run_opt_out_and_low_days() -> None:
    # Given: silent all week / three probed days missed around an unprobed day / opted out / low days
    silent = summarize(client("Di", [None] * 7))
    missed = summarize(client("Ed", (7, None, ABSENT, None, None, 6, 7)))
    two_missed = summarize(client("Fi", (7, None, None, 6, None, None, 7)))
    opted = summarize(client("Gu", [ABSENT] * 7, opted_out=True))
    low = summarize(client("Hal", (3, 2, 7, 7, 7, 7, 7)))

    # Then each gets the phrase a coach needs, and only that
    assert "No replies this week" in silent.flags
    assert not any("in a row" in f for f in silent.flags)  # redundant next to "No replies"
    assert "3 missed check-ins in a row" in missed.flags
    assert not any("in a row" in f for f in two_missed.flags)
    assert opted.flags == ("Opted out of check-ins",)
    assert "Mood 3 or lower on 2 days" in low.flags


@pytest.mark.parametrize(
    ("week", "bad"),
    [
        (client("X"), date(2026, 11, 24)),  # week_start not a Monday
        (replace(client("X"), checkins=checkins([7] * 7) + checkins([7])), MONDAY),  # Monday twice
        (client("X", (11, 7, 7, 7, 7, 7, 7)), MONDAY),
        (client("X", previous=(0, 5)), MONDAY),
        (client("X", (float("nan"), 7, 7, 7, 7, 7, 7)), MONDAY),
        (client("X", alerts=[alert("urgent")]), MONDAY),
        (client("X", alerts=[alert("high", "closed")]), MONDAY),
        (client("X"), MONDAY - timedelta(days=7)),  # check-ins outside the week
    ],
)
def test_contract_violations_raise(week: ClientWeekInput, bad: date) -> None:
    # Given input that breaks the contract, When summarised, Then it fails loudly
    with pytest.raises(ValueError, match=r"."):
        summarize_client_week(week, week_start=bad)


# --------------------------------------------------------------------------- trend


@pytest.mark.parametrize(
    ("days", "previous", "expected"),
    [
        ((6, 6, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT), (5, 5), "up"),  # exactly +1.0
        ((6.1, 6.1, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT), (5.1, 5.1), "up"),  # +1.0 despite float noise
        ((5.9, 6, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT), (5, 5), "steady"),  # +0.95
        ((4, 4, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT), (5, 5), "down"),  # exactly -1.0
        ((4.1, 4, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT), (5, 5), "steady"),  # -0.95
        ((9, 9, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT), (2, 2), "up"),
        ((9, None, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT), (2, 2), "unknown"),  # one mood this week
        ((9, 9, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT), (2,), "unknown"),  # one baseline mood
        ((9, 9, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT), (), "unknown"),
    ],
)
def test_trend_boundaries(days: Sequence[DayMood], previous: Sequence[float], expected: str) -> None:
    # Given this week's moods and the 3-week baseline, When summarised, Then the trend follows ±1.0
    assert summarize(client("T", days, previous=previous)).trend == expected


# --------------------------------------------------------------------------- ordering


def test_email_orders_clients_by_concern_then_name() -> None:
    # Given clients of every concern level, supplied alphabetically
    weeks = [
        client("Abe"),  # fine
        client("Bea", alerts=[alert("high")]),  # high alert
        client("Cal", (3, 4, 3, 4, 3, 4, 4), previous=(4, 4)),  # low mean, steady
        client("Dot", (5, 5, 5, 5, 5, 5, 5), previous=(8, 8, 8)),  # trend down
        client("eve"),  # fine, lower-case must not sort after "Zed"
        client("Flo", alerts=[alert("crisis", "resolved")]),  # crisis
        client("Zed", alerts=[alert("moderate")]),  # moderate only: not a top concern
    ]

    # When the e-mail is rendered
    _, html, text = render(*weeks)

    # Then crisis, high, then low mean / trend down (lowest mean first), then the rest by name
    expected = ["Flo", "Bea", "Cal", "Dot", "Abe", "eve", "Zed"]
    assert html_names(html) == expected
    assert [row[0] for row in text_rows(text)] == expected


# --------------------------------------------------------------------------- rendering


def test_display_name_is_escaped_in_html_and_plain_in_text() -> None:
    # Given a display name containing markup
    _, html, text = render(client("<b>Al</b>"))

    # Then the HTML shows it as text, never as markup, and the plain text shows it verbatim
    assert "&lt;b&gt;Al&lt;/b&gt;" in html
    assert "<b>Al</b>" not in html
    assert "<b>Al</b>" in text
    assert "&lt;" not in text


def test_coach_name_is_escaped() -> None:
    _, html, _ = render(client("Al"), coach='<img src=x onerror="alert(1)">')
    assert "<img" not in html
    assert "&lt;img" in html


def test_email_names_every_given_client_and_nothing_else() -> None:
    # Given a pool of distinctive names and a coach with only some of them
    pool = ["Quinby", "Ravela", "Sorrel", "Tamsin", "Ulrike", "Vashti"]
    given_names = pool[:4]
    weeks = [client(n, client_id=f"cid-{i:04d}-secret") for i, n in enumerate(given_names)]

    # When the e-mail is rendered
    subject, html, text = render(*weeks)

    # Then each given client appears, no other client does, and no ids or phone-like numbers leak
    for body in (html, text):
        for name in given_names:
            assert name in body
        for name in pool[4:]:
            assert name not in body
        assert "cid-" not in body
        assert not re.search(r"\+\d{6,}|\b\d{3}[-. ]\d{3}[-. ]\d{4}\b", body)  # E.164 / US style
    assert not any(name in subject for name in pool)
    assert sorted(html_names(html)) == sorted(given_names)


def test_text_and_html_agree_on_the_figures() -> None:
    # Given a realistic mixed week
    weeks = sample_week()

    # When rendered
    _, html, text = render(*weeks)

    # Then both bodies list the same clients, in the same order, with the same numbers
    rows = text_rows(text)
    from_text = [(r[0], r[2], r[3], r[4], r[5]) for r in rows]
    assert from_text == html_figures(html)
    assert text_moods(text) == html_moods(html)
    assert len(rows) == len(weeks)


def test_text_has_sparkline_and_email_has_header_footer() -> None:
    # Given moods spanning the scale with a missed day and a day without a probe
    subject, html, text = render(client("Sky", (1, 10, None, ABSENT, 5.5, 8, 3)))

    # Then the text row carries a sparkline, both bodies carry the footer, and the HTML stays e-mail-safe
    assert text_rows(text)[0][1] == "▁█×·▅▆▃"
    assert text_moods(text) == [["1", "10", "×", "·", "5.5", "8", "3"]]
    assert FOOTER in text
    assert FOOTER in html
    assert subject in text
    for forbidden in ("<script", "<link", "<style", "src=", "http://", "https://", "<img"):
        assert forbidden not in html.lower()
    assert 'name="viewport"' in html


@pytest.mark.parametrize(
    ("weeks", "tail"),
    [
        ([client("A")], "1 client, no alerts"),
        (
            [client("A", alerts=[alert("crisis")]), client("B", alerts=[alert("high"), alert("high")])],
            "2 clients, 1 crisis alert, 2 high alerts",
        ),
    ],
)
def test_subject_counts_clients_and_alerts(weeks: list[ClientWeekInput], tail: str) -> None:
    subject, _, _ = render(*weeks)
    assert subject == f"Moodline weekly — {WEEK}: {tail}"


def test_sample_six_client_subject() -> None:
    subject, _, _ = render(*sample_week())
    assert subject == "Moodline weekly — 2026-W48: 6 clients, 1 crisis alert, 1 moderate alert"


def test_coach_without_clients_gets_a_short_valid_email() -> None:
    # Given a coach with no clients, When rendered
    email = render_weekly_email(coach_name="Sam", iso_week=WEEK, summaries=[])

    # Then it says so plainly and still carries the header and footer
    assert email.subject == "Moodline weekly — 2026-W48: no clients"
    for body in (email.html, email.text):
        assert "no clients" in body
        assert FOOTER in body
    assert email.html.rstrip().endswith("</html>")
    assert 'height="34"' not in email.html


def test_render_rejects_bad_week() -> None:
    with pytest.raises(ValueError, match="ISO week"):
        render_weekly_email(coach_name="Sam", iso_week="2026-48", summaries=[])


# --------------------------------------------------------------------------- ISO weeks


@pytest.mark.parametrize(
    ("iso_week", "bounds"),
    [
        ("2026-W48", (date(2026, 11, 23), date(2026, 11, 29))),
        ("2026-W01", (date(2025, 12, 29), date(2026, 1, 4))),
        ("2026-W53", (date(2026, 12, 28), date(2027, 1, 3))),  # 2026 has 53 ISO weeks
        ("2027-W01", (date(2027, 1, 4), date(2027, 1, 10))),
    ],
)
def test_iso_week_bounds(iso_week: str, bounds: tuple[date, date]) -> None:
    assert iso_week_bounds(iso_week) == bounds


@pytest.mark.parametrize(
    "bad",
    [
        "2025-W53",
        "2026-W54",
        "2026-W00",
        "2026-W4",
        "2026W48",
        "2026-w48",
        " 2026-W48",
        "2026-W48\n",
        "２０２６-W48",
        "",
        "0000-W01",
        "2026-W48-1",
    ],
)
def test_iso_week_bounds_rejects_bad_input(bad: str) -> None:
    with pytest.raises(ValueError, match="ISO week"):
        iso_week_bounds(bad)


# --------------------------------------------------------------------------- properties

day_strategy = st.one_of(
    st.just(ABSENT),
    st.none(),
    st.floats(min_value=1, max_value=10, allow_nan=False),
    st.integers(min_value=1, max_value=10).map(float),
)
week_strategy = st.builds(
    lambda days, prev, opted: client("P", days, previous=prev, opted_out=opted),
    st.lists(day_strategy, min_size=7, max_size=7),
    st.lists(st.floats(min_value=1, max_value=10, allow_nan=False), max_size=21),
    st.booleans(),
)


@given(week=week_strategy)
def test_summary_invariants(week: ClientWeekInput) -> None:
    summary = summarize(week)
    assert len(summary.moods) == 7
    assert 0 <= summary.replies <= summary.probes_sent <= 7
    if summary.probes_sent:
        assert summary.response_rate is not None
        assert 0.0 <= summary.response_rate <= 1.0
    else:
        assert summary.response_rate is None
    if summary.mean_mood is not None:
        assert summary.low_mood is not None
        assert 1.0 <= summary.low_mood <= summary.mean_mood + 1e-9 <= 10.0 + 1e-9
    assert summary.trend in {"up", "down", "steady", "unknown"}


@settings(max_examples=50)
@given(
    names=st.lists(st.text(min_size=1, max_size=30), max_size=8),
    weeks=st.lists(week_strategy, min_size=8, max_size=8),
)
def test_any_names_render_one_card_and_row_each(names: list[str], weeks: list[ClientWeekInput]) -> None:
    summaries = [
        summarize(replace(w, display_name=n, client_id=f"c{i}"))
        for i, (n, w) in enumerate(zip(names, weeks, strict=False))
    ]
    email = render_weekly_email(coach_name="Sam", iso_week=WEEK, summaries=summaries)
    assert len(html_moods(email.html)) == len(summaries)
    assert len(text_moods(email.text)) == len(summaries)
    assert "\n" not in email.subject


# --------------------------------------------------------------------------- sample data


def sample_week() -> list[ClientWeekInput]:
    """A realistic coach's week: one crisis, one slipping, one quiet, one opted out, two doing fine."""
    return [
        client(
            "Maya",
            (6, 5, None, 3, 2, None, None),
            alerts=[alert("crisis", "acknowledged")],
            previous=(6, 7, 6, 6, 7),
        ),
        client("Tom", (7, 7, 8, 7, 6, 7, 8), previous=(7, 7, 6)),
        client("J.K.", (None, None, None, None, 5, None, 4), alerts=[alert("moderate")], previous=(6, 5)),
        client("Priya", (4, 5, 4, 3, 4, 5, 4), previous=(4, 4, 5)),
        client("Luis", (5, 6, 7, 7, 8, 8, 9), previous=(5, 5, 6, 5)),
        client("Noor", [ABSENT] * 7, opted_out=True, previous=(6, 6)),
    ]


def test_a_regular_replier_gone_quiet_is_flagged_for_the_coach() -> None:
    # Given a client who answered 5 of 5 probes before this week, then missed three in a row
    week = ClientWeekInput(
        client_id="cl_1",
        display_name="Gus",
        checkins=[DayCheckin(MONDAY + timedelta(days=i), True, i < 2, 7.0 if i < 2 else None) for i in range(5)],
        alerts=[],
        previous_moods=[7.0, 7.0, 6.0],
        previous_answered=[True] * 5,
    )
    quiet = summarize_client_week(week, week_start=MONDAY)
    # And one who never replied regularly
    never = summarize_client_week(
        ClientWeekInput(**{**week.__dict__, "previous_answered": [False] * 5}), week_start=MONDAY
    )

    # Then only the first gets the triage's moderate adherence flag
    assert "Went quiet after replying regularly (moderate)" in quiet.flags
    assert "Went quiet after replying regularly (moderate)" not in never.flags



# --------------------------------------------------------------------------- day kinds and alert days


def day(offset: int, *, probe: bool = True, replied: bool = True, mood: float | None = None,
        level: str | None = None) -> DayCheckin:
    return DayCheckin(MONDAY + timedelta(days=offset), probe, replied, mood, level)


def one_of_each_week(name: str = "Ana") -> ClientWeekInput:
    """Mon crisis reply without a number, Tue high reply rated 2, Wed a 7, Thu a reply without a
    number, Fri missed, Sat no probe, Sun a moderate reply rated 5 (moderate does not page)."""
    return ClientWeekInput(
        client_id=f"id-{name.lower()}",
        display_name=name,
        checkins=[
            day(0, level="crisis"),
            day(1, mood=2, level="high"),
            day(2, mood=7, level="low"),
            day(3),
            day(4, replied=False),
            day(6, mood=5, level="moderate"),
        ],
        alerts=[],
        previous_moods=[6, 6],
    )


def html_day_cells(html: str) -> list[tuple[str, str, str]]:
    """(title, background, value) of every day cell, in order."""
    return [
        (html_lib.unescape(title), bg, html_lib.unescape(value))
        for title, bg, value in re.findall(
            r'height="34" align="center" title="([^"]*)" style="[^"]*background:([^;]+);[^"]*">([^<]*)</td>', html
        )
    ]


def test_every_kind_of_day_is_told_apart_in_the_summary() -> None:
    # Given one day of each kind
    summary = summarize(one_of_each_week())

    # Then each day gets its own kind, an alert day keeps its rating, and moderate is an ordinary day
    assert summary.day_kinds == ("crisis", "high", "mood", "no_number", "missed", "no_probe", "mood")
    assert summary.moods == (None, 2, 7, None, None, None, 5)
    assert (summary.probes_sent, summary.replies) == (6, 5)


def test_a_crisis_day_no_longer_looks_like_a_missed_day() -> None:
    # Given a crisis reply without a number on Monday and a missed check-in on Friday
    _, html, text = render(one_of_each_week())

    # When the e-mail is read, Then every kind of day has its own symbol and colour in HTML ...
    cells = html_day_cells(html)
    values = [value for _, _, value in cells]
    assert values == ["!", "!2", "7", "✓", "×", "·", "5"]
    backgrounds = {kind: bg for kind, (_, bg, _) in zip(("crisis", "high", "mood", "no_number", "missed",
                                                           "no_probe"), cells, strict=False)}
    assert len(set(backgrounds.values())) == 6
    # ... says it in words to screen readers and on hover ...
    assert cells[0][0] == "Mon: crisis alert"
    assert cells[1][0] == "Tue: mood 2, high alert"
    assert cells[3][0] == "Thu: replied without a number"
    assert cells[4][0] == "Fri: missed"
    assert cells[5][0] == "Sat: no check-in sent"
    # ... and the text body shows the same marks, plus the alert days in words (not colour alone)
    assert text_moods(text) == [values]
    assert text_rows(text)[0][1] == "!!▆✓×·▄"
    assert "! Alert days: Mon crisis, Tue high" in text
    assert "Alert days: Mon crisis, Tue high" in html


def test_the_legend_explains_every_mark_in_html_and_text() -> None:
    # Given any client, When rendered
    _, html, text = render(one_of_each_week())
    visible = " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())

    # Then the HTML legend pairs each symbol with its meaning, and the text body spells them out
    for symbol, words in (("!", "crisis alert that day"), ("!", "high alert that day"),
                          ("✓", "replied, no number"), ("×", "missed: no reply"), ("·", "no check-in sent")):
        assert f"{symbol} {words}" in visible
    for band in ("1–3", "4–5", "6–7", "8–10"):
        assert band in visible
    assert "! = a reply raised a high or crisis alert" in text
    assert "✓ = replied without a number; × = missed (no reply); · = no check-in sent." in text


def test_an_alert_day_ranks_the_client_first_even_without_the_alert_record() -> None:
    # Given a crisis reply on a day whose alert was opened (and counted) in an earlier week
    weeks = [client("Abe"), replace(one_of_each_week("Zoe"), previous_moods=[])]

    # When rendered, Then that client comes first
    _, html, _ = render(*weeks)
    assert html_names(html) == ["Zoe", "Abe"]


def test_unknown_triage_level_on_a_day_is_refused_and_an_unanswered_day_is_not_an_alert_day() -> None:
    # Given a level triage never writes, When summarised, Then it fails loudly
    with pytest.raises(ValueError, match="triage level"):
        summarize(replace(client("X"), checkins=[day(0, mood=5, level="severe")]))
    # Given a level on a day without a reply, Then the day is missed, not an alert day
    assert summarize(replace(client("X"), checkins=[day(0, replied=False, level="crisis")])).day_kinds[0] == "missed"


# --------------------------------------------------------------------------- pages the coach handled

ACK_AT = datetime(2026, 11, 25, 22, 4, tzinfo=UTC)


def pages() -> list[HandledPage]:
    return [
        HandledPage("cl_ali", "Ali", "crisis", ACK_AT + timedelta(days=1), outcome=None, alert_id="al_2"),
        HandledPage("cl_bea", "Bea", "high", ACK_AT, outcome="true_alarm", alert_id="al_1", own_client=True),
    ]


def test_on_call_coach_sees_the_pages_they_handled_and_never_reads_no_alerts() -> None:
    # Given an on-call coach whose own clients had a calm week, who handled two pages (one for
    # another coach's client, still unresolved)
    email = render_weekly_email(coach_name="Sam", iso_week=WEEK, summaries=[summarize(client("Tom"))],
                                handled_pages=pages(), timezone="Europe/Madrid")

    # Then subject, overview and both bodies say they handled pages, and none of them says "no alerts"
    assert email.subject == f"Moodline weekly — {WEEK}: 1 client, 2 pages you handled"
    for body in (email.html, email.text):
        assert "no alerts" not in body
        assert "Pages you handled (2)" in body
    # And each page shows the client, severity, when it was acknowledged (practice time), the outcome,
    # and whose client it was, oldest first
    assert (
        "- Bea: high, your client. Acknowledged Wed 25 Nov 23:04 CET; resolved: true alarm.\n"
        "- Ali: crisis, another coach's client. Acknowledged Thu 26 Nov 23:04 CET; not resolved yet.\n"
    ) in email.text
    visible = " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", email.html)).split())
    assert "high Bea (your client) Acknowledged Wed 25 Nov 23:04 CET · resolved: true alarm" in visible
    assert "crisis Ali (another coach's client) Acknowledged Thu 26 Nov 23:04 CET · not resolved yet" in visible


def test_a_coach_without_clients_who_handled_pages_gets_them_listed() -> None:
    # Given an on-call-only coach with no clients, When rendered
    email = render_weekly_email(coach_name="Sam", iso_week=WEEK, summaries=[], handled_pages=pages()[:1])

    # Then the e-mail is about the page, with UTC times by default
    assert email.subject == f"Moodline weekly — {WEEK}: no clients, 1 page you handled"
    for body in (email.html, email.text):
        assert "Ali" in body
        assert "Thu 26 Nov 22:04 UTC" in body
        assert "no alerts" not in body


def test_a_coach_with_no_alerts_and_no_pages_still_reads_no_alerts() -> None:
    subject, html, text = render(client("Tom"))
    assert subject.endswith("1 client, no alerts")
    assert "no alerts" in html
    assert "no alerts" in text
    assert "Pages you handled" not in html + text


@pytest.mark.parametrize(
    "bad",
    [
        HandledPage("c", "C", "urgent", ACK_AT),
        HandledPage("c", "C", "high", ACK_AT, outcome="closed"),
        HandledPage("c", "C", "high", datetime(2026, 11, 25, 9, 0)),  # naive: which timezone?
    ],
)
def test_malformed_handled_pages_are_refused(bad: HandledPage) -> None:
    with pytest.raises(ValueError, match=r"."):
        render_weekly_email(coach_name="Sam", iso_week=WEEK, summaries=[], handled_pages=[bad])


def test_unknown_timezone_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        render_weekly_email(coach_name="Sam", iso_week=WEEK, summaries=[], timezone="Mars/Olympus")


# --------------------------------------------------------------------------- whether to send at all


def test_first_monday_of_a_new_deployment_sends_nothing() -> None:
    # Given coaches whose clients were enrolled but never probed, and a coach with no clients
    never_probed = [summarize(client("New", [ABSENT] * 7)), summarize(client("Newer", [ABSENT] * 7))]

    # Then no e-mail goes out to either
    assert should_send(never_probed) is False
    assert should_send([]) is False


@pytest.mark.parametrize(
    ("summaries", "handled"),
    [
        ([summarize(client("A", (None, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT)))], []),  # one missed probe
        ([summarize(client("A", [ABSENT] * 7, alerts=[alert("high")]))], []),  # an alert without a probe
        ([summarize(replace(client("A"), checkins=[day(2, probe=False, mood=6)]))], []),  # an unprompted reply
        ([], pages()[:1]),  # no clients, but handled a page
        ([summarize(client("A", [ABSENT] * 7))], pages()[:1]),  # clients never probed, but handled a page
    ],
)
def test_a_week_with_anything_to_read_is_sent(summaries: list[ClientWeekSummary], handled: list[HandledPage]) -> None:
    assert should_send(summaries, handled) is True


# --------------------------------------------------------------------------- links to the workspace

BASE = "https://moodline.example.org/Prod"


def test_links_go_to_the_workspace_client_pages_alerts_and_handled_alerts() -> None:
    # Given a workspace URL with a trailing slash
    email = render_weekly_email(coach_name="Sam", iso_week=WEEK, summaries=[summarize(client("Ana"))],
                                handled_pages=pages(), workspace_url=BASE + "/")

    # Then the HTML links the client, the open alerts and each handled page's alert ...
    hrefs = re.findall(r'href="([^"]*)"', email.html)
    assert sorted(hrefs) == sorted([
        f"{BASE}/coach/alerts",
        f"{BASE}/coach/alerts/al_1",
        f"{BASE}/coach/alerts/al_2",
        f"{BASE}/coach/clients/id-ana",
    ])
    # ... and the text body carries the same addresses
    for href in hrefs:
        assert href in email.text
    assert f"Open alerts: {BASE}/coach/alerts" in email.text


def test_a_handled_page_without_alert_id_links_the_client_and_ids_are_url_quoted() -> None:
    page = HandledPage("c/1 ?x", "Cy", "high", ACK_AT)
    email = render_weekly_email(coach_name="Sam", iso_week=WEEK, summaries=[], handled_pages=[page],
                                workspace_url=BASE)
    assert f'href="{BASE}/coach/clients/c%2F1%20%3Fx"' in email.html


def test_without_a_workspace_url_there_are_no_links_and_no_ids() -> None:
    # Given no workspace URL (the default), When rendered with clients and handled pages
    email = render_weekly_email(coach_name="Sam", iso_week=WEEK,
                                summaries=[summarize(client("Ana", client_id="cid-0001"))], handled_pages=pages())

    # Then there are no anchors, no empty hrefs, no URLs and no ids in either body
    for body in (email.html, email.text):
        assert "href" not in body
        assert "http" not in body
        assert "cid-" not in body
        assert "al_" not in body
        assert "cl_" not in body
        assert "/coach/" not in body


@pytest.mark.parametrize(
    "bad",
    ["javascript:alert(1)", "ftp://x.org", "moodline.example.org", "https://", 'https://x.org/"onmouseover=1',
     "https://x.org/?next=evil", "https://x.org/#top", "https://x .org"],
)
def test_a_workspace_url_that_is_not_a_plain_http_base_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="workspace_url"):
        render_weekly_email(coach_name="Sam", iso_week=WEEK, summaries=[], workspace_url=bad)


def test_links_do_not_leak_phones_or_message_text() -> None:
    # Given clients with linked cards and handled pages
    email = render_weekly_email(coach_name="Sam", iso_week=WEEK, summaries=[summarize(w) for w in sample_week()],
                                handled_pages=pages(), workspace_url=BASE)

    # Then ids appear only inside workspace links, and nothing phone-like appears anywhere
    outside_links = re.sub(r'href="[^"]*"', "", email.html)
    assert "/coach/clients/" not in outside_links
    for body in (email.html, email.text, email.subject):
        assert not re.search(r"\+\d{6,}|\b\d{3}[-. ]\d{3}[-. ]\d{4}\b", body)


@given(week=week_strategy, levels=st.lists(st.sampled_from([None, "low", "moderate", "high", "crisis"]),
                                           min_size=7, max_size=7))
def test_day_kinds_agree_with_moods(week: ClientWeekInput, levels: list[str | None]) -> None:
    week = replace(week, checkins=[replace(c, alert_level=levels[c.local_date.weekday()]) for c in week.checkins])
    summary = summarize(week)
    assert len(summary.day_kinds) == 7
    assert set(summary.day_kinds) <= set(DAY_KINDS)
    for kind, mood in zip(summary.day_kinds, summary.moods, strict=True):
        assert (kind == "mood") == (mood is not None and kind not in ("crisis", "high"))
        if kind in ("no_number", "missed", "no_probe"):
            assert mood is None
