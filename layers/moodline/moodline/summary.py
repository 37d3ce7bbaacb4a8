"""Pure weekly per-coach summary: compute each client's week and render the e-mail (HTML and text)."""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import jinja2

from moodline.triage.adherence import assess_adherence

__all__ = [
    "ALERT_LEVELS",
    "ALERT_STATUSES",
    "AlertBrief",
    "ClientWeekInput",
    "ClientWeekSummary",
    "DayCheckin",
    "WeeklyEmail",
    "iso_week_bounds",
    "render_weekly_email",
    "summarize_client_week",
]

ALERT_LEVELS: tuple[str, ...] = ("crisis", "high", "moderate")  # most severe first; drives display order
ALERT_STATUSES: tuple[str, ...] = ("open", "acknowledged", "resolved")

MOOD_MIN = 1.0
MOOD_MAX = 10.0
TREND_DELTA = 1.0  # a whole point on a 1–10 scale is a change a coach would notice
MIN_MOODS_FOR_TREND = 2  # one rating is an anecdote, not a mean
LOW_MOOD = 3.0  # a day at or below this is called out by itself
LOW_MEAN = 4.0  # a week averaging at or below this ranks the client near the top
MISSED_RUN_FLAG = 3  # shorter gaps are normal life; three in a row is worth a nudge

FOOTER = "You receive this because you coach these clients in Moodline. Mood scores are self-reported."

_WEEK_RE = re.compile(r"([0-9]{4})-W([0-9]{2})")  # [0-9], not \d: \d also matches non-ASCII digits
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # fixed English, not locale-dependent strftime
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SPARKS = "▁▂▃▄▅▆▇█"
_NO_MOOD_SPARK = "·"
_NO_MOOD_CELL = "–"
_TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
_NAME_WIDTH_CAP = 18  # longer names go on their own line so the text columns stay narrow
_TREND_TEXT = {"up": "↑ up", "down": "↓ down", "steady": "→ steady", "unknown": "· n/a"}
_TREND_COLOUR = {"up": "#15803d", "down": "#b91c1c", "steady": "#374151", "unknown": "#6b7280"}
# (background, text) pairs chosen so the number stays readable (WCAG AA) on every cell.
_MOOD_BANDS: tuple[tuple[float, str, str], ...] = (
    (4.0, "#fecaca", "#7f1d1d"),  # 1–3
    (6.0, "#fed7aa", "#7c2d12"),  # 4–5
    (8.0, "#fef08a", "#713f12"),  # 6–7
    (math.inf, "#bbf7d0", "#14532d"),  # 8–10
)
_NO_MOOD_COLOURS = ("#e5e7eb", "#6b7280")
_ALERT_COLOURS = {
    "crisis": ("#b91c1c", "#ffffff"),
    "high": ("#c2410c", "#ffffff"),
    "moderate": ("#fde68a", "#78350f"),
}


@dataclass(frozen=True)
class DayCheckin:
    """One local day of a client's check-ins."""

    local_date: date
    probe_sent: bool
    replied: bool
    mood: float | None  # None when no reply or no parseable rating


@dataclass(frozen=True)
class AlertBrief:
    """The parts of an alert the weekly summary needs (never its message text)."""

    raised_at: datetime  # aware UTC
    level: str  # "crisis" | "high" | "moderate"
    status: str  # "open" | "acknowledged" | "resolved"


@dataclass(frozen=True)
class ClientWeekInput:
    """Everything known about one client for one week, as loaded by the data-access layer."""

    client_id: str
    display_name: str  # first name or initials only (minimal PII)
    checkins: Sequence[DayCheckin]  # the week's 7 local days, any order; days with no probe may be absent
    alerts: Sequence[AlertBrief]
    previous_moods: Sequence[float]  # the client's moods in the 3 weeks before, for the trend baseline
    opted_out: bool = False
    previous_answered: Sequence[bool] = ()  # one per probe in the weeks before, oldest first: replied?


