"""Read the 1-10 mood rating in an SMS reply, and what a rating means for triage.

Cost is linear in the reply: every candidate number looks only at a fixed window around itself, and the
clause and whole-message checks use positions computed once per reply (they were rescanned per candidate,
which made ``'1 ' * 800`` take 290 ms and 10,000 characters 51 s).

The cue words below are English and Spanish side by side; moving them to ``rules/<lang>/`` is the next step
for a third language (see docs/triage.md, "What is left").
"""

from __future__ import annotations

import bisect
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from moodline.triage.model import Level, Reason
from moodline.triage.normalise import ELONGATED, SPACES, fold

_NUMBER_WORDS = {
    "zero": 0,
    "cero": 0,
    "one": 1,
    "uno": 1,
    "two": 2,
    "dos": 2,
    "three": 3,
    "tres": 3,
    "four": 4,
    "cuatro": 4,
    "five": 5,
    "cinco": 5,
    "six": 6,
    "seis": 6,
    "seven": 7,
    "siete": 7,
    "eight": 8,
    "ocho": 8,
    "nine": 9,
    "nueve": 9,
    "ten": 10,
    "diez": 10,
}
_NUM = r"(?:\d+(?:[.,]\d+)?|" + "|".join(_NUMBER_WORDS) + r")"
_OUT_OF_TEN = (
    r"\s*(?:/|out of|outta|of|de|sobre)\s*(?:10|ten|diez)"
    # "7 of 10 people" is a count, not a rating
    r"(?![\d.,/:]\d|\s*(?:people|persons?|days|times|kids|of (?:them|us|the))\b)"
)
_START = r"(?<![\w.,$€£#:/+-])"

# The probe asks "how's your mood today, 1-10?"; an echoed scale is never a rating.
_SCALE_ECHO = re.compile(
    r"(?:(?:on )?(?:a )?scale (?:of |from )?|del |de )?\b1 ?(?:-|–|—|to|a|al) ?10\b(?!\s*/)"
    r"|\bhigh five\b|\bnine to five\b|\b9 ?(?:-|to) ?5 (?:job|shift|work)\b"
)
_NOT_RATINGS = re.compile(
    r"\d{1,2}:\d{2}"  # times
    r"|\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}"  # dates
    r"|\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}|\b\d{3}-\d{4}\b"  # phone numbers
    r"|[$€£]\s*\d+(?:[.,]\d+)?|\d+(?:[.,]\d+)?\s*(?:[$€£%]|dollars?|bucks|usd|pesos|euros?|percent"
    r"|por ?ciento)"
    r"|\d+(?:st|nd|rd|th|ro|do|to|vo|mo|no)\b"  # ordinals
    r"|\b\d+\s*/\s*\d+\b"  # any other fraction: "24/7", "3/4" (N/10 is matched before this)
)
_FRACTION_RANGE = re.compile(_START + rf"(?P<a>{_NUM})\s*(?:-|–|—|~|or|to|o|u)\s*(?P<b>{_NUM}){_OUT_OF_TEN}")
_FRACTION = re.compile(_START + rf"(?P<sign>-)?(?P<a>{_NUM}){_OUT_OF_TEN}")
_RANGE = re.compile(
    r"\b(?:between|entre)\s+(?P<a>" + _NUM + r")\s+(?:and|y|e)\s+(?P<b>" + _NUM + r")\b"
    r"|" + _START + r"(?P<c>" + _NUM + r")\s*(?:-|–|—|~|or|to|o|u)\s*(?P<d>" + _NUM + r")"
    r"(?![\w.,/:-]*\d)(?!\w)"
)
_SINGLE = re.compile(r"(?<![\w.,$€£#:/+])(?P<sign>-(?=\d))?(?P<a>" + _NUM + r")(?P<suffix>[a-z]*)(?![\w])")

