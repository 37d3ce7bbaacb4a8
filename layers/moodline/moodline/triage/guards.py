"""The checks that stop a risk phrase from counting: negation, the past, idioms and someone else's story.

The words behind each check live in ``rules/<lang>/lexicon.toml`` under ``[guards]`` and are the union of
every language; the logic (how far a negation reaches, when the past gives way to "again") lives here.

Every check reads positions computed once per reply (``Guards``), so a reply with hundreds of matches still
costs a bounded amount per match rather than a rescan of the whole text.
"""

from __future__ import annotations

import bisect
import re

from moodline.triage.lexicon import Lexicon

_SENTENCE_BREAK = re.compile(r"[.!?\n]+")
# How many words before a phrase a negation may sit ("I would never hurt myself"), and how far back to look
# for a hedge that cancels it ("can not stop thinking about").
_NEGATION_REACH = 4
_HEDGE_REACH = 6


class GuardWords:
    """The compiled guard patterns of a lexicon."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.clause_break = re.compile(r"[.!?;,()\n]|\b(?:" + lexicon.pattern("clause_words") + r")\b")
        self.negation = lexicon.compile("negation")
        self.uncertain = lexicon.compile("uncertain")
        self.post_negation = lexicon.compile("post_negation")
        self.past = lexicon.compile("past")
        self.present_override = lexicon.compile("present_override")
        self.present_in_clause = lexicon.compile("present_in_clause")
        self.third_party = lexicon.compile("third_party")
        self.first_person = lexicon.compile("first_person")
        self.idioms = lexicon.compile("idioms")


class Guards:
    """The guards applied to one normalised reply."""

    def __init__(self, words: GuardWords, text: str) -> None:
        self.words = words
        self.text = text
        sentence = list(_SENTENCE_BREAK.finditer(text))
        self._sentence_starts = [m.start() for m in sentence]
        self._sentence_ends = [m.end() for m in sentence]
        clause = list(words.clause_break.finditer(text))
        self._clause_starts = [m.start() for m in clause]
        self._clause_ends = [m.end() for m in clause]
        self._idiom = bytearray(len(text) + 1)
        for m in words.idioms.finditer(text):
            self._idiom[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
        self._third: dict[int, list[tuple[int, int]]] = {}
        self._first: dict[int, list[tuple[int, int]]] = {}
        self._present_override: bool | None = None
        self._past_sentences: dict[tuple[int, int], bool] = {}

    # --- positions ------------------------------------------------------------------------------------

    def sentence_bounds(self, start: int, end: int) -> tuple[int, int]:
        i = bisect.bisect_right(self._sentence_ends, start) - 1
        begin = self._sentence_ends[i] if i >= 0 else 0
        j = bisect.bisect_left(self._sentence_starts, end)
        return begin, self._sentence_starts[j] if j < len(self._sentence_starts) else len(self.text)

    def clause_start(self, start: int) -> int:
        i = bisect.bisect_right(self._clause_ends, start) - 1
        return self._clause_ends[i] if i >= 0 else 0

    def clause_end(self, end: int) -> int:
        j = bisect.bisect_left(self._clause_starts, end)
        return self._clause_starts[j] if j < len(self._clause_starts) else len(self.text)

    # --- the guards -----------------------------------------------------------------------------------

    def in_idiom(self, start: int, end: int) -> bool:
        """'killing it', 'me muero de risa': the phrase is part of an idiom."""
        return any(self._idiom[start:end])

    def _last_words(self, start: int, count: int) -> list[str]:
        """The last ``count`` words of the clause before ``start``, without splitting the whole clause."""
        low = self.clause_start(start)
        cut, found = start, 0
        while found < count:
            space = self.text.rfind(" ", low, cut)
            if space < 0:
                cut = low
                break
            if space + 1 < cut:
                found += 1  # a word lies between this space and the previous cut
            cut = space
        return self.text[cut:start].split()[-count:]

    def is_negated(self, start: int, end: int) -> bool:
        """A negation within four words before the phrase, in the same clause, or a "? no" right after it."""
        words = self._last_words(start, _HEDGE_REACH)
        near = " ".join(words[-_NEGATION_REACH:])
        if self.words.negation.search(near) and not self.words.uncertain.search(" ".join(words)):
            return True
        # The pattern is anchored with ^, which only matches at a slice's start, not at a search position.
        return bool(self.words.post_negation.match(self.text[end:]))

    def is_past(self, start: int, end: int) -> bool:
        """History ("years ago I attempted") unless the reply says it is happening again or now."""
        bounds = self.sentence_bounds(start, end)
        past = self._past_sentences.get(bounds)
        if past is None:
            past = self._past_sentences[bounds] = bool(self.words.past.search(self.text[bounds[0] : bounds[1]]))
        if not past:
            return False
        if self._present_override is None:
            self._present_override = bool(self.words.present_override.search(self.text))
        if self._present_override:
            return False
        clause = self.text[self.clause_start(start) : self.clause_end(end)]
        return not self.words.present_in_clause.search(clause)

    def is_about_someone_else(self, start: int) -> bool:
        """Whether the nearest subject before the phrase is someone else, as in "my friend is suicidal"."""
        low = self.clause_start(start)
        third = self._last_end(self.words.third_party, self._third, low, start)
        if third < 0:
            return False
        first = self._last_end(self.words.first_person, self._first, low, start)
        return first < 0 or third > first

    def _last_end(
        self, pattern: re.Pattern[str], cache: dict[int, list[tuple[int, int]]], low: int, start: int
    ) -> int:
        """Where the last match of ``pattern`` in text[low:start] ends (-1 if none), scanning each clause once.

        The clause's matches are found once; a phrase inside the clause sees those that end before it. A match
        that runs across the phrase's start is cut there, as it would be in the slice, by rescanning it alone.
        """
        spans = cache.get(low)
        if spans is None:
            spans = cache[low] = [(m.start(), m.end()) for m in pattern.finditer(self.text, low, self.clause_end(low))]
        i = bisect.bisect_left(spans, (start, -1))
        best = -1
        if i and spans[i - 1][1] > start:
            best = max((m.end() for m in pattern.finditer(self.text, spans[i - 1][0], start)), default=-1)
            i -= 1
        if best < 0 and i:
            best = spans[i - 1][1]
        return best
