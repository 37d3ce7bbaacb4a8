"""How things read on a coach's phone: plain words for rules, local times, mood charts, SMS segments."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from moodline.workspace.ports import MessageView

_RULE_WORDS = {
    "crisis.goodbye": "said goodbye in a way that can mean suicide",
    "crisis.self_harm": "wrote about harming themself",
    "crisis.attempt": "wrote about a suicide attempt",
    "crisis.danger": "said they are in danger now",
    "crisis.emoji": "sent emoji that signal crisis",
    "crisis.harm_others": "wrote about harming someone else",
    "crisis.help": "asked for help",
    "history.past_risk": "referred to a past crisis",
    "mood.very_low": "rated their mood very low",
    "mood.low": "rated their mood low",
    "mood.negative_words": "used strongly negative words",
    "baseline.drop": "mood fell well below their usual",
    "adherence.missed": "missed several check-ins in a row",
    "coach.should_have_paged": "a coach reviewing the reply judged it should have paged",
    "crisis.ideation.explicit": "wrote about wanting to die or about suicide",
    "crisis.ideation.implicit": "hinted at not wanting to be alive",
    "crisis.plan.access": "mentioned having access to a means of harm",
    "crisis.plan.means": "mentioned a way to end their life",
    "crisis.plan.substances": "mentioned pills or substances as a means",
    "crisis.plan.timing": "mentioned when they would do it",
    "hopelessness": "wrote about feeling hopeless",
    "ideation.returning": "said dark thoughts are coming back",
    "semantic.page": "the language model read risk in their words",
    "review.semantic": "the language model was unsure about their words",
    "review.language": "wrote in a language triage cannot read",
    "review.client_language": "writes in a language triage cannot read (every reply is read by a coach)",
    "review.no_rating": "gave no rating, and wrote something a coach should read",
    "review.negative_words": "used negative words",
    "review.means_alone": "mentioned a means of harm",
}
_FAMILY_WORDS = {"crisis": "wrote something that signals crisis", "mood": "reported a low mood",
                 "baseline": "mood changed from their usual", "history": "referred to past risk",
                 "adherence": "stopped answering check-ins", "ideation": "wrote about not wanting to live"}
LEVEL_WORDS = {"crisis": "Crisis: reach them now", "high": "High risk: reach them today",
               "moderate": "Moderate", "low": "Low"}
OUTCOME_WORDS = {"true_alarm": "True alarm: the client needed us", "false_alarm": "False alarm",
                 "follow_up": "Follow-up needed"}
MARK_WORDS = {"seen_fine": "Seen, fine", "follow_up": "Follow up", "should_have_paged": "Should have paged"}
ANSWER_WORDS = {"crisis": "Crisis resources, as the automatic answer to their reply",
                "resources": "Crisis resources, as the automatic answer to their reply"}
KIND_WORDS = {"probe": "Check-in", "reply": "Reply", "keyword": "Keyword", "resources": "Crisis resources sent",
              "notice": "Automatic notice", "coach": "Coach"}


def reason_words(rule: str) -> str:
    """A rule id in plain words (never the id itself).

    Rule ids are ``<family>.<name>.<language>`` ("crisis.plan.means.overdose.en"): the words are the
    family's, found by the longest known prefix, so a new rule in a known family reads right at once.
    """
    parts = rule.split(".")
    for end in range(len(parts), 0, -1):
        words = _RULE_WORDS.get(".".join(parts[:end]))
        if words:
            return words
    return _FAMILY_WORDS.get(parts[0], "matched a risk pattern")


def reasons_words(rules: list[str] | tuple[str, ...]) -> list[str]:
    """Each reason in plain words, once: two rules of one family read the same to a coach."""
    return list(dict.fromkeys(reason_words(rule) for rule in rules))


_RULE_ID = re.compile(r"\b(?:(?:crisis|mood|baseline|history|adherence|coach|ideation|semantic|review)(?:\.[a-z0-9_]+)+"
                      r"|hopelessness(?:\.[a-z0-9_]+)*)\b")


def detail_words(detail: str, coach_names: Mapping[str, str] | None = None) -> str:
    """A timeline detail with any rule id replaced by its plain words, each said once, and coach ids by names."""
    seen: set[str] = set()

    def words(match: re.Match[str]) -> str:
        if match.group("coach"):
            return (coach_names or {}).get(match.group("coach"), match.group("coach"))
        said = reason_words(match.group("rule"))
        if said in seen:
            return ""
        seen.add(said)
        return said

    # One pass, so words just written are never read again as ids. Coach ids are read only where the
    # machine writes them: "<id> (primary|backup|team…)" and "by <id>" (a coach id may be any word).
    replaced = re.sub(rf"(?P<rule>{_RULE_ID.pattern})|(?:(?<=\bby )|\b)(?P<coach>[a-z0-9_-]+)(?=(?: \(| via ))",
                      words, detail)
    # Drop the separators a repeated reason left behind: "a, , b" → "a, b"; "a, " → "a"; no double spaces.
    return re.sub(r" {2,}", " ", re.sub(r",(?:\s*,)+", ",", replaced)).rstrip(" ,")


# What a coach reads for each client status but "active": a label for the roster, and why nothing can be
# texted (the thread page and the refusal page). Keyed by ClientStatus's values.
STATUS_WORDS: dict[str, tuple[str, str]] = {
    "stopped": ("Opted out", "opted out of texts (they sent STOP)"),
    "unreachable": ("Unreachable", "has a number that cannot receive texts"),
    "pending_consent": ("Awaiting consent", "has not answered the welcome with YES yet: no texts until they do"),
    "no_consent": ("No consent", "never answered the welcome with YES: no texts"),
    "paused": ("Paused", "has check-ins paused by the practice: no texts until they are resumed"),
}


def status_label(status: str) -> str:
    """The roster's word for a client who is not active."""
    return STATUS_WORDS.get(status, (status.replace("_", " ").capitalize(), ""))[0]


