"""Unit tests for moodline.triage: mood parsing, risk rules, baseline and adherence."""

import json
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moodline.triage import Assessment, Level, Reason, assess_adherence, assess_reply, parse_mood

PROBE = (
    "Hi Sam, how's your mood today, 1-10? Reply with a number and a few words if you like. "
    "Reply STOP to stop these check-ins."
)


def rules_of(assessment: Assessment) -> set[str]:
    return {reason.rule for reason in assessment.reasons}


# --------------------------------------------------------------------------------------------------
# Public types
# --------------------------------------------------------------------------------------------------


def test_levels_are_ordered_by_severity_and_only_high_and_crisis_page() -> None:
    # Given the four levels
    levels = [Level.LOW, Level.MODERATE, Level.HIGH, Level.CRISIS]
    # When ranking them
    ranks = [level.rank for level in levels]
    # Then they run 0..3 and only the top two page a coach
    assert ranks == [0, 1, 2, 3]
    assert [level.pages for level in levels] == [False, False, True, True]
    assert Level.CRISIS == "crisis"


def test_assessment_serialises_to_plain_json() -> None:
    # Given an assessment with one reason
    assessment = Assessment(Level.HIGH, 2.0, (Reason("mood.very_low", "mood 2"),))
    # When it is serialised
    payload = assessment.to_json()
    # Then it is plain JSON with the level value, the mood and every reason
    assert payload == {"level": "high", "mood": 2.0, "reasons": [{"rule": "mood.very_low", "matched": "mood 2"}]}
    assert json.loads(json.dumps(payload)) == payload


# --------------------------------------------------------------------------------------------------
# Mood parsing
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("7", 7.0),
        ("6.5", 6.5),
        ("mood 8", 8.0),
        ("seven", 7.0),
        ("siete", 7.0),
        ("ocho, gracias", 8.0),
        ("diez", 10.0),
        ("7/10", 7.0),
        ("7 out of 10", 7.0),
        ("7 de 10", 7.0),
        ("eight out of ten", 8.0),
        ("a 7", 7.0),
        ("like a 5", 5.0),
        ("un 5", 5.0),
        ("estoy en un 3", 3.0),
        ("prob a 6 tbh", 6.0),
        ("10", 10.0),
        ("1", 1.0),
    ],
)
def test_parse_mood_reads_the_formats_clients_use(reply: str, expected: float) -> None:
    # Given a reply in one of the formats clients use; When parsed; Then the rating comes out
    assert parse_mood(reply) == expected


@pytest.mark.parametrize(
    "reply",
    ["4-5", "4 or 5", "between 4 and 5", "4 o 5", "entre 4 y 5", "like a 4 or 5", "4-5/10"],
)
def test_parse_mood_takes_the_midpoint_of_a_range(reply: str) -> None:
    # Given a range in English or Spanish; When parsed; Then the midpoint is the mood
    assert parse_mood(reply) == 4.5


@pytest.mark.parametrize(
    "reply",
    [
        "omw in 10",
        "took 30 pills",
        "24/7",
        "2 years clean",
        "3 days",
        "at 5pm",
        "meeting at 3:30",
        "see you on 3/12",
        "call me at 555-123-4567",
        "paid $40",
        "800mg",
        "2 kids",
        "my son turned 8 today!",
        "ran 5 miles",
        "llego en 10",
        "one day at a time",
        PROBE,
        "how's your mood today, 1-10?",
    ],
)
def test_parse_mood_ignores_numbers_that_are_not_ratings(reply: str) -> None:
    # Given a number that counts, times, doses or echoes our question; When parsed; Then there is no mood
    assert parse_mood(reply) is None


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("how's your mood 1-10? 6", 6.0),
        ("on a scale of 1 to 10 I'm a 5", 5.0),
        ("7 but my 2 kids are sick", 7.0),
        ("got home at 11, mood 6", 6.0),
        ("800mg ibuprofen, 4", 4.0),
        ("2 years clean today! 9", 9.0),
        ("I'm 34 and feel like a 3", 3.0),
        ("6/10, ran 5 miles", 6.0),
    ],
)
def test_parse_mood_finds_the_rating_among_other_numbers(reply: str, expected: float) -> None:
    # Given a rating next to times, counts, ages or an echo of the scale; When parsed; Then the rating wins
    assert parse_mood(reply) == expected


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("7/10 yesterday, 4/10 today", 4.0),
        ("was a 3 this morning, now a 6", 6.0),
        ("7, 8 yesterday", 7.0),
        ("6 today. yesterday was a 3", 6.0),
    ],
)
def test_parse_mood_prefers_todays_rating(reply: str, expected: float) -> None:
    # Given today's rating and an earlier one; When parsed; Then today's is kept
    assert parse_mood(reply) == expected