@dataclass(frozen=True)
class ClientWeekSummary:
    """One client's week, reduced to the figures a coach reads."""

    client_id: str
    display_name: str
    probes_sent: int
    replies: int
    response_rate: float | None  # replies / probes_sent, None if no probes
    moods: tuple[float | None, ...]  # one per day Mon..Sun of the week (None = no mood that day)
    mean_mood: float | None
    low_mood: float | None
    trend: str  # "up" | "down" | "steady" | "unknown"
    # hash=False keeps the summary hashable although a dict is not; a plain dict (not a
    # MappingProxyType) so dataclasses.asdict/copy/pickle keep working for callers.
    alerts_by_level: Mapping[str, int] = field(hash=False)
    open_alerts: int
    flags: tuple[str, ...]  # short human phrases for the coach


@dataclass(frozen=True)
class WeeklyEmail:
    """A ready-to-send e-mail: subject plus HTML and plain-text bodies."""

    subject: str
    html: str
    text: str


# --------------------------------------------------------------------------- computation


def iso_week_bounds(iso_week: str) -> tuple[date, date]:
    """Return (Monday, Sunday) of an ISO week written like "2026-W48"; raise ValueError on bad input."""
    if not isinstance(iso_week, str):
        raise ValueError(f"ISO week must be a string like '2026-W48', got {type(iso_week).__name__}")
    match = _WEEK_RE.fullmatch(iso_week)
    if match is None:
        raise ValueError(f"ISO week must look like '2026-W48', got {iso_week!r}")
    year, week = int(match.group(1)), int(match.group(2))
    try:
        # fromisocalendar knows which years have a week 53, so "2025-W53" is rejected here.
        monday = date.fromisocalendar(year, week, 1)
    except ValueError as exc:
        raise ValueError(f"no such ISO week: {iso_week!r}") from exc
    return monday, monday + timedelta(days=6)


def _check_mood(value: float, what: str) -> float:
    # Out-of-range or NaN ratings mean the parser let something through; failing loudly beats
    # quietly skewing a mean that a coach will act on.
    if not math.isfinite(value) or not MOOD_MIN <= value <= MOOD_MAX:
        raise ValueError(f"{what} must be between {MOOD_MIN:g} and {MOOD_MAX:g}, got {value!r}")
    return float(value)


def _mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def _trend(week_moods: Sequence[float], previous: Sequence[float]) -> str:
    if len(week_moods) < MIN_MOODS_FOR_TREND or len(previous) < MIN_MOODS_FOR_TREND:
        return "unknown"
    # Rounding absorbs float noise, so 6.1 vs 5.1 counts as exactly +1.0 ("up") as a reader expects.
    delta = round(math.fsum(week_moods) / len(week_moods) - math.fsum(previous) / len(previous), 9)
    if delta >= TREND_DELTA:
        return "up"
    if delta <= -TREND_DELTA:
        return "down"
    return "steady"