def status_reason(status: str) -> str:
    """Why a client who is not active cannot be texted, as the end of a sentence that starts with their name."""
    return STATUS_WORDS.get(status, ("", f"cannot be texted ({status.replace('_', ' ')})"))[1]


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(at: datetime, timezone: str) -> str:
    """``Mon 30 Nov, 08:05 EST`` in the client's own timezone."""
    local = at.astimezone(zone(timezone))
    return local.strftime("%a %d %b, %H:%M ") + (local.tzname() or "")


def age(at: datetime, now: datetime) -> str:
    seconds = max(int((now - at).total_seconds()), 0)
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 48 * 3600:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"




def daily_moods(messages: list[MessageView], timezone: str, end: date, days: int) -> list[float | None]:
    """The mood of each local day ``end - days + 1 .. end`` (the lowest if several), None where unrated."""
    tz = zone(timezone)
    by_day: dict[date, float] = {}
    for m in messages:
        if m.direction == "inbound" and m.mood is not None:
            day = m.at.astimezone(tz).date()
            by_day[day] = min(by_day.get(day, m.mood), m.mood)
    return [by_day.get(end - timedelta(days=days - 1 - i)) for i in range(days)]


def mood_chart(moods: list[float | None], alert_days: set[int] | None = None, *, width: int = 360,
               height: int = 120, label: str = "Mood, last 28 days", axes: bool = True) -> str:
    """An inline SVG line chart of 1–5 moods: gaps for unrated days, a red ring on alert days.

    Only numbers go into the markup, so it is safe to mark as such in the template.
    """
    alert_days = alert_days or set()
    pad, n = (12 if axes else 4), max(len(moods), 2)
    step = (width - 2 * pad) / (n - 1)

    def y(v: float) -> float:
        return pad + (5 - max(1.0, min(5.0, v))) * (height - 2 * pad) / 4

    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{label}" '
             f'preserveAspectRatio="none"><title>{label}</title>']
    for level in (1, 3, 5) if axes else ():
        parts.append(f'<line x1="{pad}" x2="{width - pad}" y1="{y(level):.1f}" y2="{y(level):.1f}" '
                     'stroke="#c8ccd2" stroke-width="1"/>')
        parts.append(f'<text x="0" y="{y(level) + 4:.1f}" font-size="10" fill="#444">{level}</text>')
    run: list[str] = []
    runs: list[list[str]] = []
    for i, v in enumerate(moods):
        if v is None:
            if run:
                runs.append(run)
            run = []
        else:
            run.append(f"{pad + i * step:.1f},{y(v):.1f}")
    if run:
        runs.append(run)
    for points in runs:
        parts.append(f'<polyline fill="none" stroke="#1f5fa8" stroke-width="2" points="{" ".join(points)}"/>')
    for i, v in enumerate(moods):
        if v is not None:
            parts.append(f'<circle cx="{pad + i * step:.1f}" cy="{y(v):.1f}" r="3" fill="#1f5fa8"/>')
        if i in alert_days:
            parts.append(f'<circle cx="{pad + i * step:.1f}" cy="{y(v or 1):.1f}" r="6" fill="none" '
                         'stroke="#b00020" stroke-width="2"/>')
    parts.append("</svg>")
    return "".join(parts)


def sparkline(moods: list[float | None]) -> str:
    chart = mood_chart(moods, width=112, height=32, label="Mood sparkline", axes=False)
    return chart.replace('class="chart"', 'class="spark"')


GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
           "¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENDED = set("^{}\\[~]|€\f")


def sms_segments(text: str) -> tuple[int, str]:
    """How many SMS segments ``text`` takes, and its encoding (``GSM-7`` or ``UCS-2``)."""
    if all(c in GSM7 or c in GSM7_EXTENDED for c in text):
        units = sum(2 if c in GSM7_EXTENDED else 1 for c in text)
        return (1 if units <= 160 else -(-units // 153)), "GSM-7"
    units = sum(2 if ord(c) > 0xFFFF else 1 for c in text)
    return (1 if units <= 70 else -(-units // 67)), "UCS-2"
