"""Measures the SMS triage against independent, hand-labelled replies, per split and per configuration.

The corpus (tests/data/triage_corpus.jsonl, 3,062 replies) is 539 original lines plus 2,523 by four independent
writers who never saw the rules. Each line is one SMS reply with the level and mood a careful clinician expects:

    {"id": "w1-0001", "text": "...", "lang": "en|es|mixed|fr|pt|...", "category": "...",
     "level": "crisis|high|moderate|low", "mood": 7 | null, "history": [8, 7, 8], "split": "dev|holdout"}

- "dev" (2,004) may be read while tuning the rules; the semantic model is trained on it.
- "holdout" (1,058) is read as figures and per-category counts only (the model's thresholds are chosen on it
  by infra/model/train.py, so its production figures are partly fitted).
- tests/data/triage_blind.jsonl (637, split "blind") is never read by anyone tuning: its failures print ids and
  categories only, never the text.
- tests/data/triage_blind2.jsonl (320, split "blind2"), written in the round after v4 by a fifth writer who never
  saw the rules, the corpus or the code, and measured once as it arrived; unread and untuned like "blind".

Two configurations are measured on each split:
- "rules": the rules alone. The webhook answers crisis resources in-process from these alone.
- "production": the rules ∪ the shipped semantic model (score_reply). The model may only raise a level.

Definitions:
- crisis recall: expected crisis → crisis. page recall: expected crisis/high → crisis/high.
- false pages: expected moderate/low → crisis/high, over expected moderate/low.
- human-sees recall: expected crisis/high → paged or review.
- review load: review among the BENIGN replies, i.e. expected level "low" (and not paged). Moderate replies
  are "worth a coach's look" by definition, so reviewing them is not load.
- mood accuracy: the rating read equals the label (None for none, within 0.01 otherwise).

Floors sit a little below what v4 measured (docs/triage.md has the figures), so that no change can quietly make
things worse. `pytest -s tests/unit/test_triage_corpus.py` prints every figure and the per-category table.
"""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from moodline.triage.engine import assess_reply
from moodline.triage.model import Level, SemanticJudge
from moodline.triage.semantic import load_semantic_model

CORPUS_PATH = Path(__file__).resolve().parents[1] / "data" / "triage_corpus.jsonl"
BLIND_PATH = CORPUS_PATH.with_name("triage_blind.jsonl")
BLIND2_PATH = CORPUS_PATH.with_name("triage_blind2.jsonl")
BLIND_SPLITS = ("blind", "blind2")

# Floors per (configuration, split): measured in v4 (docs/triage.md), then a little slack. "max_" are ceilings.
FLOORS: dict[tuple[str, str], dict[str, float]] = {
    ("production", "dev"): {"crisis_recall": 0.99, "page_recall": 0.99, "max_false_page_rate": 0.03,
                            "human_sees_recall": 0.99, "max_review_load": 0.25, "mood_accuracy": 0.98},
    ("production", "holdout"): {"crisis_recall": 0.94, "page_recall": 0.95, "max_false_page_rate": 0.05,
                                "human_sees_recall": 0.985, "max_review_load": 0.25, "mood_accuracy": 0.98},
    ("production", "blind"): {"crisis_recall": 0.94, "page_recall": 0.95, "max_false_page_rate": 0.05,
                              "human_sees_recall": 0.98, "max_review_load": 0.23, "mood_accuracy": 0.98},
    ("rules", "dev"): {"crisis_recall": 0.72, "page_recall": 0.74, "max_false_page_rate": 0.02,
                       "human_sees_recall": 0.98, "max_review_load": 0.23, "mood_accuracy": 0.98},
    ("rules", "holdout"): {"crisis_recall": 0.58, "page_recall": 0.64, "max_false_page_rate": 0.02,
                           "human_sees_recall": 0.96, "max_review_load": 0.22, "mood_accuracy": 0.98},
    ("rules", "blind"): {"crisis_recall": 0.65, "page_recall": 0.73, "max_false_page_rate": 0.02,
                         "human_sees_recall": 0.94, "max_review_load": 0.20, "mood_accuracy": 0.98},
    # blind2 as first measured: production 0.936 / 0.925 / 0.025, human sees 0.994, review 0.100, mood 0.997;
    # rules 0.718 / 0.750 / 0.013, human sees 0.963, review 0.050.
    ("production", "blind2"): {"crisis_recall": 0.92, "page_recall": 0.91, "max_false_page_rate": 0.04,
                               "human_sees_recall": 0.98, "max_review_load": 0.15, "mood_accuracy": 0.98},
    ("rules", "blind2"): {"crisis_recall": 0.70, "page_recall": 0.73, "max_false_page_rate": 0.025,
                          "human_sees_recall": 0.95, "max_review_load": 0.10, "mood_accuracy": 0.98},
}
# Replies in a language no rule folder covers: paged or reviewed (rules alone), on the whole corpus.
MIN_UNCOVERED_SEEN = 0.95
MOOD_TOLERANCE = 0.01