@pytest.mark.parametrize("reply", ["0", "11", "15/10", "-3", "0/10", "mood 11", "I'm a 0"])
def test_parse_mood_rejects_out_of_range_ratings(reply: str) -> None:
    # Given a rating attempt outside 1-10; When parsed; Then no mood is guessed
    assert parse_mood(reply) is None


@pytest.mark.parametrize("reply", ["3 or 8", "5 or 6? maybe a 9"])
def test_parse_mood_returns_none_when_ratings_disagree(reply: str) -> None:
    # Given two equally clear ratings that disagree; When parsed; Then it does not guess
    assert parse_mood(reply) is None


def test_parse_mood_prefers_an_explicit_out_of_ten_over_a_bare_number() -> None:
    # Given a bare number and an explicit N/10; When parsed; Then N/10 wins
    assert parse_mood("slept 9 hrs, 3 coffees, honestly 4/10") == 4.0
    assert parse_mood("9 i guess, no wait 4/10") == 4.0


@given(st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_parse_mood_never_raises_and_stays_in_range(text: str) -> None:
    # Given any text at all; When parsed; Then the result is None or a rating between 1 and 10
    mood = parse_mood(text)
    assert mood is None or 1 <= mood <= 10


@given(st.integers(min_value=1, max_value=10), st.sampled_from(["{}", "{}/10", "{} out of 10", "mood {}", "a {}"]))
def test_parse_mood_round_trips_every_integer_rating(rating: int, template: str) -> None:
    # Given any integer rating in a common format; When parsed; Then exactly that rating comes back
    assert parse_mood(template.format(rating)) == rating


# --------------------------------------------------------------------------------------------------
# Crisis language
# --------------------------------------------------------------------------------------------------

CRISIS_REPLIES = [
    # explicit and implicit ideation
    "I want to die",
    "I'm going to kill myself",
    "everyone would be better off without me",
    "I don't want to wake up tomorrow",
    "going to sleep and hoping I never wake up",
    "no one would even notice if i disappeared",
    "no quiero vivir",
    "quiero morirme",
    "me quiero matar",
    "ya no quiero estar aquí",
    "ojalá no despertara mañana",
    # plans and means
    "took 30 pills",
    "a whole bottle of tylenol",
    "swallowed half a bottle of advil",
    "been googling painless ways to die",
    "bought a rope, it's time",
    "tomé todas mis pastillas",
    "me voy a tirar del puente",
    # goodbyes
    "this is goodbye",
    "take care of my dog for me",
    "gave away my stuff",
    "adiós para siempre",
    "please tell my mom I love her",
    # self-harm
    "cutting again",
    "I hurt myself",
    "me corté",
    # harm to others, danger now
    "I'm going to hurt him",
    "I'll kill her",
    "he's hitting me",
    "I'm not safe at home",
    "someone is following me",
    "me está pegando",
    "my husband said he'd kill me if I leave",
    # slang and misspellings
    "kms",
    "i should just kys",
    "unalive",
    "sewerslide",
    "want 2 die",
    "wanna diiiie",
    "im suicidial",
    "feelin suic!dal",
    "gonna end it all",
    "i just want to not be here anymore",
    "ctb",
    "kiero suisidarme",
    # emoji in context
    "💊💊💊 tonight",
    "💊 all of them",
    "me soon 🪦",
    "🔪 myself again",
    "⚰️ for me",
]


@pytest.mark.parametrize("reply", CRISIS_REPLIES)
def test_crisis_language_pages_as_crisis(reply: str) -> None:
    # Given a reply with crisis language; When assessed; Then it is a crisis with a crisis reason
    assessment = assess_reply(reply)
    assert assessment.level is Level.CRISIS
    assert any(rule.startswith("crisis.") for rule in rules_of(assessment))


NOT_PAGING_REPLIES = [
    # idioms
    "killing it at work",
    "dying to see you",
    "my phone died",
    "this workout is killing me",
    "I'd kill for a coffee",
    "dead tired",
    "me muero de risa",
    "me mata el calor",
    "I'm dead 😂",
    "drop-dead gorgeous",
    "shoot me a text",
    "I'd rather die than run a marathon lol",
    "my mom is going to kill me, I dented the car",
    "he hit me up after the game",
    "she threw me a surprise party!!",
    # negations
    "not suicidal, just tired",
    "I would never hurt myself",
    "no thoughts of suicide",
    "no tengo ganas de morir, solo cansada",
    "my therapist asked if i had thoughts of suicide and i said no",
    # the past
    "years ago I attempted, doing great now",
    "I used to cut, 2 years clean",
    "hace años intenté suicidarme, ahora estoy bien",
    "I was suicidal in college, therapy really helped",
    # third parties and media
    "my friend's dad died",
    "watched a movie about suicide",
    "my grandma passed away last week, funeral was today",
    # medication as prescribed, everyday objects
    "took my meds 💊",
    "took my meds tonight 💊",
    "took 800mg ibuprofen for my back",
    "took 2 advil for a headache",
    "bought rope for camping",
    "going to the gun range with dad tomorrow",
    "stockpiling snacks for the storm",
    "cut myself shaving lol",
    "me corté el pelo",
    "tonight is pizza night",
    "I'm ready for the weekend!",
    "bye!",
]


@pytest.mark.parametrize("reply", NOT_PAGING_REPLIES)
def test_idioms_negations_history_and_everyday_talk_do_not_page(reply: str) -> None:
    # Given a reply that only sounds alarming; When assessed; Then no coach is paged
    assert not assess_reply(reply).level.pages


@pytest.mark.parametrize(
    "reply",
    [
        "I attempted before and I'm thinking about it again",
        "used to cut, 2 years clean, but I did it again tonight",
        "hace años me cortaba y anoche volví a hacerlo",
    ],
)
def test_a_past_mention_with_present_risk_is_crisis(reply: str) -> None:
    # Given history plus a sign it is happening again; When assessed; Then it is a crisis
    assert assess_reply(reply).level is Level.CRISIS


def test_past_risk_is_kept_as_a_low_reason_for_the_coach() -> None:
    # Given a reply that mentions an old attempt; When assessed
    assessment = assess_reply("years ago I attempted, doing great now 8")
    # Then it does not page, but the coach can still see the history
    assert assessment.level is Level.LOW
    assert "history.past_risk" in rules_of(assessment)


def test_unparseable_reply_is_still_checked_for_crisis() -> None:
    # Given a reply with no rating at all; When assessed
    assessment = assess_reply("i cant stop thinking about killing myself")
    # Then there is no mood but the crisis is caught
    assert assessment.mood is None
    assert assessment.level is Level.CRISIS


def test_matched_text_is_the_original_span_with_accents() -> None:
    # Given a Spanish reply with accents; When assessed
    assessment = assess_reply("ya no quiero estar aquí")
    # Then the coach sees the words as the client wrote them
    assert Reason("crisis.ideation.implicit", "no quiero estar aquí") in assessment.reasons


def test_crisis_number_in_a_slang_phrase_is_not_a_mood() -> None:
    # Given "2" used as "to"; When assessed; Then it is not read as a mood of 2
    assessment = assess_reply("want 2 die")
    assert assessment.mood is None
    assert assessment.level is Level.CRISIS


# --------------------------------------------------------------------------------------------------
# Rule families: each caught in English and Spanish, each with near misses that must not page
# --------------------------------------------------------------------------------------------------

FAMILY_CRISIS = [
    # not being around, or a problem to anyone, much longer
    ("soon I won't be a burden to anyone", "crisis.ideation.implicit"),
    ("I'm never going to be a problem for anyone ever again", "crisis.ideation.implicit"),
    ("pronto ya no seré una carga para mi familia", "crisis.ideation.implicit"),
    ("ya no los voy a molestar por mucho tiempo", "crisis.ideation.implicit"),
    # others better off if I did not exist, Spanish word orders
    ("todos estarían mejor si yo no estuviera", "crisis.ideation.implicit"),
    ("sería mejor para mi familia si me muriera", "crisis.ideation.implicit"),
    ("si yo desapareciera todo sería mejor", "crisis.ideation.implicit"),
    # jumping from the top or edge of a height
    ("going to jump off the edge of the bridge", "crisis.plan.means"),
    ("thinking about jumping from the roof of my building", "crisis.plan.means"),
    ("voy a lanzarme desde lo alto del edificio", "crisis.plan.means"),
    # a stockpile kept hidden or put aside
    ("I have hidden away 40 of my sleeping pills", "crisis.plan.means"),
    ("tengo escondidas todas mis pastillas para dormir", "crisis.plan.means"),
    ("ya he juntado como 60 pastillas", "crisis.plan.means"),
    # a farewell said outright
    ("consider this my farewell", "crisis.goodbye"),
    ("tómenlo como mi despedida", "crisis.goodbye"),
    ("este es un adiós, los quiero", "crisis.goodbye"),
    # Spanish self-harm with an auxiliary verb
    ("me acabo de quemar el brazo a propósito", "crisis.self_harm"),
    ("me volví a lastimar anoche", "crisis.self_harm"),
    ("me acabo de cortar las muñecas", "crisis.self_harm"),
    # arming oneself for a time or a place
    ("I'm bringing a knife to school tomorrow", "crisis.harm_others"),
    ("i will take my dad's gun to work on monday", "crisis.harm_others"),
    ("mañana llevo la pistola al trabajo", "crisis.harm_others"),
    # held against one's will now
    ("he took my keys and I can't leave", "crisis.danger"),
    ("my boyfriend locked the door and won't let me call anyone", "crisis.danger"),
    ("mi pareja me quitó el celular y no me deja salir", "crisis.danger"),
    # a knife emoji aimed at oneself, in Spanish
    ("🔪 mis brazos otra vez", "crisis.emoji"),
    ("me 🔪 de nuevo", "crisis.emoji"),
    ("🔪 a mí mismo", "crisis.emoji"),
]


@pytest.mark.parametrize(("reply", "rule"), FAMILY_CRISIS)
def test_each_rule_family_catches_new_phrasings(reply: str, rule: str) -> None:
    # Given a phrasing of a crisis family that no rule spells out word for word; When assessed
    assessment = assess_reply(reply)
    # Then it is a crisis, for the family's reason
    assert assessment.level is Level.CRISIS
    assert rule in rules_of(assessment)


FAMILY_NEAR_MISSES = [
    # not a problem: a promise about an ordinary event
    "no voy a ser un problema en la reunión, lo prometo",
    "I won't be a problem for you at the meeting tomorrow",
    # better if: weather and holidays
    "sería mejor para todos si no llueve mañana",
    "estaría mejor si me fuera de vacaciones",
    # jumping for fun, or a pet
    "we went jumping off the top of the cliff into the lake",
    "my cat jumped from the top of the fridge lol",
    # pills put aside as prescribed
    "he guardado 30 pastillas de la farmacia para el mes",
    "I put aside a week of vitamins in my pill box",
    # farewell parties
    "esta es la despedida de soltera de mi prima",
    "this is a farewell party for my coworker",
    "this is a farewell lunch at work",
    # haircuts, cooking and paper cuts
    "me acabo de cortar el pelo",
    "me acabo de cortar cocinando",
    "me volví a cortar el dedo con el papel",
    "i cut onions for dinner",
    # weapons for hunting, cooking or the range, and someone else's
    "I'm taking my rifle hunting tomorrow",
    "bringing my knife set to cooking class tomorrow",
    "my brother is taking his gun to the range today",
    # rules at home, work or hospital
    "my mom won't let me leave until I finish my homework",
    "they won't let me leave work early on fridays",
    "the nurses won't let me leave the hospital yet",
    "mi mamá no me deja salir hasta que termine la tarea",
    # stuck in traffic or a meeting
    "I'll never get out of this traffic lol",
    "nunca voy a salir de esta reunión jaja",
    # an attempt long past, celebrated
    "one year since my attempt, grateful",
    "cumplo tres años desde mi intento, estoy bien",
    # knives in the kitchen
    "cocinando con 🔪 para la cena de mi mamá",
    "new 🔪 set for my kitchen",
]


@pytest.mark.parametrize("reply", FAMILY_NEAR_MISSES)
def test_rule_families_leave_their_near_misses_alone(reply: str) -> None:
    # Given a reply that shares words with a crisis family but not its meaning; When assessed; Then no page
    assert not assess_reply(reply).level.pages


@pytest.mark.parametrize(
    "reply",
    [
        "I'll never get out of this hole",
        "I don't think I will ever get out of this",
        "nunca voy a poder salir de este pozo",
        "no creo que salga nunca de esto",
    ],
)
def test_never_getting_out_is_hopelessness(reply: str) -> None:
    # Given a reply that sees no way out ever; When assessed; Then it pages as hopelessness
    assessment = assess_reply(reply)
    assert assessment.level is Level.HIGH
    assert "hopelessness" in rules_of(assessment)


def test_a_recent_attempt_is_not_history() -> None:
    # Given an attempt days ago, with intent again; When assessed; Then the anniversary guard does not apply
    assert assess_reply("two days since my attempt and I want to try again").level is Level.CRISIS


# --------------------------------------------------------------------------------------------------
# Hopelessness, mood levels and negative wording
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        "nothing will ever get better",
        "I can't do this anymore",
        "what's the point",
        "I'm a burden",
        "ya no puedo más",
        "nada va a mejorar",
        "no tiene sentido",
        "why bother. nothing changes",
    ],
)
def test_hopelessness_pages_as_high(reply: str) -> None:
    # Given hopeless wording without self-harm; When assessed; Then it is HIGH with a hopelessness reason
    assessment = assess_reply(reply)
    assert assessment.level is Level.HIGH
    assert "hopelessness" in rules_of(assessment)


