"""Read the 1-10 mood rating in an SMS reply, and what a rating means for triage.

The words come from ``rules/<lang>/mood.toml`` (number words, cue words before and after a number, units that
make it a count); the positions, digits and punctuation around them are language-neutral code below.

Cost is linear in the reply: every candidate number looks only at a fixed window around itself, and the
clause and whole-message checks use positions computed once per reply (they were rescanned per candidate,
which made ``'1 ' * 800`` take 290 ms and 10,000 characters 51 s).
"""

from __future__ import annotations

import bisect
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from moodline.triage.lexicon import Lexicon
from moodline.triage.model import Level, Reason
from moodline.triage.normalise import ELONGATED, SPACES, fold

_START = r"(?<![\w.,$€£#:/+-])"
_PLURAL_AFTER = re.compile(r"^\s*([a-z]+s)\b")
_LETTER_WORD = re.compile(r"[a-z]+")


def _word_set(alternation: str) -> frozenset[str]:
    return frozenset(w for w in re.split(r"[|()?:]+", alternation) if w)


class RatingWords:
    """The compiled patterns that find a rating, built from every language's ``mood.toml``."""

    def __init__(self, lexicon: Lexicon) -> None:
        p = lexicon.pattern
        self.numbers = dict(lexicon.numbers)
        num = r"(?:\d+(?:[.,]\d+)?|" + "|".join(map(re.escape, self.numbers)) + r")"
        out_of_ten = (
            rf"\s*(?:/|{p('rating_out_of')})\s*(?:10|{p('rating_ten')})"
            # "7 of 10 people" is a count, not a rating
            rf"(?![\d.,/:]\d|\s*(?:{p('rating_count_nouns')})\b)"
        )
        ranged = rf"\s*(?:-|–|—|~|{p('rating_or')})\s*"
        # The probe asks "how's your mood today, 1-10?"; an echoed scale is never a rating.
        self.scale_echo = re.compile(
            rf"(?:{p('rating_scale_lead')})?\b1 ?(?:-|–|—|{p('rating_range_word')}) ?10\b(?!\s*/)"
            rf"|{p('rating_not_scale')}"
        )
        self.not_ratings = re.compile(
            r"\d{1,2}:\d{2}"  # times
            r"|\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}"  # dates
            r"|\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}|\b\d{3}-\d{4}\b"  # phone numbers
            rf"|[$€£]\s*\d+(?:[.,]\d+)?|\d+(?:[.,]\d+)?\s*(?:[$€£%]|{p('rating_money')})"
            rf"|\d+(?:{p('rating_ordinals')})\b"  # ordinals
            r"|\b\d+\s*/\s*\d+\b"  # any other fraction: "24/7", "3/4" (N/10 is matched before this)
        )
        self.fraction_range = re.compile(_START + rf"(?P<a>{num}){ranged}(?P<b>{num}){out_of_ten}")
        self.fraction = re.compile(_START + rf"(?P<sign>-)?(?P<a>{num}){out_of_ten}")
        self.range = re.compile(
            rf"\b(?:{p('rating_between')})\s+(?P<a>{num})\s+(?:{p('rating_and')})\s+(?P<b>{num})\b"
            rf"|{_START}(?P<c>{num}){ranged}(?P<d>{num})"
            r"(?![\w.,/:-]*\d)(?!\w)"
        )
        self.single = re.compile(r"(?<![\w.,$€£#:/+])(?P<sign>-(?=\d))?(?P<a>" + num + r")(?P<suffix>[a-z]*)(?![\w])")
        strong_nouns = p("rating_nouns_strong")
        nouns = f"{strong_nouns}|{lexicon.pattern_or_never('rating_nouns_weak')}"
        self.cue_before = re.compile(
            rf"(?:\b(?:{nouns})\b[^.!?\d]{{0,20}}|\b(?:{p('rating_articles')}|{p('rating_cues_before')}))[\s:=,-]*$"
        )
        # Cues strong enough that an out-of-range value ("a 0", "mood 11") is a rating attempt, not noise.
        self.strong_cue_before = re.compile(
            rf"(?:\b(?:{strong_nouns})\b[^.!?\d]{{0,20}}|\b(?:{p('rating_articles')})[\s:=,-]*)$"
        )
        self.cue_after = re.compile(rf"^\s*[.!,]*\s*(?:{p('rating_cues_after')})\b")
        self.exclude_before = re.compile(
            rf"(?:\b(?:{p('rating_exclude_before')})\s*|(?:{lexicon.pattern_or_never('rating_exclude_extra')})\s*"
            r"|[#$€£×+]\s*)$"
        )
        self.unit_after = re.compile(rf"^\s*(?:{p('rating_units_after')})\b")
        self.plural_ok = _word_set(p("rating_plural_ok"))
        self.suffix_ok = _word_set(p("rating_suffixes")) | {""}
        self.clause_break = re.compile(r"[.!?;,()\n]|\b(?:" + p("clause_words") + r")\b")
        self.past_cue = re.compile(rf"\b(?:{p('rating_past_cues')})\b")
        self.present_cue = re.compile(rf"\b(?:{p('rating_present_cues')})\b")
        self.filler = _word_set(p("rating_filler"))
        self.before_rating = tuple((r.pattern, r.replacement) for r in lexicon.rewrites if r.before_rating)
        # "seven and a half", "tres y medio", "6 con cinco", "1½" (folded to "11⁄2"): a half step, written as N.5
        # before any candidate is read, so "y medio" is never a second number and the value keeps its half.
        self.half = re.compile(
            rf"(?<![\w.,])(?P<n>\d+|{'|'.join(map(re.escape, self.numbers))})"
            rf"(?:1⁄2|\s+(?:{p('rating_half')}))(?![\w])"
        )

    def halves(self, text: str) -> str:
        """Write every "N and a half" as "N.5" (linear: one pass of one regex)."""

        def half(m: re.Match[str]) -> str:
            n = m["n"]
            return f"{self.numbers[n] if n in self.numbers else int(n)}.5"

        return self.half.sub(half, text)