LEVELS = ("low", "moderate", "high", "crisis")
COVERED_LANGS = ("en", "es", "mixed")
SPLITS = ("dev", "holdout")
CONFIGS = ("rules", "production")
PAGED = frozenset({"crisis", "high"})
# Categories name what a reply is about; the level is the writer's call (an "emoji" reply may be low).
CRISIS_CATEGORIES = frozenset(
    {
        "ideation_explicit",
        "ideation_implicit",
        "plan_means",
        "goodbye",
        "self_harm",
        "harm_others",
        "danger_now",
        "slang_misspelling",
        "emoji",
        "past_plus_present",
    }
)
TRAP_CATEGORIES = frozenset({"idiom_trap", "negation_trap", "past_trap", "third_party_trap", "meds_trap"})
CATEGORIES = (
    CRISIS_CATEGORIES
    | TRAP_CATEGORIES
    | {
        "hopelessness",
        "mood_very_low",
        "baseline_drop",
        "mood_low",
        "negative_words",
        "neutral_positive",
        "logistics",
        "mood_format",
        "non_rating_numbers",
        "out_of_range",
        # New with the writers' corpus.
        "venting",
        "sarcasm",
        "other_language",
    }
)
FIELDS = frozenset({"id", "text", "lang", "category", "level", "mood", "history", "split"})
LANG_CODE = re.compile(r"^(?:[a-z]{2,3}|mixed)$")


@dataclass(frozen=True)
class Case:
    """One labelled SMS reply."""

    id: str
    # Kept out of repr: a failing test prints its fixtures' repr, and blind or holdout text must never show.
    text: str = field(repr=False)
    lang: str
    category: str
    level: str
    mood: float | None
    history: tuple[float, ...]
    split: str


@dataclass(frozen=True)
class Outcome:
    """What the triage said about one case."""

    case: Case
    level: str
    mood: float | None
    review: bool = False

    @property
    def seen(self) -> bool:
        """A human sees it today: it pages, or it is in the review inbox."""
        return self.level in PAGED or self.review

    @property
    def mood_ok(self) -> bool:
        if self.case.mood is None or self.mood is None:
            return self.case.mood is None and self.mood is None
        return abs(self.case.mood - self.mood) <= MOOD_TOLERANCE

    def describe(self) -> str:
        c = self.case
        if c.split != "dev":
            # Holdout and blind stay unread by whoever tunes: ids and categories only.
            return f"  {c.id} [{c.split}/{c.category}]: expected {c.level}, got {self.level}"
        return (
            f"  {c.id} [{c.split}/{c.category}] {c.text!r}"
            + (f" history={list(c.history)}" if c.history else "")
            + f": expected level={c.level} mood={c.mood}; got level={self.level} mood={self.mood}"
        )


@dataclass(frozen=True)
class Figures:
    """The six figures for one split, with the cases behind each miss."""

    total: int
    crisis_recall: float
    page_recall: float
    false_page_rate: float
    mood_accuracy: float
    # Paged or marked for review, among replies that should page; and review among those that should not.
    human_sees_recall: float
    review_load: float
    missed_crisis: tuple[Outcome, ...]
    missed_pages: tuple[Outcome, ...]
    false_pages: tuple[Outcome, ...]
    mood_errors: tuple[Outcome, ...]
    unseen: tuple[Outcome, ...] = ()


def _share(hits: int, total: int, empty: float) -> float:
    return hits / total if total else empty