@pytest.mark.parametrize(
    ("reply", "level", "rule"),
    [
        ("1", Level.HIGH, "mood.very_low"),
        ("2/10", Level.HIGH, "mood.very_low"),
        ("3", Level.MODERATE, "mood.low"),
        ("mood 4", Level.MODERATE, "mood.low"),
        ("5", Level.LOW, None),
        ("9/10 great day", Level.LOW, None),
    ],
)
def test_mood_sets_the_level(reply: str, level: Level, rule: str | None) -> None:
    # Given a reply with a rating; When assessed; Then 1-2 is HIGH, 3-4 MODERATE, otherwise LOW
    assessment = assess_reply(reply)
    assert assessment.level is level
    if rule is not None:
        assert rule in rules_of(assessment)


@pytest.mark.parametrize("reply", ["awful day", "feeling really down", "muy triste", "not great tbh"])
def test_negative_wording_without_a_number_is_moderate(reply: str) -> None:
    # Given clearly negative wording and no rating; When assessed; Then it is MODERATE
    assert assess_reply(reply).level is Level.MODERATE


@pytest.mark.parametrize("reply", ["not bad!", "no estoy mal", "good day", "7 awful traffic but fine"])
def test_negated_or_rated_wording_is_not_moderate(reply: str) -> None:
    # Given negated negative words, or a rating that already says how they are; Then the level stays LOW
    assert assess_reply(reply).level is Level.LOW


