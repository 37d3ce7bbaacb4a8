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
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2

from moodline.triage.adherence import assess_adherence

__all__ = [
    "ALERT_LEVELS",
    "ALERT_STATUSES",
    "DAY_KINDS",
    "OUTCOMES",
    "AlertBrief",
    "ClientWeekInput",
    "ClientWeekSummary",
    "DayCheckin",
    "HandledPage",
    "WeeklyEmail",
    "iso_week_bounds",
    "render_weekly_email",
    "should_send",
    "summarize_client_week",
]

ALERT_LEVELS: tuple[str, ...] = ("crisis", "high", "moderate")  # most severe first; drives display order
ALERT_STATUSES: tuple[str, ...] = ("open", "acknowledged", "resolved")
TRIAGE_LEVELS: tuple[str, ...] = ("low", "moderate", "high", "crisis")  # a reply's triage level
ALERT_DAY_LEVELS: tuple[str, ...] = ("crisis", "high")  # a reply at these levels pages: an alert day
OUTCOMES: tuple[str, ...] = ("true_alarm", "false_alarm", "follow_up")
# What one local day was, most urgent first. "mood": a reply with a rating; "no_number": a reply
# without one; "missed": a probe went out and nothing came back; "no_probe": nothing was sent.
DAY_KINDS: tuple[str, ...] = ("crisis", "high", "mood", "no_number", "missed", "no_probe")

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
_NO_MOOD_CELL = "–"  # an empty figure (mean, low), never a day: days carry their own marks
_ALERT_MARK = "!"
# A day that is not a plain rating is told apart by its symbol first (text, screen readers, colour
# blindness) and by its colours second. Each symbol is one column wide so the text table aligns.
# kind: (symbol, background, text colour, legend words); pairs meet WCAG AA contrast.
_DAY_MARKS: dict[str, tuple[str, str, str, str]] = {
    "crisis": (_ALERT_MARK, "#991b1b", "#ffffff", "crisis alert that day"),
    "high": (_ALERT_MARK, "#c2410c", "#ffffff", "high alert that day"),
    "no_number": ("✓", "#dbeafe", "#1e3a8a", "replied, no number"),
    "missed": ("×", "#e5e7eb", "#374151", "missed: no reply"),
    "no_probe": ("·", "#ffffff", "#4b5563", "no check-in sent"),
}
_NO_PROBE_BORDER = "1px dashed #9ca3af"  # a white cell on a white card needs an outline to be seen
_DAY_WORDS = {
    "crisis": "crisis alert",
    "high": "high alert",
    "no_number": "replied without a number",
    "missed": "missed",
    "no_probe": "no check-in sent",
}
_OUTCOME_TEXT = {
    "true_alarm": "resolved: true alarm",
    "false_alarm": "resolved: false alarm",
    "follow_up": "resolved: follow-up needed",
}
_UNRESOLVED_TEXT = "not resolved yet"
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
    # The most severe triage level among the day's replies ("low" | "moderate" | "high" | "crisis"),
    # None when unknown or no reply. "high" or "crisis" marks the day as an alert day.
    alert_level: str | None = None


@dataclass(frozen=True)
class AlertBrief:
    """The parts of an alert the weekly summary needs (never its message text)."""

    raised_at: datetime  # aware UTC
    level: str  # "crisis" | "high" | "moderate"
    status: str  # "open" | "acknowledged" | "resolved"


@dataclass(frozen=True)
class HandledPage:
    """A page this coach acknowledged or resolved in the week; the client may be another coach's."""

    client_id: str
    client_name: str  # the client's display name (first name or initials)
    level: str  # "crisis" | "high" | "moderate"
    acknowledged_at: datetime  # aware
    outcome: str | None = None  # "true_alarm" | "false_alarm" | "follow_up"; None while unresolved
    alert_id: str = ""  # when given, the workspace link opens the alert rather than the client
    own_client: bool = False  # whether the client is this coach's own


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
    day_kinds: tuple[str, ...]  # one of DAY_KINDS per day Mon..Sun
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