def _longest_missed_run(days: Sequence[DayCheckin | None]) -> int:
    longest = current = 0
    for day in days:
        # Days without a probe are neither answered nor missed, so they don't break a run.
        if day is None or not day.probe_sent:
            continue
        current = 0 if day.replied else current + 1
        longest = max(longest, current)
    return longest


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def summarize_client_week(week: ClientWeekInput, *, week_start: date) -> ClientWeekSummary:
    """Reduce one client's week (Monday ``week_start`` to Sunday) to a ClientWeekSummary.

    Replies are counted only on days a probe was sent, so the response rate stays within [0, 1];
    a mood counts only when the client replied that day. All given alerts are counted: the caller
    selects which alerts belong to the week. Raises ValueError if ``week_start`` is not a Monday,
    a check-in falls outside the week or repeats a day, a mood is outside 1–10, or an alert has an
    unknown level or status.
    """
    if week_start.weekday() != 0:
        raise ValueError(f"week_start must be a Monday, got {week_start.isoformat()}")
    week_end = week_start + timedelta(days=6)

    by_offset: list[DayCheckin | None] = [None] * 7
    for checkin in week.checkins:
        offset = (checkin.local_date - week_start).days
        if not 0 <= offset <= 6:
            raise ValueError(
                f"check-in on {checkin.local_date.isoformat()} is outside the week "
                f"{week_start.isoformat()}..{week_end.isoformat()}"
            )
        if by_offset[offset] is not None:
            raise ValueError(f"two check-ins for {checkin.local_date.isoformat()}")
        by_offset[offset] = checkin

    probed = [day for day in by_offset if day is not None and day.probe_sent]
    probes_sent = len(probed)
    replies = sum(1 for day in probed if day.replied)
    response_rate = replies / probes_sent if probes_sent else None

    moods: tuple[float | None, ...] = tuple(
        _check_mood(day.mood, f"mood on {day.local_date.isoformat()}")
        if day is not None and day.replied and day.mood is not None
        else None
        for day in by_offset
    )
    week_moods = [mood for mood in moods if mood is not None]
    previous = [_check_mood(mood, "previous mood") for mood in week.previous_moods]

    alerts_by_level = dict.fromkeys(ALERT_LEVELS, 0)
    open_alerts = 0
    for alert in week.alerts:
        if alert.level not in alerts_by_level:
            raise ValueError(f"unknown alert level {alert.level!r}")
        if alert.status not in ALERT_STATUSES:
            raise ValueError(f"unknown alert status {alert.status!r}")
        alerts_by_level[alert.level] += 1
        open_alerts += alert.status == "open"

    # Most urgent first: the coach may read only the first phrase on a phone.
    flags: list[str] = []
    if alerts_by_level["crisis"]:
        flags.append("Crisis alert this week")
    if open_alerts:
        flags.append(f"{_plural(open_alerts, 'alert')} still open")
    if week.opted_out:
        flags.append("Opted out of check-ins")
    answered = [*week.previous_answered, *(d.replied for d in by_offset if d is not None and d.probe_sent)]
    if assess_adherence(answered) is not None:
        # The triage's moderate signal: a regular replier gone quiet is a reason to reach out.
        flags.append("Went quiet after replying regularly (moderate)")
    if probes_sent and not replies:
        flags.append("No replies this week")
    elif (missed := _longest_missed_run(by_offset)) >= MISSED_RUN_FLAG:
        flags.append(f"{missed} missed check-ins in a row")
    low_days = sum(1 for mood in week_moods if mood <= LOW_MOOD)
    if low_days:
        flags.append(f"Mood {LOW_MOOD:g} or lower on {_plural(low_days, 'day')}")
    if not probes_sent and not week.opted_out:
        # Silence that is ours, not the client's: worth a look at the schedule.
        flags.append("No check-ins sent this week")

    return ClientWeekSummary(
        client_id=week.client_id,
        display_name=week.display_name,
        probes_sent=probes_sent,
        replies=replies,
        response_rate=response_rate,
        moods=moods,
        mean_mood=_mean(week_moods),
        low_mood=min(week_moods) if week_moods else None,
        trend=_trend(week_moods, previous),
        alerts_by_level=alerts_by_level,
        open_alerts=open_alerts,
        flags=tuple(flags),
    )


def _concern_key(summary: ClientWeekSummary) -> tuple[int, int, int, float, str, str]:
    crisis = summary.alerts_by_level.get("crisis", 0)
    high = summary.alerts_by_level.get("high", 0)
    mean = summary.mean_mood if summary.mean_mood is not None else math.inf
    if crisis or high:
        tier = 0
    elif summary.trend == "down" or mean <= LOW_MEAN:
        tier = 1
    else:
        tier = 2
        mean = math.inf  # the calm rest reads best alphabetically
    # client_id last only to make the order total, so equal names never swap between runs.
    return (tier, -crisis, -high, mean, _clean(summary.display_name).casefold(), summary.client_id)


# --------------------------------------------------------------------------- rendering


def _clean(text: str) -> str:
    # Control characters (newlines, tabs, bidi overrides) in a name would break the text layout
    # or reorder what the coach sees; collapse them to single spaces.
    cleaned = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text)
    return " ".join(cleaned.split())


def _display_name(summary: ClientWeekSummary) -> str:
    return _clean(summary.display_name) or "Unnamed client"


def _width(text: str) -> int:
    # Terminal-style width so CJK names (two columns each) keep the text table aligned.
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in text
    )


