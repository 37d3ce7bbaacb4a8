"""Measures the SMS triage against an independent, hand-labelled corpus.

The corpus (tests/data/triage_corpus.jsonl) was written from the labelling guide, not from the rules in
moodline.triage, so these figures are a real estimate of how the triage behaves on replies it was not
tuned on. Each line is one SMS reply with the level and mood a careful clinician would expect:

    {"id": "en-0001", "text": "...", "lang": "en|es|mixed", "category": "...",
     "level": "crisis|high|moderate|low", "mood": 7 | null, "history": [8, 7, 8], "split": "dev|holdout"}

"dev" lines may be looked at while tuning the rules; "holdout" lines should not be. The thresholds apply
to the whole corpus. `pytest -s tests/unit/test_triage_corpus.py` prints the figures per split.

History, for honest reading: the rules were first tuned on "dev" only, and scored crisis recall 0.870
on "holdout". Later rounds used the whole corpus, so its figures are now fitted. The generalisation
estimate comes from tests/data/triage_blind.jsonl (220 replies, split "blind"), written by someone who
never saw the rules and never read by anyone writing them: its failures print ids and categories only,
never the text, so it stays blind. Its floors guard against regressions; they are not the goal.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from moodline.triage.engine import assess_reply
from moodline.triage.model import Level

CORPUS_PATH = Path(__file__).resolve().parents[1] / "data" / "triage_corpus.jsonl"
BLIND_PATH = CORPUS_PATH.with_name("triage_blind.jsonl")
# Measured when the blind set was first scored with the current rule families: crisis recall 0.789,
# page recall 0.848, false pages 0.011, mood accuracy 1.000. A floor a little below each.
BLIND_FLOORS = {"crisis_recall": 0.75, "page_recall": 0.80, "false_page_rate": 0.05, "mood_accuracy": 0.95}
# The review tier (triage v4) measured on the blind set when it was first scored: human-sees recall 0.976 at a
# review load of 0.242 of the replies that should not page. Floors a little past each.
BLIND_REVIEW_FLOORS = {"human_sees_recall": 0.95, "review_load": 0.28}
# On the corpus: everything that should page is seen (the rules catch it all), at a review load of at most a
# quarter of the replies that should not page (measured 0.188 dev, 0.237 holdout).
MIN_HUMAN_SEES_RECALL = 0.99
MAX_REVIEW_LOAD = 0.25

MIN_CRISIS_RECALL = 0.97
MIN_PAGE_RECALL = 0.95
MAX_FALSE_PAGE_RATE = 0.05
MIN_MOOD_ACCURACY = 0.95
MOOD_TOLERANCE = 0.01

LEVELS = ("low", "moderate", "high", "crisis")
LANGS = ("en", "es", "mixed")
SPLITS = ("dev", "holdout")
PAGED = frozenset({"crisis", "high"})
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
    }
)
FIELDS = frozenset({"id", "text", "lang", "category", "level", "mood", "history", "split"})


@dataclass(frozen=True)
class Case:
    """One labelled SMS reply."""

    id: str
    text: str
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
        return (
            f"  {c.id} [{c.split}/{c.category}] {c.text!r}"
            + (f" history={list(c.history)}" if c.history else "")
            + f": expected level={c.level} mood={c.mood}; got level={self.level} mood={self.mood}"
        )


@dataclass(frozen=True)
class Figures:
    """The four metrics for one split, with the cases behind each miss."""

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
    """Crisis recall, page recall, false-page rate and mood accuracy for "dev", "holdout" and "all"."""
    figures: dict[str, Figures] = {}
    for split in (*splits, "all"):
        rows = [o for o in outcomes if split in ("all", o.case.split)]
        crisis = [o for o in rows if o.case.level == "crisis"]
        paged = [o for o in rows if o.case.level in PAGED]
        quiet = [o for o in rows if o.case.level not in PAGED]
        missed_crisis = tuple(o for o in crisis if o.level != "crisis")
        missed_pages = tuple(o for o in paged if o.level not in PAGED)
        false_pages = tuple(o for o in quiet if o.level in PAGED)
        mood_errors = tuple(o for o in rows if not o.mood_ok)
        unseen = tuple(o for o in paged if not o.seen)
        reviewed = [o for o in quiet if o.review and o.level not in PAGED]
        figures[split] = Figures(
            total=len(rows),
            crisis_recall=_share(len(crisis) - len(missed_crisis), len(crisis), 1.0),
            page_recall=_share(len(paged) - len(missed_pages), len(paged), 1.0),
            false_page_rate=_share(len(false_pages), len(quiet), 0.0),
            mood_accuracy=_share(len(rows) - len(mood_errors), len(rows), 1.0),
            human_sees_recall=_share(len(paged) - len(unseen), len(paged), 1.0),
            review_load=_share(len(reviewed), len(quiet), 0.0),
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


def _table(figures: dict[str, Figures]) -> str:
    head = (
        f"{'split':<8} {'n':>4} {'crisis_rec':>10} {'page_rec':>9} {'false_page':>10} {'mood_acc':>9}"
        f" {'sees_rec':>9} {'review':>7}"
    )
    rows = [
        f"{name:<8} {f.total:>4} {f.crisis_recall:>10.3f} {f.page_recall:>9.3f} "
        f"{f.false_page_rate:>10.3f} {f.mood_accuracy:>9.3f} {f.human_sees_recall:>9.3f} {f.review_load:>7.3f}"
        for name, f in figures.items()
    ]
    return "\n".join(["", "triage vs corpus", head, *rows])


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


@pytest.fixture(scope="module")
def corpus() -> list[Case]:
    return load_corpus()


@pytest.fixture(scope="module")
def outcomes(corpus: list[Case]) -> list[Outcome]:
    results = []
    for case in corpus:
        assessment = assess_reply(case.text, case.history)
        mood = assessment.mood
        results.append(
            Outcome(
                case=case,
                level=Level(assessment.level).value,
                mood=None if mood is None else float(mood),
                review=assessment.review,
            )
        )
    return results


@pytest.fixture(scope="module")
def figures(outcomes: list[Outcome]) -> dict[str, Figures]:
    result = compute_figures(outcomes)
    print(_table(result))
    return result


def test_corpus_is_complete_and_well_formed(corpus: list[Case]) -> None:
    """
    Given the labelled corpus on disk
    When its lines are checked against the labelling guide
    Then it is big enough, balanced, bilingual, uniquely identified and validly labelled,
    so it cannot silently shrink or drift.
    """
    # Valid labels on every line.
    bad = [
        c.id
        for c in corpus
        if c.level not in LEVELS
        or c.lang not in LANGS
        or c.category not in CATEGORIES
        or c.split not in SPLITS
        or not c.text.strip()
        or (c.mood is not None and not 1 <= c.mood <= 10)
        or any(not 1 <= h <= 10 for h in c.history)
        or (c.history and len(c.history) < 3)
    ]
    assert not bad, f"invalid labels on: {bad}"
    assert all(Level(level).value == level for level in LEVELS)

    ids = Counter(c.id for c in corpus)
    assert not [i for i, n in ids.items() if n > 1], "duplicate ids"
    replies = Counter((c.text, c.history) for c in corpus)
    assert not [r for r, n in replies.items() if n > 1], "duplicate (text, history) pairs"

    # Size and class balance.
    levels = Counter(c.level for c in corpus)
    assert len(corpus) >= 450
    assert levels["crisis"] >= 150
    assert sum(c.level == "crisis" and c.lang != "en" for c in corpus) >= 40
    assert levels["high"] >= 60
    assert levels["moderate"] >= 60
    assert levels["low"] >= 150
    assert sum(c.level == "low" and c.category in TRAP_CATEGORIES for c in corpus) >= 90

    # Every category in English and in Spanish (or mixed), and in both splits.
    for category in sorted(CATEGORIES):
        rows = [c for c in corpus if c.category == category]
        assert any(c.lang == "en" for c in rows), f"{category}: no English line"
        assert any(c.lang != "en" for c in rows), f"{category}: no Spanish/mixed line"
        holdout = sum(c.split == "holdout" for c in rows) / len(rows)
        assert 0.3 <= holdout <= 0.5, f"{category}: holdout share {holdout:.2f}"
    assert all(c.level == "crisis" for c in corpus if c.category in CRISIS_CATEGORIES)
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


def test_crisis_recall(figures: dict[str, Figures]) -> None:
    """
    Given every reply a clinician would treat as a crisis
    When the triage assesses each one
    Then at least 97% of them come back as "crisis".
    """
    f = figures["all"]
    assert f.crisis_recall >= MIN_CRISIS_RECALL, _failure(
        "crisis recall", f.crisis_recall, f">= {MIN_CRISIS_RECALL}", f.missed_crisis
    )


def test_page_recall(figures: dict[str, Figures]) -> None:
    """
    Given every reply expected to page a coach (crisis or high)
    When the triage assesses each one
    Then at least 95% of them come back as crisis or high.
    """
    f = figures["all"]
    assert f.page_recall >= MIN_PAGE_RECALL, _failure(
        "page recall", f.page_recall, f">= {MIN_PAGE_RECALL}", f.missed_pages
    )


def test_false_page_rate(figures: dict[str, Figures]) -> None:
    """
    Given every reply that should not page (moderate or low, including idioms, negations, the past,
    third parties and prescribed meds)
    When the triage assesses each one
    Then at most 5% of them come back as crisis or high.
    """
    f = figures["all"]
    assert f.false_page_rate <= MAX_FALSE_PAGE_RATE, _failure(
        "false-page rate", f.false_page_rate, f"<= {MAX_FALSE_PAGE_RATE}", f.false_pages
    )


def test_mood_accuracy(figures: dict[str, Figures]) -> None:
    """
    Given every reply with the mood rating it states (or none)
    When the triage reads the mood
    Then at least 95% match the expected rating (None for no rating, within 0.01 otherwise).
    """
    f = figures["all"]
    assert f.mood_accuracy >= MIN_MOOD_ACCURACY, _failure(
        "mood accuracy", f.mood_accuracy, f">= {MIN_MOOD_ACCURACY}", f.mood_errors
    )


@pytest.fixture(scope="module")
def blind_figures() -> Figures:
    cases = load_corpus(BLIND_PATH)
    results = []
    for case in cases:
        assessment = assess_reply(case.text, case.history)
        results.append(Outcome(case, Level(assessment.level).value,
                               None if assessment.mood is None else float(assessment.mood), assessment.review))
    figures = compute_figures(results, splits=("blind",))
    print(_table({"blind": figures["blind"]}))
    return figures["blind"]


def _blind_misses(misses: Iterable[Outcome]) -> str:
    # Ids and categories only: the texts stay unread so the set keeps measuring generalisation.
    return ", ".join(f"{o.case.id}[{o.case.category}: {o.case.level}->{o.level}]" for o in misses)


def test_blind_set_is_intact_and_independent() -> None:
    # Given the blind set
    cases = load_corpus(BLIND_PATH)
    # Then it is the size it was written at, all "blind", sharing only a few very short texts with the corpus
    assert len(cases) == 220 and {c.split for c in cases} == {"blind"}
    assert Counter(c.level for c in cases) == {"crisis": 90, "high": 35, "moderate": 30, "low": 65}
    shared = {c.text for c in cases} & {c.text for c in load_corpus()}
    assert len(shared) <= 10 and all(len(text) <= 20 for text in shared)


def test_blind_generalisation_does_not_regress(blind_figures: Figures) -> None:
    """Given replies nobody tuning the rules has read, When triaged, Then no figure falls below its floor."""
    f = blind_figures
    assert f.crisis_recall >= BLIND_FLOORS["crisis_recall"], _blind_misses(f.missed_crisis)
    assert f.page_recall >= BLIND_FLOORS["page_recall"], _blind_misses(f.missed_pages)
    assert f.false_page_rate <= BLIND_FLOORS["false_page_rate"], _blind_misses(f.false_pages)
    assert f.mood_accuracy >= BLIND_FLOORS["mood_accuracy"], _blind_misses(f.mood_errors)


def test_every_reply_that_should_page_is_seen_by_a_human(figures: dict[str, Figures]) -> None:
    """
    Given every reply expected to page a coach
    When the triage assesses each one
    Then at least 99% of them page or go to the review inbox, on each split.
    """
    for split in SPLITS:
        f = figures[split]
        assert f.human_sees_recall >= MIN_HUMAN_SEES_RECALL, _failure(
            f"{split} human-sees recall", f.human_sees_recall, f">= {MIN_HUMAN_SEES_RECALL}", f.unseen
        )


def test_the_review_inbox_holds_at_most_a_quarter_of_the_quiet_replies(figures: dict[str, Figures]) -> None:
    """
    Given every reply that should not page
    When the triage assesses each one
    Then at most a quarter of them go to the review inbox, on each split.
    """
    for split in SPLITS:
        assert figures[split].review_load <= MAX_REVIEW_LOAD, f"{split} review load {figures[split].review_load:.3f}"


def test_blind_review_tier_does_not_regress(blind_figures: Figures) -> None:
    """Given replies nobody tuning has read, When triaged, Then human-sees recall and review load hold."""
    f = blind_figures
    assert f.human_sees_recall >= BLIND_REVIEW_FLOORS["human_sees_recall"], _blind_misses(f.unseen)
    assert f.review_load <= BLIND_REVIEW_FLOORS["review_load"]
