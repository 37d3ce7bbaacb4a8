"""Read one SMS check-in reply, extract the 1-10 mood and decide whether a human coach must see it.

The rules are data (``triage/rules/<lang>/*.toml``, loaded by ``moodline.triage.lexicon``); this module
decides how their matches combine:

- a ``risk`` rule counts on its own ("I want to die", "he's hitting me", "nothing will ever get better");
- an ``anchor`` is a means or danger that is ordinary alone ("a rope", "the bridge", "he's drunk");
- a ``support`` is context that turns an anchor into a plan ("tonight", "please help");
- an anchor becomes a crisis next to a support, an anchor of another family, any other risk or a mood of 1-2;
- farewell signals ("thanks for everything", "take care of my dog") read as a goodbye two or three at a time;
- ``mood_words`` ("awful", "fatal") make a reply with no rating moderate.

On top of the level, ``review`` says "a coach should read this today": the rules or the model are unsure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from moodline.triage import lexicon as lexicon_module
from moodline.triage.guards import Guards, GuardWords
from moodline.triage.language import Detection, Detector
from moodline.triage.lexicon import Lexicon, Rule
from moodline.triage.model import Assessment, Level, Reason, SemanticJudge
from moodline.triage.mood import RatingWords, mood_reasons, read_mood
from moodline.triage.normalise import Normaliser, Text

_FAREWELL_MOOD_MAX = 4.5
_STRONG = "farewell_strong_"
_WEAK = "farewell_weak_"
SEMANTIC_RULE = "semantic.page"
_LETTER = re.compile(r"[^\W\d_]")
REVIEW_LANGUAGE = "review.language"
REVIEW_NO_RATING = "review.no_rating"
REVIEW_NEGATIVE = "review.negative_words"
REVIEW_ANCHOR = "review.means_alone"
REVIEW_SEMANTIC = "review.semantic"
# A rating above this settles how the client is; below it, negative words or a lone means still want a reader.
_REVIEW_MOOD_MAX = 5.0
_SMALL_TALK_MAX_WORDS = 12
# Emoji that read as good news or a joke (risky ones are tokens, see normalise.EMOJI_TOKENS).
_POSITIVE_EMOJI = frozenset("😊🙂😀😃😄😁😆🥰😍🤩😎🥳🎉🙌👍💪✨❤💕🙏😌☺🤗")


@dataclass(frozen=True)
class _Finding:
    level: Level
    reason: Reason
    family: str
    role: str


class Engine:
    """The rules of one lexicon, compiled once, applied to many replies."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.normalise = Normaliser(lexicon)
        self.guard_words = GuardWords(lexicon)
        self.detector = Detector(lexicon)
        self.risk_rules = tuple(r for r in lexicon.rules if r.role == "risk")
        self.context_rules = tuple(r for r in lexicon.rules if r.role in ("anchor", "support"))
        self.mood_word_rules = tuple(r for r in lexicon.rules if r.role == "mood_words")
        self.rating = RatingWords(lexicon)
        self.prescribed = lexicon.compile("prescribed")
        self.pill_word = re.compile(lexicon.pattern("pills") + r"|\d+ ?(?:mg|milligrams|mgs|g|grams)")
        names = sorted(lexicon.named)
        self.strong = tuple(lexicon.compile(n) for n in names if n.startswith(_STRONG))
        self.weak = tuple(lexicon.compile(n) for n in names if n.startswith(_WEAK))
        self.continues = lexicon.compile("continues")
        self.trivial = frozenset().union(*(p.trivial for p in lexicon.profiles.values()))
        self.small_talk = frozenset().union(*(p.positive | p.logistics for p in lexicon.profiles.values()))
        self.risk_adjacent = frozenset().union(*(p.risk_adjacent for p in lexicon.profiles.values()))

    # --- rules ----------------------------------------------------------------------------------------

    def _apply(self, rules: Iterable[Rule], norm: Text, guards: Guards) -> tuple[list[_Finding], list[Reason]]:
        """Run rules over the text; return live findings and mentions that are only history."""
        text = norm.text
        findings: list[_Finding] = []
        history: list[Reason] = []
        for rule in rules:
            if rule.requires is not None and not rule.requires.search(text):
                continue
            defused: dict[tuple[int, int], bool] = {}
            for m in rule.pattern.finditer(text):
                start, end = m.start(), m.end()
                if guards.in_idiom(start, end):
                    continue
                if rule.negatable and guards.is_negated(start, end):
                    continue
                if rule.self_subject and guards.is_about_someone_else(start):
                    continue
                if rule.unless is not None:
                    bounds = guards.sentence_bounds(start, end)
                    if bounds not in defused:
                        defused[bounds] = bool(rule.unless.search(text[bounds[0] : bounds[1]]))
                    if defused[bounds]:
                        continue
                if rule.past_sensitive and guards.is_past(start, end):
                    history.append(Reason("history.past_risk", norm.source(start, end)))
                    break
                findings.append(_Finding(rule.level, Reason(rule.id, norm.source(start, end)), rule.family, rule.role))
                break  # one reason per rule is enough for a coach; the first match is the clearest
        return findings, history

    def _is_pill_word(self, matched: str) -> bool:
        return bool(self.pill_word.fullmatch(self.normalise(matched).text.strip()))

    def _context(
        self, norm: Text, guards: Guards, has_text_risk: bool, has_other_risk: bool
    ) -> tuple[list[_Finding], list[_Finding]]:
        """(findings that count, anchors left standing alone)."""
        found, _ = self._apply(self.context_rules, norm, guards)
        if self.prescribed.search(norm.text):
            # "took my meds tonight 💊" is adherence, not a plan: a bare pill word is not a means here.
            found = [f for f in found if not (f.role == "anchor" and self._is_pill_word(f.reason.matched))]
        anchors = [f for f in found if f.role == "anchor"]
        supports = [f for f in found if f.role == "support"]
        if anchors and (has_other_risk or supports or len({f.family for f in anchors}) > 1):
            return anchors + supports, []
        if supports and has_text_risk:
            # "I can't do this anymore. tonight": a time or plan next to hopelessness is a crisis.
            return supports, anchors
        return [], anchors

    def _farewell(self, norm: Text, mood: float | None) -> list[_Finding]:
        """Farewell words that mean little alone but together read as a goodbye, with no sign of a next time."""
        if (mood is not None and mood > _FAREWELL_MOOD_MAX) or self.continues.search(norm.text):
            return []
        strong = [m for m in (p.search(norm.text) for p in self.strong) if m]
        weak = [m for m in (p.search(norm.text) for p in self.weak) if m]
        if len(strong) >= 2 or (strong and len(strong) + len(weak) >= 3):
            first = min(strong, key=lambda m: m.start())
            reason = Reason("crisis.goodbye.signals", norm.source(first.start(), first.end()))
            return [_Finding(Level.CRISIS, reason, "crisis.goodbye", "risk")]
        return []

    # --- review ---------------------------------------------------------------------------------------

    def _is_trivial(self, folded: str) -> bool:
        """A keyword, greeting, thanks or scheduling line: nothing a coach needs to read today."""
        words = re.findall(r"[a-z]+", folded)
        return all(w in self.trivial for w in words)

    # --- the assessment -------------------------------------------------------------------------------

    def assess(
        self, text: str, history: Sequence[float | None] = (), semantic: SemanticJudge | None = None
    ) -> Assessment:
        norm = self.normalise(text)
        guards = Guards(self.guard_words, norm.text)
        findings, past = self._apply(self.risk_rules, norm, guards)
        text_risk = any(f.level.rank >= Level.HIGH.rank for f in findings)
        mood = read_mood(text, self.rating)
        rated = [_Finding(level, reason, reason.rule, "risk") for level, reason in mood_reasons(mood, history)]
        very_low = any(f.reason.rule == "mood.very_low" for f in rated)
        other_risk = text_risk or very_low
        counted, lone_anchors = self._context(norm, guards, has_text_risk=text_risk, has_other_risk=other_risk)
        findings += counted
        findings += self._farewell(norm, mood)
        findings += rated
        negative, _ = self._apply(self.mood_word_rules, norm, guards)
        if mood is None:
            findings += negative
        level = max((f.level for f in findings), key=lambda lvl: lvl.rank, default=Level.LOW)
        ordered = sorted(findings, key=lambda f: -f.level.rank)
        reasons = [f.reason for f in ordered] + past

        review_reasons: list[Reason] = []
        if not level.pages:
            review_reasons = self._review(norm, mood, negative, lone_anchors)
        # The second opinion reads words. A bare rating ("6", "5/10") has none: its level is the rules' (mood,
        # the client's own baseline), and the model, which never sees the baseline, learned bare numbers from
        # baseline drops and would flag every "6" for review.
        bare_rating = mood is not None and not _LETTER.search(norm.text)
        if semantic is not None and level != Level.CRISIS and not bare_rating:
            opinion = semantic.judge(text)
            if opinion.level is not None and opinion.level.rank > level.rank:
                level = opinion.level
                closest = ", ".join(f"“{n}”" for n in opinion.neighbours)
                why = f"semantic {opinion.score:.2f}" + (f"; closest: {closest}" if closest else "")
                reasons.insert(0, Reason(SEMANTIC_RULE, why))
                review_reasons = []
            elif opinion.review and not level.pages:
                review_reasons.append(Reason(REVIEW_SEMANTIC, f"semantic {opinion.score:.2f}"))
        return Assessment(level, mood, _one_per_rule(reasons + review_reasons), review=bool(review_reasons))

    def _review(
        self, norm: Text, mood: float | None, negative: list[_Finding], anchors: list[_Finding]
    ) -> list[Reason]:
        """Why a coach should read a reply that does not page: what the rules cannot settle alone."""
        folded = norm.text
        found: list[Reason] = []
        detection: Detection = self.detector.detect(folded)
        if not detection.covered:
            found.append(Reason(REVIEW_LANGUAGE, f"{detection.known_share:.0%} of words in a covered language"))
        unsure_mood = mood is None or mood <= _REVIEW_MOOD_MAX
        if negative and unsure_mood:
            found.append(Reason(REVIEW_NEGATIVE, negative[0].reason.matched))
        small_talk = self._is_small_talk(norm)
        if anchors and unsure_mood and not (small_talk and not negative):
            found.append(Reason(REVIEW_ANCHOR, anchors[0].reason.matched))
        if mood is None and not negative and not small_talk:
            found.append(Reason(REVIEW_NO_RATING, norm.source(0, len(folded))))
        return found

    def _has_risk_adjacent(self, norm: Text) -> bool:
        """A word near risk ("died", "last", "cansado") outside a known idiom ("my phone died")."""
        hits = [m for m in re.finditer(r"[a-z]+", norm.text) if m.group(0) in self.risk_adjacent]
        if not hits:
            return False
        guards = Guards(self.guard_words, norm.text)
        return any(not guards.in_idiom(m.start(), m.end()) for m in hits)

    def _is_small_talk(self, norm: Text) -> bool:
        """Trivial words only, or good news, laughter or scheduling: a reply a coach need not read today."""
        words = re.findall(r"[a-z]+", norm.text)
        if all(w in self.trivial for w in words):
            return True
        if len(words) > _SMALL_TALK_MAX_WORDS:
            return False  # a long reply says more than its one cheerful word
        if self._has_risk_adjacent(norm):
            return False  # "died, sorry" is probably the phone, but a coach should be the one to say so
        if any(w in self.small_talk for w in words):
            return True
        return any(ch in _POSITIVE_EMOJI for ch in norm.original)


def _one_per_rule(reasons: Iterable[Reason]) -> tuple[Reason, ...]:
    """Keep the first (most severe) reason for each rule id so the coach sees a short list."""
    first: dict[str, Reason] = {}
    for reason in reasons:
        first.setdefault(reason.rule, reason)
    return tuple(first.values())


_ENGINE: Engine | None = None


def engine() -> Engine:
    """The shipped rules, compiled once per process (at first use)."""
    global _ENGINE  # noqa: PLW0603 - one compiled engine per Lambda container, built lazily
    if _ENGINE is None:
        _ENGINE = Engine(lexicon_module.default())
    return _ENGINE


def parse_mood(text: str) -> float | None:
    """Return the 1-10 mood rating in an SMS reply, or None if there is none or it is ambiguous."""
    return read_mood(text, engine().rating)


def assess_reply(
    text: str, history: Sequence[float | None] = (), *, semantic: SemanticJudge | None = None
) -> Assessment:
    """Triage one SMS reply: parse the mood, look for risk language, compare with the client's baseline.

    ``semantic``, when given, is asked for a second opinion; it may raise the level, never lower it.
    """
    return engine().assess(text, history, semantic)
