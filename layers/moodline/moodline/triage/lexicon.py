"""Load the rules from data: one folder per language under ``triage/rules/``, one TOML file per rule family.

Layout of ``rules/<lang>/``:

- ``language.toml``: the language's name, its common words (for the detector) and its trivial words (for review);
- ``normalise.toml``: SMS spellings and rewrites applied before the rules read a reply;
- ``lexicon.toml``: named patterns (``[vocab]``, ``[contexts]``, ``[guards]``, ``[farewell]``);
- ``mood.toml``: how the language states a rating (``[numbers]``, and the ``[mood]`` cue words);
- any other ``*.toml``: ``[[rule]]`` entries (see ``docs/triage.md`` for the fields).

A pattern may write ``{name}`` for a named pattern. The name resolves to the union of every language's
definition, so "tome todas las pills" (Spanish grammar, an English noun) still reads as one phrase, and a new
language only adds its own words under the names it shares.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from moodline.triage.model import Level

RULES_DIR = Path(__file__).with_name("rules")
# Not a language folder: frequent words of the languages no folder covers (see moodline.triage.language).
UNCOVERED_FILE = "uncovered.toml"
ROLES = frozenset({"risk", "anchor", "support", "mood_words"})
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_SPECIAL_FILES = frozenset({"language.toml", "normalise.toml", "lexicon.toml", "mood.toml"})
_PATTERN_TABLES = ("vocab", "contexts", "guards", "farewell", "mood")
_RULE_FIELDS = frozenset(
    {
        "id",
        "family",
        "level",
        "role",
        "negatable",
        "past_sensitive",
        "self_subject",
        "unless",
        "requires",
        "rationale",
        "patterns",
        "words",
        "match",
        "no_match",
        "reviewed",
    }
)


class LexiconError(ValueError):
    """A rule file that cannot be loaded: the message names the file and the rule."""


@dataclass(frozen=True)
class Review:
    """Who last reviewed a rule, and when; ``clinician`` is "pending" until a clinician signs it off."""

    by: str
    on: date
    clinician: str


@dataclass(frozen=True)
class Rule:
    """One reviewable rule: what it matches, what it means to a coach, and how its matches are guarded."""

    id: str
    family: str
    lang: str
    level: Level
    role: str
    pattern: re.Pattern[str]
    rationale: str
    # Guards: "not suicidal" (negation), "years ago" (past), "my friend is" (someone else).
    negatable: bool
    past_sensitive: bool
    self_subject: bool
    # Sentence context that defuses a match (jokes, accidents, cooking) / context the reply must also contain.
    unless: re.Pattern[str] | None
    requires: re.Pattern[str] | None
    match: tuple[str, ...]
    no_match: tuple[str, ...]
    review: Review
    source: str = field(compare=False)


@dataclass(frozen=True)
class Rewrite:
    """A normalisation step: a pattern over the folded text and its replacement (``\\1`` allowed)."""

    id: str
    pattern: re.Pattern[str]
    replacement: str
    # Also applied before reading the rating: "want 2 die" holds no rating of 2.
    before_rating: bool = False


@dataclass(frozen=True)
class LanguageProfile:
    """What the detector and the review tier know about one language."""

    code: str
    name: str
    common: frozenset[str]
    trivial: frozenset[str]
    positive: frozenset[str] = frozenset()
    logistics: frozenset[str] = frozenset()
    # Words near risk (death, farewells, means, exhaustion): a reply carrying one is never waved through as small
    # talk, however short or cheerful, so it goes to the review inbox when nothing else settles it.
    risk_adjacent: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Lexicon:
    """Every language's rules, named patterns, normalisation and profile, loaded from one rules folder."""

    languages: tuple[str, ...]
    rules: tuple[Rule, ...]
    named: Mapping[str, Mapping[str, str]]  # name -> {lang: raw definition}
    spellings: Mapping[str, str]
    rewrites: tuple[Rewrite, ...]
    profiles: Mapping[str, LanguageProfile]
    numbers: Mapping[str, int] = field(default_factory=dict)  # spelled-out ratings: "seven", "siete"
    # Frequent words of languages no folder covers (rules/uncovered.toml): the detector's "not covered" evidence.
    uncovered: frozenset[str] = frozenset()

    def expand(self, template: str) -> str:
        """Replace every ``{name}`` with the union of its definitions, recursively."""
        return _expand(template, self.named, ())

    def pattern(self, name: str) -> str:
        """The expanded regex for one named pattern."""
        return self.expand("{" + name + "}")

    def pattern_or_never(self, name: str) -> str:
        """The named pattern, or one that never matches when no language defines it."""
        return self.pattern(name) if name in self.named else "(?!x)x"

    def compile(self, name: str, flags: int = 0) -> re.Pattern[str]:
        return re.compile(self.pattern(name), flags)

    def rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)


def _expand(template: str, named: Mapping[str, Mapping[str, str]], seen: tuple[str, ...]) -> str:
    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in seen:
            raise LexiconError(f"named pattern {{{name}}} refers to itself via {' -> '.join(seen)}")
        if name not in named:
            raise LexiconError(f"unknown named pattern {{{name}}}")
        parts = [_expand(d, named, (*seen, name)) for d in named[name].values()]
        if all(_is_negative_lookahead(p) for p in parts):
            # "not followed by A" in one language and "not followed by B" in another means neither may follow.
            return "".join(parts)
        return "(?:" + "|".join(f"(?:{p})" if len(parts) > 1 else p for p in parts) + ")"

    return _PLACEHOLDER.sub(one, template)