_CUE_BEFORE = re.compile(
    r"(?:\b(?:mood|humor|animo|rating|rate|rated|score|nota|calificacion)\b[^.!?\d]{0,20}"
    r"|\b(?:a|an|un|una|like|about|around|maybe|probably|prob|prolly|solid|strong|low|high|weak|honestly"
    r"|tbh|guess|say|call it|feeling|feelin|feel|feels|im|i am|estoy|estoy en|en un|me siento|siento"
    r"|hoy|today|tal vez|quizas|quiza|como|diria|its|it is|at a|is a|es un|maybe a|just a|barely a)"
    r")[\s:=,-]*$"
)
# Cues strong enough that an out-of-range value ("a 0", "mood 11") is a rating attempt, not noise.
_STRONG_CUE_BEFORE = re.compile(
    r"(?:\b(?:mood|humor|animo|rating|rate|rated|score|nota)\b[^.!?\d]{0,20}|\b(?:a|an|un|una)[\s:=,-]*)$"
)
_CUE_AFTER = re.compile(
    r"^\s*[.!,]*\s*(?:today|hoy|ish|i guess|i think|maybe|tbh|honestly|overall|rn|right now|lol|tho|though"
    r"|i suppose|supongo|creo|mas o menos|more or less)\b"
)
_EXCLUDE_BEFORE = re.compile(
    r"(?:\b(?:in|at|by|til|till|until|since|after|before|for|from|took|take|taking|takes|had|have|has|got"
    r"|ate|drank|slept|sleep|ran|walked|lost|gained|weigh|weighs|bought|paid|owe|spent|earned|age|aged"
    r"|turned|turns|turning|day|week|month|year|round|step|level|chapter|page|room|number|top|over|under"
    r"|than|las|los|hace|desde|hasta|por|cada|tome|tomo|tomar|tengo|tiene|tienen|cumple|cumplio|dormi"
    r"|son|x|only|just took|del|al|he is|she is|son is|daughter is|kid is|he|she|to)\s*"
    r"|(?<!estoy )\ben\s*|[#$€£×+]\s*)$"
)
_UNIT_AFTER = re.compile(
    r"^\s*(?:more|last|other|of|de|in a row|x|times|am|pm|a\.?m|p\.?m|o ?clock|h|hrs?|mins?|secs?|yrs?"
    r"|yo|y/o|mg|ml|g|kg|lbs?|km|k|hour|minute|second|day|night|week|month|year|time|kid|child|baby"
    r"|daughter|dog|cat|pill|tablet|drink|beer|glass|shot|coffee|cup|mile|step|rep|set|lap|page"
    r"|episode|person|people|dollar|buck|grand|floor|star|meeting|block|hora|minuto|segundo|dia|noche"
    r"|semana|mes|ano|vez|veces|hijo|hija|nino|nina|perro|gato|pastilla|cerveza|copa|trago|taza|cafe"
    r"|kilo|persona|gente|peso|dolar|euro|year old|old)\b"
)
_PLURAL_AFTER = re.compile(r"^\s*([a-z]+s)\b")
_PLURAL_OK = frozenset(
    (
        "thanks",
        "is",
        "was",
        "has",
        "as",
        "this",
        "yes",
        "its",
        "plus",
        "less",
        "us",
        "always",
        "sometimes",
        "perhaps",
        "gracias",
        "pues",
        "mas",
        "menos",
        "entonces",
        "nomas",
        "besides",
        "regardless",
        "nevertheless",
        "anyways",
        "buenas",
        "buenos",
        "saludos",
        "besos",
        "lots",
    )
)
_SUFFIX_OK = frozenset({"", "ish"})
_CLAUSE_BREAK = re.compile(r"[.!?;,()\n]|\b(?:but|pero|and|y|though|although|aunque)\b")
_PAST_CUE = re.compile(
    r"\b(?:yesterday|last (?:night|week|time)|earlier|this morning|ayer|anoche|was|were|fue|estaba|era"
    r"|used to be|before)\b"
)
_PRESENT_CUE = re.compile(r"\b(?:today|now|rn|right now|currently|tonight|hoy|ahora|this evening)\b")
_FILLER_WORDS = frozenset(
    (
        "today",
        "hoy",
        "ish",
        "maybe",
        "i",
        "guess",
        "tbh",
        "honestly",
        "thanks",
        "thank",
        "you",
        "thx",
        "gracias",
        "lol",
        "hi",
        "hey",
        "hola",
        "okay",
        "ok",
        "mood",
        "feeling",
        "is",
        "my",
        "its",
        "it",
        "a",
        "an",
        "un",
        "like",
        "about",
        "around",
        "mi",
        "humor",
        "animo",
        "sam",
        "coach",
    )
)