def _day_kind(day: DayCheckin | None, mood: float | None) -> str:
    if day is not None and day.replied and day.alert_level in ALERT_DAY_LEVELS:
        return str(day.alert_level)
    if mood is not None:
        return "mood"
    if day is not None and day.replied:
        return "no_number"
    return "missed" if day is not None and day.probe_sent else "no_probe"


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

    for day in by_offset:
        if day is not None and day.alert_level is not None and day.alert_level not in TRIAGE_LEVELS:
            raise ValueError(f"unknown triage level {day.alert_level!r} on {day.local_date.isoformat()}")

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
        day_kinds=tuple(_day_kind(day, mood) for day, mood in zip(by_offset, moods, strict=True)),
        mean_mood=_mean(week_moods),
        low_mood=min(week_moods) if week_moods else None,
        trend=_trend(week_moods, previous),
        alerts_by_level=alerts_by_level,
        open_alerts=open_alerts,
        flags=tuple(flags),
    )


def _concern_key(summary: ClientWeekSummary) -> tuple[int, int, int, float, str, str]:
    # An alert day counts even if the alert itself was opened (and listed) in another week.
    crisis = max(summary.alerts_by_level.get("crisis", 0), summary.day_kinds.count("crisis"))
    high = max(summary.alerts_by_level.get("high", 0), summary.day_kinds.count("high"))
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


def _spark(kind: str, mood: float | None) -> str:
    if kind != "mood" or mood is None:
        return _DAY_MARKS[kind][0] if kind in _DAY_MARKS else _DAY_MARKS["no_probe"][0]
    index = round((mood - MOOD_MIN) / (MOOD_MAX - MOOD_MIN) * (len(_SPARKS) - 1))
    return _SPARKS[min(max(index, 0), len(_SPARKS) - 1)]


def _day_value(kind: str, mood: float | None) -> str:
    """What a day's cell says, the same in HTML and text: a rating, "!" (with the rating if any), or a mark."""
    if kind in ALERT_DAY_LEVELS:
        return _ALERT_MARK + ("" if mood is None else _fmt_mood(mood))
    if kind == "mood" and mood is not None:
        return _fmt_mood(mood)
    return _DAY_MARKS.get(kind, _DAY_MARKS["no_probe"])[0]


def _day_colours(kind: str, mood: float | None) -> tuple[str, str]:
    if kind == "mood" and mood is not None:
        return next((bg, fg) for upper, bg, fg in _MOOD_BANDS if mood < upper)
    _, bg, fg, _ = _DAY_MARKS.get(kind, _DAY_MARKS["no_probe"])
    return bg, fg


def _day_title(label: str, kind: str, mood: float | None) -> str:
    words = [f"mood {_fmt_mood(mood)}"] if mood is not None else []
    if kind != "mood":
        words.append(_DAY_WORDS.get(kind, kind))
    return f"{label}: {', '.join(words)}"


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


def _alert_days_text(summary: ClientWeekSummary) -> str:
    """"Thu crisis, Fri high": the alert days in words, so the "!" never relies on colour alone."""
    return ", ".join(
        f"{name} {kind}" for name, kind in zip(_DAY_NAMES, summary.day_kinds, strict=False) if kind in ALERT_DAY_LEVELS
    )


def _day_label(day: date) -> str:
    return f"{_DAY_NAMES[day.weekday()]} {day.day} {_MONTH_NAMES[day.month - 1]}"


def _alert_totals(summaries: Sequence[ClientWeekSummary]) -> dict[str, int]:
    return {level: sum(s.alerts_by_level.get(level, 0) for s in summaries) for level in ALERT_LEVELS}


def _alert_phrases(summaries: Sequence[ClientWeekSummary], handled: Sequence[HandledPage]) -> list[str]:
    """The alert part of the subject and overview. "no alerts" only when there were none at all:
    an on-call coach who handled pages for others' clients must not read that nothing happened."""
    totals = _alert_totals(summaries)
    parts = [_plural(totals[level], f"{level} alert") for level in ALERT_LEVELS if totals[level]]
    if handled:
        parts.append(_plural(len(handled), "page") + " you handled")
    return parts or ["no alerts"]


def _subject(iso_week: str, summaries: Sequence[ClientWeekSummary], handled: Sequence[HandledPage]) -> str:
    prefix = f"Moodline weekly — {iso_week}: "
    clients = _plural(len(summaries), "client") if summaries else "no clients"
    if not summaries and not handled:
        return prefix + clients
    # Names never go in the subject: it shows on lock screens and in mail-server logs.
    return prefix + ", ".join([clients, *_alert_phrases(summaries, handled)])