def compute_figures(outcomes: Sequence[Outcome], splits: Sequence[str] = SPLITS) -> dict[str, Figures]:
    """The six figures for each split and for "all" (see the module docstring for the definitions)."""
    figures: dict[str, Figures] = {}
    for split in (*splits, "all"):
        rows = [o for o in outcomes if split in ("all", o.case.split)]
        crisis = [o for o in rows if o.case.level == "crisis"]
        paged = [o for o in rows if o.case.level in PAGED]
        quiet = [o for o in rows if o.case.level not in PAGED]
        benign = [o for o in rows if o.case.level == "low"]
        missed_crisis = tuple(o for o in crisis if o.level != "crisis")
        missed_pages = tuple(o for o in paged if o.level not in PAGED)
        false_pages = tuple(o for o in quiet if o.level in PAGED)
        mood_errors = tuple(o for o in rows if not o.mood_ok)
        unseen = tuple(o for o in paged if not o.seen)
        reviewed = [o for o in benign if o.review and o.level not in PAGED]
        figures[split] = Figures(
            total=len(rows),
            crisis_recall=_share(len(crisis) - len(missed_crisis), len(crisis), 1.0),
            page_recall=_share(len(paged) - len(missed_pages), len(paged), 1.0),
            false_page_rate=_share(len(false_pages), len(quiet), 0.0),
            mood_accuracy=_share(len(rows) - len(mood_errors), len(rows), 1.0),
            human_sees_recall=_share(len(paged) - len(unseen), len(paged), 1.0),
            review_load=_share(len(reviewed), len(benign), 0.0),
            missed_crisis=missed_crisis,
            missed_pages=missed_pages,
            false_pages=false_pages,
            mood_errors=mood_errors,
            unseen=unseen,
        )
    return figures


def _failure(title: str, value: float, bound: str, misses: Iterable[Outcome]) -> str:
    lines = [o.describe() for o in misses]
    return f"{title} = {value:.3f}, required {bound}; {len(lines)} case(s):\n" + "\n".join(lines)


def _table(title: str, figures: dict[str, Figures]) -> str:
    head = (
        f"{'split':<8} {'n':>4} {'crisis_rec':>10} {'page_rec':>9} {'false_page':>10} {'mood_acc':>9}"
        f" {'sees_rec':>9} {'review':>7}"
    )
    rows = [
        f"{name:<8} {f.total:>4} {f.crisis_recall:>10.3f} {f.page_recall:>9.3f} "
        f"{f.false_page_rate:>10.3f} {f.mood_accuracy:>9.3f} {f.human_sees_recall:>9.3f} {f.review_load:>7.3f}"
        for name, f in figures.items()
    ]
    return "\n".join(["", title, head, *rows])


def category_table(title: str, outcomes: Sequence[Outcome]) -> str:
    """Per category: how many, the share handled right (paged when it should page, quiet when not), the share a
    human sees among those that should page, and mood accuracy. Counts only: safe for holdout and blind."""
    by_category: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_category[o.case.category].append(o)
    lines = ["", title, f"{'category':<20} {'n':>4} {'paging':>6} {'right':>6} {'sees':>6} {'mood':>6}"]
    for category in sorted(by_category):
        rows = by_category[category]
        paging = [o for o in rows if o.case.level in PAGED]
        right = sum((o.level in PAGED) == (o.case.level in PAGED) for o in rows) / len(rows)
        sees = _share(sum(o.seen for o in paging), len(paging), 1.0)
        mood = sum(o.mood_ok for o in rows) / len(rows)
        lines.append(f"{category:<20} {len(rows):>4} {len(paging):>6} {right:>6.2f} {sees:>6.2f} {mood:>6.2f}")
    return "\n".join(lines)


def load_corpus(path: Path = CORPUS_PATH) -> list[Case]:
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        raw = json.loads(line)
        assert set(raw) <= FIELDS, f"line {number}: unknown fields {set(raw) - FIELDS}"
        mood = raw["mood"]
        cases.append(
            Case(
                id=raw["id"],
                text=raw["text"],
                lang=raw["lang"],
                category=raw["category"],
                level=raw["level"],
                mood=None if mood is None else float(mood),
                history=tuple(float(h) for h in raw.get("history", ())),
                split=raw["split"],
            )
        )
    return cases


def triage(cases: Iterable[Case], semantic: SemanticJudge | None) -> list[Outcome]:
    """Assess every case with the rules, and with the semantic judge when one is given."""
    results = []
    for case in cases:
        assessment = assess_reply(case.text, case.history, semantic=semantic)
        mood = assessment.mood
        results.append(
            Outcome(case, Level(assessment.level).value, None if mood is None else float(mood), assessment.review)
        )
    return results


@pytest.fixture(scope="module")
def corpus() -> list[Case]:
    return load_corpus()


@pytest.fixture(scope="module")
def blind() -> list[Case]:
    return load_corpus(BLIND_PATH) + load_corpus(BLIND2_PATH)


@pytest.fixture(scope="module")
def outcomes(corpus: list[Case], blind: list[Case]) -> dict[str, list[Outcome]]:
    """Per configuration, the outcome of every corpus and blind case."""
    model = load_semantic_model()
    return {
        "rules": triage([*corpus, *blind], None),
        "production": triage([*corpus, *blind], model),
    }