# --------------------------------------------------------------------------------------------------
# Personal baseline
# --------------------------------------------------------------------------------------------------


def test_a_drop_of_three_below_the_median_pages_with_the_numbers() -> None:
    # Given a client who is usually an 8; When they reply 5
    assessment = assess_reply("5", history=[8, 7, None, 8, 9])
    # Then it is HIGH and the coach sees the comparison
    assert assessment.level is Level.HIGH
    assert Reason("baseline.drop", "mood 5 vs median 8") in assessment.reasons


@pytest.mark.parametrize(
    "history",
    [[8, 8], [8, None, None, 8], [6, 7, 6]],
    ids=["too-short", "nones-ignored", "small-drop"],
)
def test_no_baseline_drop_without_enough_history_or_drop(history: list[float | None]) -> None:
    # Given too little history or a small dip; When assessed; Then no baseline reason fires
    assert "baseline.drop" not in rules_of(assess_reply("5", history=history))


@given(
    st.lists(st.integers(min_value=1, max_value=10), min_size=3, max_size=14),
    st.integers(min_value=1, max_value=10),
)
@settings(deadline=None)
def test_baseline_drop_fires_exactly_when_three_below_the_median(history: list[int], mood: int) -> None:
    # Given any history of at least three moods; When a rating arrives
    rules = rules_of(assess_reply(f"{mood}/10", history=[float(h) for h in history]))
    # Then the baseline reason fires exactly when the drop is three or more
    assert ("baseline.drop" in rules) == (statistics.median(history) - mood >= 3)


