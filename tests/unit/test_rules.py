"""The rules as data: every rule's own examples, unique ids, one language per file, and how a language is added."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from moodline.triage import lexicon
from moodline.triage.engine import Engine, assess_reply
from moodline.triage.lexicon import RULES_DIR, LexiconError, Rule
from moodline.triage.model import Level

LEXICON = lexicon.default()
RULES = LEXICON.rules

# Words that belong to one language only: a rule file of the other language must not spell them out.
# ("he", "se", "me", "no" are words in both, and named patterns like {pills} may carry either.)
ONLY_EN = frozenset(
    re.findall(r"\w+", "the my you your is are was to of and with for not do it this that she they myself want will")
)
ONLY_ES = frozenset(
    re.findall(r"\w+", "que de la el los las mi mis yo con por para una un estoy quiero voy lo le ya nada todo")
)


def _examples() -> list[tuple[str, str, bool]]:
    return [(r.id, text, True) for r in RULES for text in r.match] + [
        (r.id, text, False) for r in RULES for text in r.no_match
    ]


@pytest.mark.parametrize(("rule_id", "text", "fires"), _examples(), ids=lambda v: str(v)[:40])
def test_every_rule_fires_on_its_examples_and_not_on_its_counter_examples(rule_id: str, text: str, fires: bool) -> None:
    # Given one of a rule's own examples (what a reviewer reads next to the rule)
    # When the reply is assessed
    reasons = {reason.rule for reason in assess_reply(text).reasons}
    # Then the rule is among the reasons exactly when the example says it must be
    assert (rule_id in reasons) is fires, f"{rule_id} on {text!r}: reasons {sorted(reasons)}"


def test_every_rule_is_reviewable() -> None:
    # Given every shipped rule
    # Then each has a unique id, a plain rationale, at least one example that must match, a review stamp,
    # and an id that names its family and its language
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    for rule in RULES:
        assert rule.rationale.strip() and len(rule.rationale) <= 160, rule.id
        assert rule.match, f"{rule.id} has no example that must match"
        assert rule.review.by and isinstance(rule.review.on, date), rule.id
        assert rule.id.startswith(rule.family + ".") and rule.id.endswith("." + rule.lang), rule.id


def test_every_family_and_level_is_covered_in_both_languages() -> None:
    # Given the rule families
    families = {(r.family, r.lang) for r in RULES}
    # Then each family written for English has a Spanish counterpart, except the emoji (no language)
    missing = {f for f, lang in families if lang == "en" and (f, "es") not in families}
    assert missing <= {"crisis.emoji"}
    assert {r.level for r in RULES} == {Level.MODERATE, Level.HIGH, Level.CRISIS}


def _words(pattern: str) -> set[str]:
    # Named patterns, escapes and character classes are not words of the pattern itself.
    plain = re.sub(r"\{[a-z_]+\}|\\[a-zA-Z]|\[[^\]]*\]", " ", pattern)
    return set(re.findall(r"[a-z]+", plain))


def _raw_patterns(rule: Rule) -> list[str]:
    text = (RULES_DIR / rule.source).read_text(encoding="utf-8")
    block = next(b for b in text.split("[[rule]]") if f"id = '{rule.id}'" in b)
    return re.findall(r"^  '(.*)',$", block, re.MULTILINE)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_english_and_spanish_are_not_mixed_inside_one_pattern(rule: Rule) -> None:
    # Given a rule's patterns as written in its language's file
    other = ONLY_ES if rule.lang == "en" else ONLY_EN
    # Then none spells out a word that only the other language has
    for pattern in _raw_patterns(rule):
        assert not _words(pattern) & other, f"{rule.id}: {pattern}"


def test_named_patterns_resolve_to_the_union_of_every_language() -> None:
    # Given a concept both languages define (the pill words)
    pills = re.compile(LEXICON.pattern("pills"))
    # Then the one name reads English and Spanish, so a code-switched reply still matches
    assert pills.search("pills") and pills.search("pastillas")
    assert assess_reply("me voy a tomar todas las pills esta noche").level is Level.CRISIS


def _new_language(tmp_path: Path) -> Path:
    root = tmp_path / "rules"
    shutil.copytree(RULES_DIR, root)
    (root / "xx").mkdir()
    (root / "xx" / "language.toml").write_text('name = "Test"\ncommon = "zorg blip"\ntrivial = "blip"\n')
    (root / "xx" / "ideation.toml").write_text(
        "[[rule]]\n"
        "id = 'crisis.ideation.explicit.zorg.xx'\nfamily = 'crisis.ideation.explicit'\nlevel = 'crisis'\n"
        "rationale = 'Says zorg, which in this language means wanting to die.'\n"
        "patterns = ['zorg(?: blip)?']\nmatch = ['zorg']\nno_match = ['blip']\n"
        "reviewed = { by = 'test', on = 2026-11-29, clinician = 'pending' }\n"
    )
    return root


def test_a_new_language_is_one_new_folder(tmp_path: Path) -> None:
    # Given the shipped rules plus one new folder with a language profile and one rule family
    engine = Engine(lexicon.load(_new_language(tmp_path)))
    # When a reply in that language is assessed
    assessment = engine.assess("zorg")
    # Then the new rule fires, with its own id, and the other languages still work
    assert assessment.level is Level.CRISIS
    assert [r.rule for r in assessment.reasons] == ["crisis.ideation.explicit.zorg.xx"]
    assert "xx" in engine.lexicon.languages
    assert engine.assess("I want to die").level is Level.CRISIS


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        (lambda t: t + t[t.index("[[rule]]") :], "duplicate rule id"),
        (lambda t: t.replace("rationale =", "rationle =", 1), "unknown fields"),
        (lambda t: t.replace("reviewed = {", "reviewd = {", 1), "unknown fields"),
        (lambda t: t.replace("patterns = [", "patterns = ['(unclosed',", 1), "missing ), unterminated subpattern"),
    ],
    ids=["duplicate id", "misspelt field", "missing stamp", "bad regex"],
)
def test_a_malformed_rule_file_names_the_file_and_the_rule(tmp_path: Path, mutation: object, message: str) -> None:
    # Given a copy of the rules with one file broken
    root = _new_language(tmp_path)
    path = root / "xx" / "ideation.toml"
    path.write_text(mutation(path.read_text()))  # type: ignore[operator]
    # When it is loaded
    with pytest.raises(LexiconError) as err:
        lexicon.load(root)
    # Then the error says what is wrong and where
    assert message in str(err.value)
    assert "xx" in str(err.value)