def _is_negative_lookahead(pattern: str) -> bool:
    if not pattern.startswith("(?!"):
        return False
    depth = 0
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i == len(pattern) - 1
        i += 1
    return False


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as err:
        raise LexiconError(f"{path}: {err}") from err


def _strings(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise LexiconError(f"{where}: expected a list of strings")
    return tuple(raw)


def _language_files(root: Path) -> Iterator[tuple[str, Path]]:
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))):
        yield folder.name, folder


def _compile(pattern: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as err:
        raise LexiconError(f"{where}: {err}") from err


def _build_rule(raw: dict[str, Any], lang: str, path: Path, lexicon: Lexicon) -> Rule:
    where = f"{path.parent.name}/{path.name} rule {raw.get('id', '?')}"
    unknown = set(raw) - _RULE_FIELDS
    if unknown:
        raise LexiconError(f"{where}: unknown fields {sorted(unknown)}")
    role = raw.get("role", "risk")
    if role not in ROLES:
        raise LexiconError(f"{where}: role {role!r} is not one of {sorted(ROLES)}")
    alternatives = list(_strings(raw.get("patterns", []), where))
    alternatives += [re.escape(w) for w in _strings(raw.get("words", []), where)]
    if not alternatives:
        raise LexiconError(f"{where}: no patterns or words")
    # Whole words only: a rule never matches inside another word. The (?=\w) costs nothing where a word starts
    # and spares trying every alternative at each space or punctuation mark (a reply of 1,600 dots).
    body = r"(?<![\w])(?=\w)(?:" + "|".join(lexicon.expand(a) for a in alternatives) + r")(?![\w])"

    def context(key: str) -> re.Pattern[str] | None:
        names = _strings(raw.get(key, []), f"{where} {key}")
        return _compile("|".join(lexicon.pattern(n) for n in names), f"{where} {key}") if names else None

    stamp = raw.get("reviewed")
    if not isinstance(stamp, dict) or not isinstance(stamp.get("on"), date):
        raise LexiconError(f"{where}: reviewed = {{ by, on, clinician }} is required")
    return Rule(
        id=str(raw["id"]),
        family=str(raw["family"]),
        lang=lang,
        level=Level(raw["level"]),
        role=role,
        pattern=_compile(body, where),
        rationale=str(raw["rationale"]),
        negatable=bool(raw.get("negatable", True)),
        past_sensitive=bool(raw.get("past_sensitive", True)),
        self_subject=bool(raw.get("self_subject", False)),
        unless=context("unless"),
        requires=context("requires"),
        match=_strings(raw.get("match", []), where),
        no_match=_strings(raw.get("no_match", []), where),
        review=Review(str(stamp["by"]), stamp["on"], str(stamp.get("clinician", "pending"))),
        source=f"{lang}/{path.name}",
    )


def load(root: Path = RULES_DIR) -> Lexicon:
    """Read every language folder under ``root``; raise LexiconError on the first malformed entry."""
    named: dict[str, dict[str, str]] = {}
    spellings: dict[str, str] = {}
    rewrites: list[Rewrite] = []
    profiles: dict[str, LanguageProfile] = {}
    numbers: dict[str, int] = {}
    rule_files: list[tuple[str, Path]] = []
    languages: list[str] = []
    for lang, folder in _language_files(root):
        languages.append(lang)
        profile = _read(folder / "language.toml")
        profiles[lang] = LanguageProfile(
            lang,
            str(profile["name"]),
            _words(profile["common"]),
            _words(profile["trivial"]),
            _words(profile.get("positive", "")),
            _words(profile.get("logistics", "")),
            _words(profile.get("risk_adjacent", "")),
        )
        for special in ("lexicon.toml", "normalise.toml", "mood.toml"):
            path = folder / special
            data = _read(path) if path.exists() else {}
            for table in _PATTERN_TABLES:
                for name, definition in data.get(table, {}).items():
                    named.setdefault(name, {})[lang] = str(definition)
        if (folder / "mood.toml").exists():
            numbers.update({str(k): int(v) for k, v in _read(folder / "mood.toml").get("numbers", {}).items()})
        norm = _read(folder / "normalise.toml") if (folder / "normalise.toml").exists() else {}
        for word, plain in norm.get("spellings", {}).items():
            spellings[str(word)] = str(plain)
        for raw in norm.get("rewrite", []):
            where = f"{lang}/normalise.toml rewrite {raw.get('id')}"
            rewrites.append(
                Rewrite(
                    f"{lang}.{raw['id']}",
                    _compile(raw["pattern"], where),
                    str(raw["replacement"]),
                    bool(raw.get("before_rating", False)),
                )
            )
        rule_files += [(lang, p) for p in sorted(folder.glob("*.toml")) if p.name not in _SPECIAL_FILES]
    lexicon = Lexicon(tuple(languages), (), named, spellings, tuple(rewrites), profiles, numbers)
    rules = tuple(
        _build_rule(raw, lang, path, lexicon) for lang, path in rule_files for raw in _read(path).get("rule", [])
    )
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise LexiconError(f"{rule.source}: duplicate rule id {rule.id}")
        seen.add(rule.id)
    uncovered_file = root / UNCOVERED_FILE
    uncovered = _words(_read(uncovered_file)["words"]) if uncovered_file.exists() else frozenset()
    return Lexicon(lexicon.languages, rules, named, spellings, lexicon.rewrites, profiles, numbers, uncovered)


@cache
def default() -> Lexicon:
    """The shipped rules, loaded once per process."""
    return load()
