"""Which of the covered languages a reply is written in, or that it is in none of them.

A compact word-profile detector, dependency-free: each language folder lists its common words, and the words
its own rules are written with count too. A reply whose words are mostly unknown to every covered language
(or that is written in another script) is "not covered": the rules cannot read it, so a coach must.

Measured (docs/triage.md): import plus first call well under a millisecond beyond loading the rules, which
the engine loads anyway; no model file, nothing on the cold start of functions that do not triage.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from moodline.triage.lexicon import Lexicon

_WORD = re.compile(r"[a-z]+")
_LATIN_OR_COMMON = re.compile(r"[\x00-\u024f\u1e00-\u1eff]")
# Below this many words a reply is too short to judge ("ok", "7 gracias"): it is not marked as foreign.
MIN_WORDS = 3
# At least this share of a reply's words must be known to a covered language for the rules to read it.
MIN_KNOWN_SHARE = 0.4
# Words of an uncovered language (rules/uncovered.toml) at or above this share of a reply's words make it "not
# covered", however short: "tudo bem, 8" and "ça va, 7" have a rating but no rules that can read the rest.
MIN_UNCOVERED_SHARE = 0.25
# Letters from another script (Cyrillic, Arabic, CJK...) beyond this count make a reply "not covered".
MAX_OTHER_SCRIPT = 3


@dataclass(frozen=True)
class Detection:
    """The language a reply reads as (None when too short or not covered) and whether the rules cover it."""

    lang: str | None
    covered: bool
    known_share: float
    words: int


class Detector:
    """Word-profile detector over the languages of a lexicon."""

    def __init__(self, lexicon: Lexicon) -> None:
        vocab: dict[str, set[str]] = {}
        for code, profile in lexicon.profiles.items():
            vocab[code] = set(profile.common) | set(profile.trivial)
        # The words a language's own rules are written in are words of that language.
        for rule in lexicon.rules:
            vocab[rule.lang].update(w for w in _WORD.findall(rule.pattern.pattern) if len(w) >= 3)
        for definitions in lexicon.named.values():
            for code, definition in definitions.items():
                vocab[code].update(w for w in _WORD.findall(definition) if len(w) >= 3)
        self.vocab: Mapping[str, frozenset[str]] = {code: frozenset(words) for code, words in vocab.items()}
        self.known: frozenset[str] = frozenset().union(*self.vocab.values())
        # Only words no covered language uses are evidence: "no", "dia" and "bien" say nothing.
        self.uncovered: frozenset[str] = lexicon.uncovered - self.known

    def detect(self, folded: str) -> Detection:
        """Detect over the folded text (lowercase, no accents): see moodline.triage.normalise.fold."""
        other_script = sum(1 for ch in folded if ch.isalpha() and not _LATIN_OR_COMMON.match(ch))
        words = _WORD.findall(folded)
        if other_script > MAX_OTHER_SCRIPT:
            return Detection(None, False, 0.0, len(words) + other_script)
        foreign = sum(1 for w in words if w in self.uncovered)
        if words and foreign / len(words) >= MIN_UNCOVERED_SHARE:
            return Detection(None, False, 1 - foreign / len(words), len(words))
        if len(words) < MIN_WORDS:
            return Detection(None, True, 1.0, len(words))
        known = sum(1 for w in words if w in self.known)
        share = known / len(words)
        if share < MIN_KNOWN_SHARE:
            return Detection(None, False, share, len(words))
        hits = {code: sum(1 for w in words if w in vocab) for code, vocab in self.vocab.items()}
        best = max(sorted(hits), key=lambda code: hits[code])
        return Detection(best, True, share, len(words))