# --------------------------------------------------------------------------------------------------
# Combining reasons
# --------------------------------------------------------------------------------------------------


def test_the_level_is_the_most_severe_reason_and_all_reasons_are_listed() -> None:
    # Given a low rating, a drop from baseline and hopeless wording together
    assessment = assess_reply("3. whats the point", history=[8, 8, 7])
    # Then the level is the worst of them and every rule is listed for the coach
    assert assessment.level is Level.HIGH
    assert {"mood.low", "baseline.drop", "hopelessness"} <= rules_of(assessment)


def test_crisis_outranks_a_good_mood() -> None:
    # Given a good rating next to crisis language; When assessed; Then the crisis wins
    assessment = assess_reply("a 6 on paper but i keep planning how i'd die")
    assert assessment.mood == 6.0
    assert assessment.level is Level.CRISIS


@given(st.text(max_size=200), st.lists(st.none() | st.floats(min_value=1, max_value=10), max_size=14))
@settings(max_examples=200, deadline=None)
def test_assess_reply_never_raises_and_is_consistent(text: str, history: list[float | None]) -> None:
    # Given any text and any history; When assessed
    assessment = assess_reply(text, history)
    # Then the mood is the parsed mood, JSON works, and a LOW result carries no paging reason
    assert assessment.mood == parse_mood(text)
    assert json.loads(json.dumps(assessment.to_json()))["level"] == assessment.level.value
    if assessment.level is Level.LOW:
        assert not any(r.rule.startswith(("crisis.", "hopelessness", "mood.")) for r in assessment.reasons)


# --------------------------------------------------------------------------------------------------
# Adherence
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answered",
    [
        [True, True, True, False, False, False],
        [True, False, True, True, True, False, False, False],
        [False, False, False, True, True, True, False, True, False, False, False],
    ],
)
def test_three_missed_after_regular_replies_is_moderate(answered: list[bool]) -> None:
    # Given a client who was replying and has missed the last three probes; When checked
    assessment = assess_adherence(answered)
    # Then a MODERATE adherence flag is raised
    assert assessment == Assessment(Level.MODERATE, None, (Reason("adherence.missed", "3 missed check-ins in a row"),))


@pytest.mark.parametrize(
    "answered",
    [
        [],
        [False, False, False],
        [True, True, False, False],
        [True, True, True, False, False, True],
        [True, True, False, False, False, False, False],
        [False, False, True, True, False, False, False],
    ],
    ids=["empty", "never-replied", "only-two-missed", "replied-last", "irregular-before", "two-of-five"],
)
def test_no_adherence_flag_without_a_regular_history_or_three_misses(answered: list[bool]) -> None:
    # Given no three-miss streak, or no regular replies before it; When checked; Then nothing is raised
    assert assess_adherence(answered) is None