def should_send(summaries: Sequence[ClientWeekSummary], handled_pages: Sequence[HandledPage] = ()) -> bool:
    """Whether a coach's week is worth an e-mail: their clients were probed, replied or raised an
    alert, or they handled a page (for anyone's client).

    False for a coach whose clients had none of that and who handled no page, so the first Monday of
    a new deployment, or a coach without clients, sends nothing.
    """
    return bool(handled_pages) or any(
        any(kind != "no_probe" for kind in s.day_kinds) or any(s.alerts_by_level.values()) for s in summaries
    )


def _workspace_base(workspace_url: str) -> str:
    """The workspace's base URL without a trailing slash, or "" for no links; raise on anything but http(s)."""
    url = workspace_url.strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment or any(
        ch.isspace() or ch in "\"'<>" for ch in url
    ):
        raise ValueError(f"workspace_url must be an http(s) base URL like 'https://example.org/Prod', got {url!r}")
    return url.rstrip("/")


def _link(base: str, *parts: str) -> str:
    if not base:
        return ""
    return base + "/coach/" + "/".join(quote(part, safe="") for part in parts)


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {timezone!r}") from exc


def _fmt_when(at: datetime, zone: ZoneInfo) -> str:
    if at.tzinfo is None:
        raise ValueError(f"a handled page's time must be timezone-aware, got {at.isoformat()}")
    local = at.astimezone(zone)
    return f"{_day_label(local.date())} {local:%H:%M} {local.tzname() or ''}".rstrip()


@dataclass(frozen=True)
class _DayCell:
    label: str
    value: str
    bg: str
    fg: str
    title: str = ""
    border: str = ""  # "" = a solid border in the background colour, so every cell has the same size


@dataclass(frozen=True)
class _AlertBadge:
    text: str
    bg: str
    fg: str


@dataclass(frozen=True)
class _ClientView:
    name: str
    href: str
    days: tuple[_DayCell, ...]
    answered: str
    mean: str
    low: str
    trend_text: str
    trend_colour: str
    alerts: str
    alert_days: str
    badges: tuple[_AlertBadge, ...]
    flags: tuple[str, ...]
    sparkline: str
    mood_numbers: str
    text_row: str
    name_on_own_line: bool


@dataclass(frozen=True)
class _PageView:
    name: str
    href: str
    badge: _AlertBadge
    acknowledged: str
    outcome: str
    whose: str


def _client_views(
    summaries: Sequence[ClientWeekSummary], base: str = ""
) -> tuple[list[_ClientView], str, str]:
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
        if len(summary.moods) != 7 or len(summary.day_kinds) != 7:
            raise ValueError(f"a summary needs 7 daily moods and kinds, got {len(summary.moods)}")
        if unknown := set(summary.day_kinds) - set(DAY_KINDS):
            raise ValueError(f"unknown day kinds {sorted(unknown)!r}")
        days = list(zip(summary.day_kinds, summary.moods, strict=True))
        own_line = _width(name) > name_width
        cells = (
            "" if own_line else name,
            "".join(_spark(kind, mood) for kind, mood in days),
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
                href=_link(base, "clients", summary.client_id),
                days=tuple(
                    _DayCell(
                        label,
                        _day_value(kind, mood),
                        *_day_colours(kind, mood),
                        title=_day_title(label, kind, mood),
                        border=_NO_PROBE_BORDER if kind == "no_probe" else "",
                    )
                    for label, (kind, mood) in zip(_DAY_NAMES, days, strict=True)
                ),
                answered=_answered(summary),
                mean=_fmt_mean(summary.mean_mood),
                low=_fmt_mood(summary.low_mood),
                trend_text=_TREND_TEXT.get(summary.trend, _TREND_TEXT["unknown"]),
                trend_colour=_TREND_COLOUR.get(summary.trend, _TREND_COLOUR["unknown"]),
                alerts=_alerts_text(summary),
                alert_days=_alert_days_text(summary),
                badges=tuple(
                    _AlertBadge(f"{summary.alerts_by_level[level]} {level}", *_ALERT_COLOURS[level])
                    for level in ALERT_LEVELS
                    if summary.alerts_by_level.get(level, 0)
                ),
                flags=tuple(_clean(flag) for flag in summary.flags),
                sparkline=cells[1],
                mood_numbers=" ".join(_day_value(kind, mood) for kind, mood in days),
                text_row=row,
                name_on_own_line=own_line,
            )
        )
    return views, header, rule