@dataclass(frozen=True)
class _Candidate:
    score: float
    value: float


def _num_value(token: str) -> float:
    if token in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[token])
    return float(token.replace(",", "."))


_LETTER_WORD = re.compile(r"[a-z]+")


class _Reply:
    """One folded reply with the positions every candidate asks about, computed once (linear cost)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.taken = bytearray(len(text) + 1)
        self.adjustments: dict[tuple[int, int], float] = {}
        self.first_char = len(text) - len(text.lstrip())  # nothing but spaces before it
        self.scores: dict[tuple[str, str, bool, bool, bool], tuple[float, bool] | None] = {}
        breaks = list(_CLAUSE_BREAK.finditer(text))
        self.break_starts = [m.start() for m in breaks]
        self.break_ends = [m.end() for m in breaks]
        # "Whole message" = every other word is filler. Words are maximal letter runs, as in the old
        # re.sub(r"[^a-z\s]", " ", ...).split(); a candidate never starts or ends inside one.
        self.content_starts = [m.start() for m in _LETTER_WORD.finditer(text) if m.group(0) not in _FILLER_WORDS]

    def overlaps(self, start: int, end: int) -> bool:
        return any(self.taken[start:end])

    def take(self, start: int, end: int) -> None:
        self.taken[start:end] = b"\x01" * (end - start)

    def clause_bounds(self, start: int, end: int) -> tuple[int, int]:
        # The last break that ends at or before the candidate, and the first that starts at or after its end.
        i = bisect.bisect_right(self.break_ends, start) - 1
        begin = self.break_ends[i] if i >= 0 else 0
        j = bisect.bisect_left(self.break_starts, end)
        return begin, self.break_starts[j] if j < len(self.break_starts) else len(self.text)

    def is_whole_message(self, start: int, end: int) -> bool:
        inside = bisect.bisect_left(self.content_starts, end) - bisect.bisect_left(self.content_starts, start)
        return inside == len(self.content_starts)


def _temporal_adjustment(reply: _Reply, start: int, end: int) -> float:
    """Prefer today's rating over yesterday's when a reply mentions both."""
    bounds = reply.clause_bounds(start, end)
    cached = reply.adjustments.get(bounds)
    if cached is not None:
        return cached  # many numbers in one long clause: read the clause once
    clause = reply.text[bounds[0] : bounds[1]]
    adjustment = 0.0
    if _PAST_CUE.search(clause):
        adjustment -= 1.5  # enough for yesterday's "a 4" to lose to today's bare "7"
    if _PRESENT_CUE.search(clause):
        adjustment += 0.25
    reply.adjustments[bounds] = adjustment
    return adjustment


def _context_score(reply: _Reply, start: int, end: int, is_word: bool) -> tuple[float, bool] | None:
    """Score a lone number by its neighbours; None when it is clearly not a rating."""
    text = reply.text
    before, after = text[max(0, start - 30) : start], text[end : end + 30]
    # Everything below reads only these windows, whether the rest is filler, and whether the number opens the
    # reply: a reply of the same number 800 times asks the same question 800 times.
    key = (before, after, is_word, reply.is_whole_message(start, end), start <= reply.first_char)
    if key not in reply.scores:
        reply.scores[key] = _score_windows(before, after, is_word, key[3], key[4])
    return reply.scores[key]


def _score_windows(before: str, after: str, is_word: bool, whole: bool, at_start: bool) -> tuple[float, bool] | None:
    if _EXCLUDE_BEFORE.search(before) and not _STRONG_CUE_BEFORE.search(before):
        return None
    if _UNIT_AFTER.search(after):
        return None
    plural = _PLURAL_AFTER.search(after)
    if plural and plural.group(1) not in _PLURAL_OK:
        return None
    if whole:
        return 2.0, True
    if _CUE_BEFORE.search(before):
        return 2.0, bool(_STRONG_CUE_BEFORE.search(before))
    if _CUE_AFTER.search(after):
        return 2.0, False
    if is_word:
        # Spelled-out numbers are everyday words ("no one", "one day"): only a reply opening with one counts.
        opens = at_start and re.match(r"^\s*(?:[.!,;:)-]|$)", after)
        return (1.0, False) if opens else None
    return 1.0, False


def _candidates(text: str) -> list[_Candidate]:
    reply = _Reply(text)
    found: list[_Candidate] = []

    def add(score: float, value: float, start: int, end: int, allow_out_of_range: bool) -> None:
        reply.take(start, end)
        if allow_out_of_range or 1 <= value <= 10:
            found.append(_Candidate(score + _temporal_adjustment(reply, start, end), value))

    for m in _FRACTION_RANGE.finditer(text):
        low, high = _num_value(m["a"]), _num_value(m["b"])
        if low < high <= 10 and high - low <= 3:
            add(3.0, (low + high) / 2, m.start(), m.end(), True)
    for m in _FRACTION.finditer(text):
        if not reply.overlaps(m.start(), m.end()):
            value = _num_value(m["a"]) * (-1 if m["sign"] else 1)
            add(3.0, value, m.start(), m.end(), True)
    for m in _NOT_RATINGS.finditer(text):
        if not reply.overlaps(m.start(), m.end()):
            reply.take(m.start(), m.end())
    for m in _RANGE.finditer(text):
        a, b = (m["a"], m["b"]) if m["a"] else (m["c"], m["d"])
        low, high = _num_value(a), _num_value(b)
        if reply.overlaps(m.start(), m.end()) or not (1 <= low < high <= 10 and high - low <= 3):
            continue
        context = _context_score(reply, m.start(), m.end(), a in _NUMBER_WORDS and b in _NUMBER_WORDS)
        if context is not None or m["a"]:
            add(2.0, (low + high) / 2, m.start(), m.end(), False)
    for m in _SINGLE.finditer(text):
        if reply.overlaps(m.start(), m.end()) or m["suffix"] not in _SUFFIX_OK:
            continue
        context = _context_score(reply, m.start(), m.end(), m["a"] in _NUMBER_WORDS)
        if context is None:
            continue
        score, strong = context
        value = _num_value(m["a"]) * (-1 if m["sign"] else 1)
        add(score, value, m.start(), m.end(), strong)
    return found


def read_mood(text: str, before_rating: Sequence[tuple[re.Pattern[str], str]] = ()) -> float | None:
    """The 1-10 rating in a reply, or None if there is none or it is ambiguous.

    ``before_rating`` are the language rewrites that also apply to ratings ("want 2 die" is not a 2).
    """
    folded = fold(text, emoji_tokens=False).sub(ELONGATED, r"\1").sub(SPACES, " ").text
    folded = _SCALE_ECHO.sub(" ", folded)
    for pattern, replacement in before_rating:
        folded = pattern.sub(replacement, folded)
    candidates = _candidates(folded)
    if not candidates:
        return None
    best = max(c.score for c in candidates)
    values = {c.value for c in candidates if c.score == best}
    if len(values) != 1:
        return None  # two equally clear ratings that disagree: a coach should read it, not us
    value = values.pop()
    return value if 1 <= value <= 10 else None


# --------------------------------------------------------------------------------------------------
# What a rating means
# --------------------------------------------------------------------------------------------------

VERY_LOW_MOOD = 2.5  # 1-2 pages; a "2-3" range is treated as the lower, safer reading
LOW_MOOD = 4.5  # 3-4 is moderate; "4-5" stays moderate for the same reason
BASELINE_DROP = 3.0
BASELINE_MIN_HISTORY = 3


def fmt(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def mood_reasons(mood: float | None, history: Sequence[float | None]) -> list[tuple[Level, Reason]]:
    """Levels a rating implies on its own and against the client's recent median."""
    if mood is None:
        return []
    found: list[tuple[Level, Reason]] = []
    if mood <= VERY_LOW_MOOD:
        found.append((Level.HIGH, Reason("mood.very_low", f"mood {fmt(mood)}")))
    elif mood <= LOW_MOOD:
        found.append((Level.MODERATE, Reason("mood.low", f"mood {fmt(mood)}")))
    earlier = [h for h in history if h is not None]
    if len(earlier) >= BASELINE_MIN_HISTORY:
        median = statistics.median(earlier)
        if median - mood >= BASELINE_DROP - 1e-9:
            found.append((Level.HIGH, Reason("baseline.drop", f"mood {fmt(mood)} vs median {fmt(median)}")))
    return found
