"""Normalisation that remembers where every character came from.

The rules read a folded view of the reply (lowercase, no accents or apostrophes, SMS spellings expanded, risky
emoji and medication names as tokens); a coach reads the original. ``Text`` keeps, for every character of the
view, the span of the original it stands for, so a reason can quote what the client wrote.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from moodline.triage.lexicon import Lexicon

_APOSTROPHES = frozenset("'’‘`´ʼ")
# Variation selectors and joiners change how an emoji looks, not what it means.
_INVISIBLE = frozenset("\ufe0e\ufe0f\u200d\u200b")
# Emoji that carry risk meaning become plain tokens so rules can treat them like words.
EMOJI_TOKENS = {
    # means and death
    "💊": " emo_pill ",
    "🔪": " emo_knife ",
    "🗡": " emo_knife ",
    "🔫": " emo_gun ",
    "🪢": " emo_rope ",
    "🩸": " emo_blood ",
    "🪦": " emo_grave ",
    "⚰": " emo_coffin ",
    # "💀" is slang for laughing ("I'm dead 💀"), like the crying-laughing faces
    "😂": " emo_laugh ",
    "🤣": " emo_laugh ",
    "💀": " emo_laugh ",
    # sadness and farewells, which only count next to a means
    "😔": " emo_sad ",
    "😞": " emo_sad ",
    "😢": " emo_sad ",
    "😭": " emo_sad ",
    "💔": " emo_sad ",
    "👋": " emo_wave ",
    "✌": " emo_wave ",
}
MATCHED_MAX = 60

ELONGATED = re.compile(r"([a-z])\1{2,}")  # "diiiie" -> "die", "noooo" -> "no"
# Runs of whitespace, and whitespace other than a single space: a lone space is already what it becomes.
SPACES = re.compile(r"\s{2,}|[^\S ]")
_INNER_HYPHEN = re.compile(r"(?<=[a-z])[-/](?=[a-z])")
# A digit or symbol between two letters is a letter in disguise ("k1ll", "suic!dal"); "x30" and "b12" are not.
_LEET_CHAR = re.compile(r"(?<=[a-z])[0134579!|@$](?=[a-z])")
_LEET = dict(zip("0134579!|@$", "oieastgiias", strict=True))
# A run of emoji that repeats ("😭😭😭😭", "🔪💊🔪💊🔪💊...") keeps twelve periods of its one-to-three-token unit.
# No rule spans more than twelve tokens, so every window a rule can see inside the run, and both its edges, are
# still there; but each emoji is a nine-character token, and an emoji-only reply would be nine times longer to
# scan than its 1,600 characters.
_EMOJI_PERIODS = 12
_EMOJI_RUN = re.compile(r"(?<![\w])((?:emo_[a-z]+ ){1,3}?)\1{" + str(_EMOJI_PERIODS) + ",}")
DRUG_TOKEN = "drug_name"  # noqa: S105 - a word the rules read, not a secret


@dataclass(frozen=True)
class Text:
    """Normalised text plus, for every character, the span of the original it stands for."""

    original: str
    text: str
    spans: tuple[tuple[int, int], ...]

    def sub(self, pattern: re.Pattern[str], repl: str | Callable[[re.Match[str]], str]) -> Text:
        out: list[str] = []
        spans: list[tuple[int, int]] = []
        pos = 0
        # A replacement without group references is the same string every time: skip re's template engine.
        literal = repl if isinstance(repl, str) and "\\" not in repl else None
        for m in pattern.finditer(self.text):
            if m.start() == m.end():
                continue
            out.append(self.text[pos : m.start()])
            spans.extend(self.spans[pos : m.start()])
            if literal is not None:
                new = literal
            elif isinstance(repl, str):
                new = m.expand(repl)
            else:
                new = repl(m)
            whole = (self.spans[m.start()][0], self.spans[m.end() - 1][1])
            out.append(new)
            spans.extend([whole] * len(new))
            pos = m.end()
        if pos == 0:
            return self
        out.append(self.text[pos:])
        spans.extend(self.spans[pos:])
        return Text(self.original, "".join(out), tuple(spans))

    def source(self, start: int, end: int) -> str:
        """The original text behind text[start:end], trimmed for a coach to read."""
        if start >= end:
            return ""
        snippet = self.original[self.spans[start][0] : self.spans[end - 1][1]].strip()
        return snippet if len(snippet) <= MATCHED_MAX else snippet[: MATCHED_MAX - 1] + "…"


_FOLD_CACHE: dict[tuple[str, bool], str] = {}


def _fold_char(ch: str, emoji_tokens: bool) -> str:
    key = (ch, emoji_tokens)
    cached = _FOLD_CACHE.get(key)
    if cached is not None:
        return cached
    if ch in _APOSTROPHES or ch in _INVISIBLE:
        folded = ""
    elif emoji_tokens and ch in EMOJI_TOKENS:
        folded = EMOJI_TOKENS[ch]
    elif ch.isspace():
        folded = " "
    else:
        decomposed = unicodedata.normalize("NFKD", ch)
        folded = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    # Bounded: a reply has at most 1,600 characters, and the alphabet of replies is small.
    if len(_FOLD_CACHE) < 50_000:
        _FOLD_CACHE[key] = folded
    return folded


def fold(text: str, emoji_tokens: bool) -> Text:
    """Lowercase, strip accents and apostrophes, keep a map back to the original."""
    chars: list[str] = []
    spans: list[tuple[int, int]] = []
    last = ""
    for i, ch in enumerate(text):
        folded = _fold_char(ch, emoji_tokens)
        if len(folded) == 1:
            spans.append((i, i + 1))
        elif folded:
            if last == " " and folded[0] == " ":
                # Two emoji in a row would leave two spaces for the space collapse to merge, one by one.
                folded = folded[1:]
            spans.extend([(i, i + 1)] * len(folded))
        else:
            continue
        chars.append(folded)
        last = folded[-1]
    return Text(text, "".join(chars), tuple(spans))


class Normaliser:
    """The view the risk rules read: folded, de-elongated, SMS spellings and medication names replaced."""

    def __init__(self, lexicon: Lexicon) -> None:
        words = sorted(lexicon.spellings, key=len, reverse=True)
        self._spellings = dict(lexicon.spellings)
        self._sms = re.compile(r"(?<![\w/])(?:" + "|".join(map(re.escape, words)) + r")(?!\w)")
        self._rewrites = lexicon.rewrites
        self._drugs = re.compile(r"(?<![\w])(?:" + lexicon.pattern("drug_names") + r")(?![\w])")

    def __call__(self, text: str) -> Text:
        t = fold(text, emoji_tokens=True)
        t = t.sub(_INNER_HYPHEN, " ")
        t = t.sub(_LEET_CHAR, lambda m: _LEET[m.group(0)])
        t = t.sub(ELONGATED, r"\1")
        t = t.sub(SPACES, " ")
        t = t.sub(_EMOJI_RUN, lambda m: m.group(1) * _EMOJI_PERIODS)
        t = t.sub(self._sms, lambda m: self._spellings[m.group(0)])
        for rewrite in self._rewrites:
            t = t.sub(rewrite.pattern, rewrite.replacement)
        return t.sub(self._drugs, DRUG_TOKEN)