def _page_views(handled: Sequence[HandledPage], base: str, zone: ZoneInfo) -> list[_PageView]:
    for page in handled:
        if page.level not in ALERT_LEVELS:
            raise ValueError(f"unknown alert level {page.level!r}")
        if page.outcome is not None and page.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {page.outcome!r}")
    ordered = sorted(handled, key=lambda page: (page.acknowledged_at, page.client_id, page.alert_id))
    return [
        _PageView(
            name=_clean(page.client_name) or "Unnamed client",
            href=_link(base, "alerts", page.alert_id) if page.alert_id else _link(base, "clients", page.client_id),
            badge=_AlertBadge(page.level, *_ALERT_COLOURS[page.level]),
            acknowledged=_fmt_when(page.acknowledged_at, zone),
            outcome=_OUTCOME_TEXT[page.outcome] if page.outcome else _UNRESOLVED_TEXT,
            whose="your client" if page.own_client else "another coach's client",
        )
        for page in ordered
    ]


def _legend() -> tuple[list[_DayCell], list[_DayCell]]:
    """(mood bands, day marks) for the HTML legend; the text body spells the same out in words."""
    band_labels = ("1–3", "4–5", "6–7", "8–10")
    bands = [_DayCell(label, "", bg, fg) for label, (_, bg, fg) in zip(band_labels, _MOOD_BANDS, strict=True)]
    marks = [
        _DayCell(words, symbol, bg, fg, border=_NO_PROBE_BORDER if kind == "no_probe" else "")
        for kind, (symbol, bg, fg, words) in _DAY_MARKS.items()
    ]
    return bands, marks


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
    *,
    coach_name: str,
    iso_week: str,
    summaries: Sequence[ClientWeekSummary],
    handled_pages: Sequence[HandledPage] = (),
    workspace_url: str = "",
    timezone: str = "UTC",
) -> WeeklyEmail:
    """Render one coach's weekly e-mail, clients ordered most concerning first.

    ``handled_pages`` are the pages this coach acknowledged or resolved in the week (any client's);
    ``workspace_url`` is the base the workspace is served under (links go to ``/coach/...`` below it;
    "" means no links); ``timezone`` is where the handled pages' times are shown.

    Only display names, moods, counts and alert levels appear: no phone numbers or message texts,
    and client or alert ids only inside workspace links. Raises ValueError for a malformed
    ``iso_week``, ``workspace_url`` or ``timezone``, a summary without 7 days, or a bad handled page.
    """
    monday, sunday = iso_week_bounds(iso_week)
    base = _workspace_base(workspace_url)
    views, header, rule = _client_views(summaries, base)
    pages = _page_views(handled_pages, base, _zone(timezone))
    probes = sum(s.probes_sent for s in summaries)
    replies = sum(s.replies for s in summaries)
    overview = " · ".join(
        [
            _plural(len(summaries), "client"),
            f"{replies} of {_plural(probes, 'check-in')} answered",
            ", ".join(_alert_phrases(summaries, handled_pages)),
        ]
    )
    context = {
        "coach_name": _clean(coach_name) or "coach",
        "iso_week": iso_week,
        "week_label": f"{_day_label(monday)} – {_day_label(sunday)} {sunday.year}",
        "overview": overview,
        "clients": views,
        "pages": pages,
        "alerts_href": _link(base, "alerts"),
        "text_header": header,
        "text_rule": rule,
        "text_indent": " " * (len(rule.split("  ")[0]) + 2),
        "legend_moods": _legend()[0],
        "legend_marks": _legend()[1],
        "footer": FOOTER,
    }
    env = _environment()
    subject = _subject(iso_week, summaries, handled_pages)
    return WeeklyEmail(
        subject=subject,
        html=env.get_template("weekly.html.j2").render(subject=subject, **context),
        text=env.get_template("weekly.txt.j2").render(subject=subject, **context),
    )