@pytest.fixture(scope="module")
def figures(outcomes: dict[str, list[Outcome]]) -> dict[tuple[str, str], Figures]:
    """Figures per (configuration, split), printed with the per-category tables (counts only)."""
    result: dict[tuple[str, str], Figures] = {}
    for config in CONFIGS:
        per_split = compute_figures(outcomes[config], splits=(*SPLITS, *BLIND_SPLITS))
        print(_table(f"triage ({config})", {k: v for k, v in per_split.items() if k != "all"}))
        for split in (*SPLITS, *BLIND_SPLITS):
            result[(config, split)] = per_split[split]
            rows = [o for o in outcomes[config] if o.case.split == split]
            print(category_table(f"per category ({config}, {split})", rows))
    return result


def test_corpus_is_complete_and_well_formed(corpus: list[Case]) -> None:
    """
    Given the labelled corpus on disk
    When its lines are checked against the labelling guide
    Then it is big enough, balanced, mostly bilingual, uniquely identified and validly labelled,
    so it cannot silently shrink or drift.
    """
    bad = [
        c.id
        for c in corpus
        if c.level not in LEVELS
        or not LANG_CODE.match(c.lang)
        or c.category not in CATEGORIES
        or c.split not in SPLITS
        or not c.text.strip()
        or (c.mood is not None and not 1 <= c.mood <= 10)
        or any(not 1 <= h <= 10 for h in c.history)
        or (c.history and len(c.history) < 3)
        # A language no folder covers is what "other_language" means, and only that.
        or ((c.lang not in COVERED_LANGS) != (c.category == "other_language"))
    ]
    assert not bad, f"invalid labels on: {bad}"

    ids = Counter(c.id for c in corpus)
    assert not [i for i, n in ids.items() if n > 1], "duplicate ids"
    replies = Counter((c.text, c.history) for c in corpus)
    assert not [r for r, n in replies.items() if n > 1], "duplicate (text, history) pairs"

    # Size and class balance (issue 7: at least 3,000 replies, at least 25% Spanish or code-switched).
    levels = Counter(c.level for c in corpus)
    assert len(corpus) >= 3000
    assert sum(c.lang in ("es", "mixed") for c in corpus) >= 0.25 * len(corpus)
    assert levels["crisis"] >= 1000
    assert sum(c.level == "crisis" and c.lang != "en" for c in corpus) >= 400
    assert levels["high"] >= 350
    assert levels["moderate"] >= 400
    assert levels["low"] >= 1100
    assert sum(c.level == "low" and c.category in TRAP_CATEGORIES for c in corpus) >= 450

    # Every category in both splits; every covered-language category in English and in Spanish (or mixed).
    for category in sorted(CATEGORIES):
        rows = [c for c in corpus if c.category == category]
        if category != "other_language":
            assert any(c.lang == "en" for c in rows), f"{category}: no English line"
            assert any(c.lang in ("es", "mixed") for c in rows), f"{category}: no Spanish/mixed line"
        holdout = sum(c.split == "holdout" for c in rows) / len(rows)
        assert 0.25 <= holdout <= 0.5, f"{category}: holdout share {holdout:.2f}"
    assert all(len(c.history) >= 3 for c in corpus if c.category == "baseline_drop")

    # Labels agree with the guide's mood bands: 1-2 pages, 3-4 at least moderate, a 3-point drop pages.
    rank = {level: i for i, level in enumerate(LEVELS)}
    inconsistent = [
        c.id
        for c in corpus
        if c.mood is not None
        and (
            (c.mood <= 2 and c.level not in PAGED)
            or (c.mood <= 4 and c.level == "low")
            or (c.history and c.mood <= statistics.median(c.history) - 3 and rank[c.level] < rank["high"])
        )
    ]
    assert not inconsistent, f"labels disagree with the mood bands: {inconsistent}"

    print(
        f"\ncorpus: {len(corpus)} lines; levels {dict(levels)}; "
        f"langs {dict(Counter(c.lang for c in corpus))}; splits {dict(Counter(c.split for c in corpus))}"
    )