def _pad(text: str, width: int, *, right: bool = False) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


def _fmt_mood(mood: float | None) -> str:
    if mood is None:
        return _NO_MOOD_CELL
    text = f"{mood:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _fmt_mean(mood: float | None) -> str:
    return _NO_MOOD_CELL if mood is None else f"{mood:.1f}"


def _spark(mood: float | None) -> str:
    if mood is None:
        return _NO_MOOD_SPARK
    index = round((mood - MOOD_MIN) / (MOOD_MAX - MOOD_MIN) * (len(_SPARKS) - 1))
    return _SPARKS[min(max(index, 0), len(_SPARKS) - 1)]


def _mood_colours(mood: float | None) -> tuple[str, str]:
    if mood is None:
        return _NO_MOOD_COLOURS
    return next((bg, fg) for upper, bg, fg in _MOOD_BANDS if mood < upper)


def _answered(summary: ClientWeekSummary) -> str:
    return f"{summary.replies} of {summary.probes_sent}" if summary.probes_sent else "none sent"


def _alerts_text(summary: ClientWeekSummary) -> str:
    parts = [
        f"{summary.alerts_by_level.get(level, 0)} {level}"
        for level in ALERT_LEVELS
        if summary.alerts_by_level.get(level, 0)
    ]
    if not parts:
        return "none"
    opened = f" ({summary.open_alerts} open)" if summary.open_alerts else ""
    return ", ".join(parts) + opened


def _day_label(day: date) -> str:
    return f"{_DAY_NAMES[day.weekday()]} {day.day} {_MONTH_NAMES[day.month - 1]}"


def _alert_totals(summaries: Sequence[ClientWeekSummary]) -> dict[str, int]:
    return {level: sum(s.alerts_by_level.get(level, 0) for s in summaries) for level in ALERT_LEVELS}


def _subject(iso_week: str, summaries: Sequence[ClientWeekSummary]) -> str:
    prefix = f"Moodline weekly — {iso_week}: "
    if not summaries:
        return prefix + "no clients"
    totals = _alert_totals(summaries)
    alerts = [_plural(totals[level], f"{level} alert") for level in ALERT_LEVELS if totals[level]]
    # Names never go in the subject: it shows on lock screens and in mail-server logs.
    return prefix + ", ".join([_plural(len(summaries), "client"), *(alerts or ["no alerts"])])


@dataclass(frozen=True)
class _DayCell:
    label: str
    value: str
    bg: str
    fg: str


@dataclass(frozen=True)
class _AlertBadge:
    text: str
    bg: str
    fg: str


@dataclass(frozen=True)
class _ClientView:
    name: str
    days: tuple[_DayCell, ...]
    answered: str
    mean: str
    low: str
    trend_text: str
    trend_colour: str
    alerts: str
    badges: tuple[_AlertBadge, ...]
    flags: tuple[str, ...]
    sparkline: str
    mood_numbers: str
    text_row: str
    name_on_own_line: bool


