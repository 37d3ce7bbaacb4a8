"""The review tier ("a coach should read this today"), language coverage and the semantic second opinion."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from moodline.triage.engine import SEMANTIC_RULE, assess_reply, engine
from moodline.triage.model import Level, SemanticOpinion


def review_reasons(text: str) -> set[str]:
    return {r.rule for r in assess_reply(text).reasons if r.rule.startswith("review.")}


# --------------------------------------------------------------------------------------------------
# Review
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "idk anymore",
        "everything feels far away lately",
        "can't stop thinking about the bridge",
        "no sé ni qué siento",
        "my mom is in the hospital again",
    ],
)
def test_a_non_trivial_reply_without_a_rating_goes_to_review(text: str) -> None:
    # Given a reply that says something about the client but gives no rating and pages nothing
    assessment = assess_reply(text)
    # When assessed
    # Then a coach is asked to read it today, and the reason says why
    assert not assessment.level.pages
    assert assessment.review
    assert "review.no_rating" in review_reasons(text)


@pytest.mark.parametrize(
    "text",
    [
        "thanks!",
        "ok",
        "STOP",
        "hola, gracias",
        "can we reschedule the session to thursday?",
        "¿podemos cambiar la cita?",
        "great day!! 😊",
        "lol my phone died",
        "7",
        "8/10 good week",
    ],
)
def test_greetings_thanks_scheduling_good_news_and_ratings_do_not(text: str) -> None:
    # Given small talk, logistics, good news or a plain good rating
    # When assessed
    # Then nobody needs to read it today
    assert not assess_reply(text).review


def test_clearly_negative_words_go_to_review_with_a_low_or_no_rating() -> None:
    # Given negative words with no rating and with a middling one, and the same words with a good rating
    # When assessed
    # Then the first two are reviewed, the third is not (the rating settles it)
    assert "review.negative_words" in review_reasons("awful day, just awful")
    assert "review.negative_words" in review_reasons("5, feeling awful about work")
    assert not assess_reply("8, bit stressed but good").review


def test_a_means_mentioned_alone_goes_to_review() -> None:
    # Given a means with nothing that makes it a plan
    assessment = assess_reply("there is a rope in the garage")
    # When assessed; Then it does not page, but a coach reads it today
    assert not assessment.level.pages
    assert "review.means_alone" in review_reasons("there is a rope in the garage")


def test_a_paged_reply_is_not_also_marked_for_review() -> None:
    # Given a reply that pages; Then the page is the human, and review stays false
    assessment = assess_reply("I want to kill myself")
    assert assessment.level is Level.CRISIS
    assert not assessment.review


# --------------------------------------------------------------------------------------------------
# Language
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "je n'en peux plus, je veux que tout s'arrête",
        "não aguento mais, quero sumir de vez",
        "ich kann nicht mehr, alles ist sinnlos",
        "non ce la faccio più, voglio sparire",
        "я больше не могу",
        "もう生きたくない",
    ],
)
def test_a_reply_in_a_language_the_rules_do_not_cover_is_reviewed_never_scored_low_silently(text: str) -> None:
    # Given a reply in a language with no rule folder
    assessment = assess_reply(text)
    # When assessed
    # Then it is marked for review with the language as the reason
    assert assessment.review
    assert "review.language" in review_reasons(text)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("had a rough day but the kids made me laugh", "en"),
        ("hoy fue un día pesado pero estoy bien", "es"),
        ("me siento down today, mucho trabajo", "es"),
        ("tired af but ok, work was a lot", "en"),
    ],
)
def test_english_spanish_and_code_switching_are_covered(text: str, lang: str) -> None:
    # Given replies in the covered languages (and a mix)
    detection = engine().detector.detect(engine().normalise(text).text)
    # Then they are covered, and the main language is recognised
    assert detection.covered
    assert detection.lang == lang


def test_short_replies_are_not_judged_foreign() -> None:
    # Given replies too short to tell ("ok", "7 gracias", a name)
    # Then they count as covered: too little text to call foreign
    for text in ("ok", "7 gracias", "Jean-Luc"):
        assert engine().detector.detect(engine().normalise(text).text).covered


@pytest.mark.parametrize(
    "text", ["tudo bem, 8", "ça va, 7", "6, alles okay", "7, okay naman", "ben, grazas, hoxe un 8"]
)
def test_a_short_rated_reply_in_an_uncovered_language_is_still_reviewed(text: str) -> None:
    # Given a short reply with a good rating, in a language no rule folder covers (the writers' "other_language")
    assessment = assess_reply(text)
    # When assessed
    # Then the rating does not wave it through: the words the rules cannot read go to a coach
    assert assessment.review
    assert "review.language" in review_reasons(text)


@pytest.mark.parametrize(
    "text",
    [
        "can u text me at 7pm instead of 6am? night shift",
        "wrong number sorry",
        "Is this free or will it show up on my phone bill?",
        "puedo cambiar la hora de los mensajes?",
        "estoy manejando, luego contesto",
    ],
)
def test_questions_about_the_service_itself_do_not_go_to_review(text: str) -> None:
    # Given a short reply about the check-ins themselves (when they come, who sends them, a wrong number)
    # When assessed
    # Then it is logistics: no coach needs to read it today (this is most of the review load v4 removes)
    assert not assess_reply(text).review


@pytest.mark.parametrize(
    "text",
    [
        "can you stop the texts, i'm so tired of everything",
        "sorry missed yesterday, was in the hospital",
        "ya no me manden mensajes, estoy muy cansada",
        "after this shift im driving to the overpass",
    ],
)
def test_a_short_logistics_reply_with_a_risk_adjacent_word_is_still_reviewed(text: str) -> None:
    # Given a reply that reads as logistics but carries a word near risk (tired, hospital, cansada, overpass)
    assessment = assess_reply(text)
    # When assessed
    # Then it is not waved through as small talk: it pages or a coach reads it today
    assert assessment.level.pages or assessment.review


# --------------------------------------------------------------------------------------------------
# The semantic second opinion (the port; the model itself is built elsewhere)
# --------------------------------------------------------------------------------------------------


@dataclass
class FakeJudge:
    """A judge that answers with a fixed opinion and records what it was asked."""

    opinion: SemanticOpinion
    asked: list[str] = field(default_factory=list)

    def judge(self, text: str) -> SemanticOpinion:
        self.asked.append(text)
        return self.opinion


def test_the_semantic_judge_may_raise_a_level_and_says_why() -> None:
    # Given a reply the rules score low, and a judge that would page it
    judge = FakeJudge(SemanticOpinion(Level.CRISIS, False, 0.93, ("i won't be a problem much longer", "bye all")))
    # When assessed with the judge
    assessment = assess_reply("gonna be a lot quieter around here soon", semantic=judge)
    # Then the level rises, and the reason names the model's score and its closest examples
    assert assessment.level is Level.CRISIS
    reason = assessment.reasons[0]
    assert reason.rule == SEMANTIC_RULE
    assert reason.matched == "semantic 0.93; closest: “i won't be a problem much longer”, “bye all”"
    assert judge.asked == ["gonna be a lot quieter around here soon"]


def test_the_semantic_judge_never_lowers_what_the_rules_set() -> None:
    # Given a reply the rules page, and a judge that sees nothing
    judge = FakeJudge(SemanticOpinion(None, False, 0.02))
    # When assessed with the judge
    assessment = assess_reply("honestly a 2 today", semantic=judge)
    # Then the rules' level stands and no semantic reason is added
    assert assessment.level is Level.HIGH
    assert SEMANTIC_RULE not in {r.rule for r in assessment.reasons}


def test_the_semantic_review_band_marks_the_reply_for_review() -> None:
    # Given a rated, calm reply the rules leave alone, and a judge in its review band
    judge = FakeJudge(SemanticOpinion(None, True, 0.41))
    # When assessed with the judge
    assessment = assess_reply("7, quiet day", semantic=judge)
    # Then the level is unchanged but a coach reads it today
    assert assessment.level is Level.LOW
    assert assessment.review
    assert "review.semantic" in {r.rule for r in assessment.reasons}


def test_a_judge_that_raises_only_to_high_does_not_lower_a_crisis() -> None:
    # Given a crisis from the rules and a judge that says HIGH
    judge = FakeJudge(SemanticOpinion(Level.HIGH, False, 0.7))
    # When assessed; Then it stays a crisis (the judge is not even needed)
    assert assess_reply("I want to kill myself", semantic=judge).level is Level.CRISIS
    assert judge.asked == []


@pytest.mark.parametrize("bare", ["6", "5/10", " 7. ", "6,5"])
def test_a_bare_rating_is_left_to_the_rules_and_never_asked_of_the_judge(bare: str) -> None:
    # Given a judge that would page anything (the model learned bare numbers from baseline drops it cannot see)
    judge = FakeJudge(SemanticOpinion(Level.HIGH, True, 0.99))
    # When a bare rating is assessed / Then the judge is not asked, and the level is the rules' own
    assessment = assess_reply(bare, semantic=judge)
    assert judge.asked == []
    assert assessment.level is Level.LOW and not assessment.review


def test_a_rating_with_words_still_gets_the_second_opinion() -> None:
    # Given the same judge, and a rating that carries words
    judge = FakeJudge(SemanticOpinion(Level.HIGH, False, 0.99))
    # When assessed / Then the words are read by the judge, which may raise the level
    assert assess_reply("6 but tired of everything", semantic=judge).level is Level.HIGH
    assert judge.asked == ["6 but tired of everything"]