def test_blind_set_is_intact_and_independent(blind: list[Case], corpus: list[Case]) -> None:
    # Given the blind set
    # Then it is the size it was written at, all "blind", sharing only very short texts with the corpus
    # (ratings such as "2/10" that any writer would send: 50 when the grown sets were merged, 3 of them over 20
    # characters and none over 50). Only counts are printed: the texts stay unread.
    first = [c for c in blind if c.split == "blind"]
    assert len(first) == 637 and {c.split for c in blind} == set(BLIND_SPLITS)
    assert Counter(c.level for c in first) == {"crisis": 238, "low": 218, "moderate": 92, "high": 89}
    shared = {c.text for c in first} & {c.text for c in corpus}
    longer = sum(len(text) > 20 for text in shared)
    assert len(shared) <= 50, f"{len(shared)} blind texts also in the corpus"
    assert longer <= 3 and all(len(text) <= 50 for text in shared), f"{longer} shared texts over 20 characters"
    # And the second blind set, as written: its own ids, no text shared with the corpus or the first set
    # beyond bare ratings (a number and an emoji at most)
    second = [c for c in blind if c.split == "blind2"]
    assert len(second) == 320 and len({c.id for c in second}) == 320
    assert Counter(c.level for c in second) == {"crisis": 110, "low": 100, "moderate": 60, "high": 50}
    reused = {c.text for c in second} & ({c.text for c in corpus} | {c.text for c in first})
    assert all(len(text) <= 12 for text in reused), f"{len(reused)} blind2 texts also elsewhere"


CHECKS = [(config, split) for config in CONFIGS for split in (*SPLITS, *BLIND_SPLITS)]


@pytest.mark.parametrize(("config", "split"), CHECKS, ids=[f"{c}-{s}" for c, s in CHECKS])
def test_recall_and_false_pages_stay_above_their_floors(
    figures: dict[tuple[str, str], Figures], config: str, split: str
) -> None:
    """
    Given one split, triaged by the rules alone or by the rules with the shipped model
    When crisis recall, page recall and false pages are measured
    Then none falls past its floor (blind misses print ids and categories, never text).
    """
    f, floor = figures[(config, split)], FLOORS[(config, split)]
    where = f"{config}/{split}"
    assert f.crisis_recall >= floor["crisis_recall"], _failure(
        f"{where} crisis recall", f.crisis_recall, f">= {floor['crisis_recall']}", f.missed_crisis
    )
    assert f.page_recall >= floor["page_recall"], _failure(
        f"{where} page recall", f.page_recall, f">= {floor['page_recall']}", f.missed_pages
    )
    assert f.false_page_rate <= floor["max_false_page_rate"], _failure(
        f"{where} false pages", f.false_page_rate, f"<= {floor['max_false_page_rate']}", f.false_pages
    )


@pytest.mark.parametrize(("config", "split"), CHECKS, ids=[f"{c}-{s}" for c, s in CHECKS])
def test_a_human_sees_what_should_page_at_a_bounded_review_load(
    figures: dict[tuple[str, str], Figures], config: str, split: str
) -> None:
    """
    Given one split and configuration
    When we count what should page and is paged or reviewed, and the benign (expected low) replies reviewed
    Then human-sees recall and the review load stay within their floors.
    """
    f, floor = figures[(config, split)], FLOORS[(config, split)]
    assert f.human_sees_recall >= floor["human_sees_recall"], _failure(
        f"{config}/{split} human-sees recall", f.human_sees_recall, f">= {floor['human_sees_recall']}", f.unseen
    )
    assert f.review_load <= floor["max_review_load"], f"{config}/{split} review load {f.review_load:.3f}"


@pytest.mark.parametrize("split", [*SPLITS, *BLIND_SPLITS])
def test_mood_accuracy(figures: dict[tuple[str, str], Figures], split: str) -> None:
    """
    Given every reply of a split with the rating it states (or none)
    When the triage reads the mood (the model never touches the mood)
    Then enough match the label (None for no rating, within 0.01 otherwise).
    """
    f, floor = figures[("production", split)], FLOORS[("production", split)]
    assert f.mood_accuracy >= floor["mood_accuracy"], _failure(
        f"{split} mood accuracy", f.mood_accuracy, f">= {floor['mood_accuracy']}", f.mood_errors
    )


def test_a_reply_in_an_uncovered_language_is_paged_or_reviewed(outcomes: dict[str, list[Outcome]]) -> None:
    """
    Given the writers' replies in languages no rule folder covers (fr, pt, de, it, tl...)
    When the rules alone assess them (the webhook's path: no model)
    Then they page or go to the review inbox: never scored low silently.
    """
    rows = [o for o in outcomes["rules"] if o.case.lang not in COVERED_LANGS and o.case.split not in BLIND_SPLITS]
    assert len(rows) >= 60
    unseen = [o for o in rows if not o.seen]
    share = 1 - len(unseen) / len(rows)
    assert share >= MIN_UNCOVERED_SEEN, _failure("uncovered seen", share, f">= {MIN_UNCOVERED_SEEN}", unseen)