def _client_views(summaries: Sequence[ClientWeekSummary]) -> tuple[list[_ClientView], str, str]:
    """Build per-client view models plus the text table's header and rule lines.

    Both templates render from the same view models, so HTML and text cannot disagree on a figure.
    """
    ordered = sorted(summaries, key=_concern_key)
    names = [_display_name(s) for s in ordered]
    name_width = max([_width("Client"), *(min(_width(n), _NAME_WIDTH_CAP) for n in names)])
    columns = (
        ("Client", name_width, False),
        ("Mon–Sun", 7, False),
        ("Answered", 9, False),
        ("Mean", 4, True),
        ("Low", 3, True),
        ("Trend", 8, False),
        ("Alerts", 6, False),
    )
    header = "  ".join(_pad(title, width, right=right) for title, width, right in columns).rstrip()
    rule = "  ".join("-" * width for _, width, _ in columns)

    views: list[_ClientView] = []
    for summary, name in zip(ordered, names, strict=True):
        if len(summary.moods) != 7:
            raise ValueError(f"a summary needs 7 daily moods, got {len(summary.moods)}")
        own_line = _width(name) > name_width
        cells = (
            "" if own_line else name,
            "".join(_spark(m) for m in summary.moods),
            _answered(summary),
            _fmt_mean(summary.mean_mood),
            _fmt_mood(summary.low_mood),
            _TREND_TEXT.get(summary.trend, _TREND_TEXT["unknown"]),
            _alerts_text(summary),
        )
        row = "  ".join(
            _pad(cell, width, right=right) for cell, (_, width, right) in zip(cells, columns, strict=True)
        ).rstrip()
        views.append(
            _ClientView(
                name=name,
                days=tuple(
                    _DayCell(label, _fmt_mood(mood), *_mood_colours(mood))
                    for label, mood in zip(_DAY_NAMES, summary.moods, strict=True)
                ),
                answered=_answered(summary),
                mean=_fmt_mean(summary.mean_mood),
                low=_fmt_mood(summary.low_mood),
                trend_text=_TREND_TEXT.get(summary.trend, _TREND_TEXT["unknown"]),
                trend_colour=_TREND_COLOUR.get(summary.trend, _TREND_COLOUR["unknown"]),
                alerts=_alerts_text(summary),
                badges=tuple(
                    _AlertBadge(f"{summary.alerts_by_level[level]} {level}", *_ALERT_COLOURS[level])
                    for level in ALERT_LEVELS
                    if summary.alerts_by_level.get(level, 0)
                ),
                flags=tuple(_clean(flag) for flag in summary.flags),
                sparkline=cells[1],
                mood_numbers=" ".join(_fmt_mood(m) for m in summary.moods),
                text_row=row,
                name_on_own_line=own_line,
            )
        )
    return views, header, rule


@functools.cache
def _environment() -> jinja2.Environment:
    # Built once per process (warm Lambda invocations reuse it); templates are compiled on first use.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATE_DIR),
        # Escape exactly the "*.html.j2" templates (the default list would miss the ".j2" suffix);
        # the plain-text body must not carry HTML entities.
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_weekly_email(
    *, coach_name: str, iso_week: str, summaries: Sequence[ClientWeekSummary]
) -> WeeklyEmail:
    """Render one coach's weekly e-mail, clients ordered most concerning first.

    Only display names, moods, counts and alert levels appear: no client ids, phone numbers or
    message texts. Raises ValueError for a malformed ``iso_week`` or a summary without 7 daily moods.
    """
    monday, sunday = iso_week_bounds(iso_week)
    views, header, rule = _client_views(summaries)
    totals = _alert_totals(summaries)
    probes = sum(s.probes_sent for s in summaries)
    replies = sum(s.replies for s in summaries)
    alert_parts = [_plural(totals[level], f"{level} alert") for level in ALERT_LEVELS if totals[level]]
    overview = " · ".join(
        [
            _plural(len(summaries), "client"),
            f"{replies} of {_plural(probes, 'check-in')} answered",
            ", ".join(alert_parts) or "no alerts",
        ]
    )
    context = {
        "coach_name": _clean(coach_name) or "coach",
        "iso_week": iso_week,
        "week_label": f"{_day_label(monday)} – {_day_label(sunday)} {sunday.year}",
        "overview": overview,
        "clients": views,
        "text_header": header,
        "text_rule": rule,
        "text_indent": " " * (len(rule.split("  ")[0]) + 2),
        "legend": [
            _DayCell("1–3", "", *_MOOD_BANDS[0][1:]),
            _DayCell("4–5", "", *_MOOD_BANDS[1][1:]),
            _DayCell("6–7", "", *_MOOD_BANDS[2][1:]),
            _DayCell("8–10", "", *_MOOD_BANDS[3][1:]),
            _DayCell("no rating", "", *_NO_MOOD_COLOURS),
        ],
        "footer": FOOTER,
    }
    env = _environment()
    subject = _subject(iso_week, summaries)
    return WeeklyEmail(
        subject=subject,
        html=env.get_template("weekly.html.j2").render(subject=subject, **context),
        text=env.get_template("weekly.txt.j2").render(subject=subject, **context),
    )