@dataclass(frozen=True)
class _Candidate:
    score: float
    value: float


def _num_value(words: RatingWords, token: str) -> float:
    if token in words.numbers:
        return float(words.numbers[token])
    return float(token.replace(",", "."))


class _Reply:
    """One folded reply with the positions every candidate asks about, computed once (linear cost)."""

    def __init__(self, words: RatingWords, text: str) -> None:
        self.words = words
        self.text = text
        self.taken = bytearray(len(text) + 1)
        self.adjustments: dict[tuple[int, int], float] = {}
        self.first_char = len(text) - len(text.lstrip())  # nothing but spaces before it
        self.scores: dict[tuple[str, str, bool, bool, bool], tuple[float, bool] | None] = {}
        breaks = list(words.clause_break.finditer(text))
        self.break_starts = [m.start() for m in breaks]
        self.break_ends = [m.end() for m in breaks]
        # "Whole message" = every other word is filler. Words are maximal letter runs, as in the old
        # re.sub(r"[^a-z\s]", " ", ...).split(); a candidate never starts or ends inside one.
        self.content_starts = [m.start() for m in _LETTER_WORD.finditer(text) if m.group(0) not in words.filler]

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
    if reply.words.past_cue.search(clause):
        adjustment -= 1.5  # enough for yesterday's "a 4" to lose to today's bare "7"
    if reply.words.present_cue.search(clause):
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
        reply.scores[key] = _score_windows(
            reply.words, before, after, is_word=is_word, whole=key[3], at_start=key[4]
        )
    return reply.scores[key]


def _score_windows(
    words: RatingWords, before: str, after: str, *, is_word: bool, whole: bool, at_start: bool
) -> tuple[float, bool] | None:
    if words.exclude_before.search(before) and not words.strong_cue_before.search(before):
        return None
    if words.unit_after.search(after):
        return None
    plural = _PLURAL_AFTER.search(after)
    if plural and plural.group(1) not in words.plural_ok:
        return None
    if whole:
        return 2.0, True
    if words.cue_before.search(before):
        return 2.0, bool(words.strong_cue_before.search(before))
    if words.cue_after.search(after):
        return 2.0, False
    if is_word:
        # Spelled-out numbers are everyday words ("no one", "one day"): only a reply opening with one counts.
        opens = at_start and re.match(r"^\s*(?:[.!,;:)-]|$)", after)
        return (1.0, False) if opens else None
    return 1.0, False


def _candidates(words: RatingWords, text: str) -> list[_Candidate]:
    reply = _Reply(words, text)
    number = words.numbers
    found: list[_Candidate] = []

    def add(score: float, value: float, start: int, end: int, allow_out_of_range: bool) -> None:
        reply.take(start, end)
        if allow_out_of_range or 1 <= value <= 10:
            found.append(_Candidate(score + _temporal_adjustment(reply, start, end), value))

    for m in words.fraction_range.finditer(text):
        low, high = _num_value(words, m["a"]), _num_value(words, m["b"])
        if low < high <= 10 and high - low <= 3:
            add(3.0, (low + high) / 2, m.start(), m.end(), True)
    for m in words.fraction.finditer(text):
        if not reply.overlaps(m.start(), m.end()):
            value = _num_value(words, m["a"]) * (-1 if m["sign"] else 1)
            add(3.0, value, m.start(), m.end(), True)
    for m in words.not_ratings.finditer(text):
        if not reply.overlaps(m.start(), m.end()):
            reply.take(m.start(), m.end())
    for m in words.range.finditer(text):
        a, b = (m["a"], m["b"]) if m["a"] else (m["c"], m["d"])
        low, high = _num_value(words, a), _num_value(words, b)
        if reply.overlaps(m.start(), m.end()) or not (1 <= low < high <= 10 and high - low <= 3):
            continue
        context = _context_score(reply, m.start(), m.end(), a in number and b in number)
        if context is not None or m["a"]:
            add(2.0, (low + high) / 2, m.start(), m.end(), False)
    for m in words.single.finditer(text):
        if reply.overlaps(m.start(), m.end()) or m["suffix"] not in words.suffix_ok:
            continue
        context = _context_score(reply, m.start(), m.end(), m["a"] in number)
        if context is None:
            continue
        score, strong = context
        value = _num_value(words, m["a"]) * (-1 if m["sign"] else 1)
        add(score, value, m.start(), m.end(), strong)
    return found


def read_mood(text: str, words: RatingWords) -> float | None:
    """The 1-10 rating in a reply, or None if there is none or it is ambiguous."""
    folded = fold(text, emoji_tokens=False).sub(ELONGATED, r"\1").sub(SPACES, " ").text
    folded = words.scale_echo.sub(" ", folded)
    folded = words.halves(folded)
    # The language rewrites that also apply to ratings: "want 2 die" holds no rating of 2.
    for pattern, replacement in words.before_rating:
        folded = pattern.sub(replacement, folded)
    candidates = _candidates(words, folded)
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
