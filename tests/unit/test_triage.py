"""Unit tests for moodline.triage: mood parsing, risk rules, baseline and adherence."""

import json
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moodline.triage.adherence import assess_adherence
from moodline.triage.engine import assess_reply, parse_mood
from moodline.triage.model import Assessment, Level, Reason

PROBE = (
    "Hi Sam, how's your mood today, 1-10? Reply with a number and a few words if you like. "
    "Reply STOP to stop these check-ins."
)


def rules_of(assessment: Assessment) -> set[str]:
    """Every reason's rule id and the families it belongs to: "hopelessness.core.en" is also "hopelessness"."""
    ids = {reason.rule for reason in assessment.reasons}
    return {".".join(rule.split(".")[:n]) for rule in ids for n in range(1, rule.count(".") + 2)}


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
    assert payload == {
        "level": "high",
        "mood": 2.0,
        "reasons": [{"rule": "mood.very_low", "matched": "mood 2"}],
        "review": False,
    }
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
    assert Reason("crisis.ideation.implicit.core.es", "no quiero estar aquí") in assessment.reasons


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


# --------------------------------------------------------------------------------------------------
# Indirect phrasings: arrangements, letters, timing, means, "won't be around", trapped, "happening again"
# --------------------------------------------------------------------------------------------------
# Written as clients text (typos, slang, Spanish and mixed), in three batches; each batch was scored against
# the rules before any rule was widened for it, so these are the phrasings that drove the wider families.

INDIRECT_CRISIS = {
    "goodbye": [
        "i left letters on the kitchen table for everyone",
        "the letters for my kids are in my nightstand, make sure they get them",
        "sam thank u for everything. u tried. this is the last time ill text",
        "won't be around for the next check in. it's ok",
        "I already said goodbye to my mom, she just doesn't know it",
        "my sister gets my car, the keys are on the counter. thanks for everything",
        "I paid off everything and wrote my will. I'm at peace",
        "made all the arrangements, no one will have to deal with anything",
        "i wont be replying to these anymore. take care sam",
        "deleting all my accounts tonight, this is it",
        "my cat is going to my neighbor, told her I'm leaving for a long time 😔",
        "ya dejé todo arreglado. gracias por todo sam",
        "les escribí una carta a cada uno, están en mi cuarto",
        "cuando ya no esté, díganle a mi hija que la amo",
        "ya no van a saber de mí después de hoy",
        "este es mi último check in, gracias por intentarlo",
        "ya hice mi testamento y regalé a mi perro. estoy en paz",
        "no me manden más mensajes, ya no voy a estar",
        "le dejé una carta a mi mamá, que no me busquen",
        "thank u sam por todo, ya me despedí de todos. bye 👋",
        "already gave my guitar and my clothes away, where im going i dont need them",
        "sorry sam, es la última vez que te escribo",
        "te quiero agradecer por todo antes de irme para siempre",
        "the note is on my desk. it's not anyone's fault",
        "i've written everyone goodbye letters. tonight",
        "left my passwords and account info for my brother. thank you for everything sam",
        "my last wishes are in the envelope on my bed",
        "i'm sorry for being such a burden. tell my kids it wasn't their fault",
        "ya les escribí a todos una carta de despedida",
        "this will be my last message to you, thanks for caring",
        "ya me despedí de mi mamá sin que supiera",
        "i gave my cat to my best friend today, she doesn't know why",
        "gracias por todo sam, cuida a los demás. yo ya me voy",
        "sam you've been kind. i won't be texting back after tonight",
        "everything's sorted. the dog goes to my brother. thank you for trying with me",
        "perdón por todo, no fue culpa de nadie. cuiden a mi hermanita",
    ],
    "plan_means": [
        "i have the pills counted out on my desk",
        "there's a bottle of my moms oxy in my bag. tonight",
        "bought a gun today. i know what its for",
        "i have everything i need, just waiting for everyone to fall asleep",
        "been saving my seroquel for weeks. enough now",
        "looked up how many tylenol it takes",
        "the rope is in my trunk",
        "i know which bridge. going after work",
        "i'm on the roof of my building rn",
        "tengo las pastillas contadas en la mesa",
        "compré una soga hoy, ya sé para qué es",
        "ya tengo juntadas un montón de pastillas de mi mamá",
        "estoy en el puente, no sé si hacerlo",
        "busqué cuántas pastillas se necesitan",
        "voy a tomarme todo el frasco esta noche",
        "tengo la pistola de mi papá en mi cuarto. esta noche",
        "mixing all my meds w vodka tonight",
        "got a razor blade, gonna use it tonight",
        "i've been stockpiling my sleeping pills. almost enough",
        "sitting in the car in the garage w the engine on",
        "voy a tomarme todas las pastillas con alcohol",
        "parked at the overpass, just sitting here",
        "tengo todas mis pastillas guardadas para cuando me decida",
        "have 90 pills saved up. i know what to do with them",
        "ya tengo la cuerda. solo falta el momento",
        "the gun is loaded and on my bed",
        "I'm at the train tracks",
        "i have 60 of my lithium saved up in a ziploc",
        "standing on the bridge, the water looks calm",
        "tengo 40 pastillas de clonazepam guardadas en un calcetín",
        "ya compré el veneno para ratas",
        "voy a manejar hasta el puente después del trabajo y ya",
        "got my grandpa's rifle out of the closet, it's loaded",
        "searched how much insulin would be enough",
        "tengo la navaja lista en el baño",
        "i put the rope in the garage this morning",
        "i've got a bottle of vodka and all my mom's xanax",
        "counted my sleeping pills, there's 45. enough i think",
        "estoy en la azotea del edificio, está muy alto",
        "compré carbón para el cuarto, esta noche",
        "went to the gun store today. picking it up friday",
        "tengo el cuchillo aquí conmigo en la cama",
    ],
    "ideation_implicit": [
        "i won't be around much longer",
        "everyone will be fine without me soon",
        "just want to sleep and not wake up",
        "cant see myself being here next year",
        "i keep thinking everyone would be happier if i wasn't here",
        "after this weekend you won't have to worry about me anymore",
        "soon this won't matter",
        "i just want everything to stop for good",
        "i dont plan on being here by christmas",
        "tired of existing tbh",
        "wish i could just not exist",
        "i don't think i'll be around for my birthday",
        "ya no quiero estar en este mundo",
        "quisiera dormirme y no despertar",
        "pronto ya no voy a estar aquí",
        "todos estarían mejor si yo no existiera",
        "no creo que llegue al fin de semana",
        "ya no le veo caso a seguir",
        "quiero que todo se acabe ya",
        "no voy a estar aquí para navidad",
        "ojalá no despertar mañana",
        "cuando ya no esté nadie me va a extrañar",
        "i'm so tired of living like this, i want it over",
        "no one will have to put up with me after this week",
        "won't have to deal with me much longer lol",
        "estoy cansada de existir",
        "i'm just so tired of being here",
        "it would be easier for everyone if i just didn't wake up",
        "i keep picturing everyone at my funeral",
        "no pienso llegar a mi cumpleaños",
        "ya no quiero despertar mañana ni nunca",
        "ojalá me durmiera y ya no despertara",
        "my family won't have to deal with me much longer",
        "no voy a seguir aquí mucho tiempo, ya lo sé",
        "i don't see myself making it to summer",
        "no quiero seguir en este mundo",
        "i just don't want to be here anymore, any of it",
        "the world would keep spinning without me, maybe better",
        "i keep wishing i could fall asleep forever",
        "quiero irme y no volver nunca, de verdad",
        "no creo que aguante hasta fin de mes",
        "my kids deserve a mom who isn't me, they'd be better off",
    ],
    "danger_now": [
        "he's outside my door screaming, i locked myself in the bathroom",
        "my ex is in the parking lot waiting for me",
        "he's drunk and has a knife",
        "he took my phone, texting from my tablet, please send someone",
        "my bf just choked me and left, he's coming back",
        "im hiding in my closet, he's breaking things",
        "my dad is throwing stuff at me, i cant get out",
        "someone keeps trying to open my door",
        "my husband is threatening me with the gun again",
        "i'm scared to go home, he said he'd hurt me",
        "he's banging on the door, i need help",
        "mi esposo está borracho y me está amenazando",
        "estoy encerrada en el baño, él está afuera gritando",
        "mi novio me quitó el teléfono y no me deja salir de la casa",
        "me está siguiendo un carro desde hace rato",
        "mi papá me golpeó y estoy escondida",
        "mi ex está afuera de mi casa y no se va",
        "tiene un cuchillo y está muy enojado",
        "él dice que me va a matar si me voy",
        "tengo miedo, está rompiendo todo",
        "he just pushed me down the stairs",
        "mi pareja me amenazó con el cuchillo",
        "my roommate is high and says he'll hurt me",
        "i'm locked in my room, he won't let me out",
        "he found where i live now, he's here",
        "hay alguien tratando de entrar a mi casa",
        "he has my kids and he said i'll never see them, he's got a gun",
        "he's kicking the bedroom door, i'm on the floor of the closet",
        "mi padrastro está tomado y me está gritando que me va a matar",
        "my boyfriend has a gun and he's really angry rn",
        "there's a man in my backyard looking in the windows",
        "él rompió mi teléfono, te escribo del de mi vecina, ayuda",
        "she locked me out of the house in the cold with the baby",
        "ella me encerró en el cuarto y no me deja salir",
        "he's chasing me down the street",
        "my ex just showed up at my work and won't leave",
        "alguien está afuera de mi ventana desde hace una hora",
        "my husband has me locked in the basement",
        "he said if i call anyone he'll kill me, texting from the bathroom",
        "there's someone in my house i can hear them downstairs",
        "mi novio me está ahorcando ayúdame",
        "mi ex me está esperando afuera del trabajo con un cuchillo",
        "my stepdad is drunk and coming up the stairs",
    ],
    "past_plus_present": [
        "last time i felt this way i ended up in the hospital. it's happening again",
        "i attempted 3 yrs ago and i feel like im heading there again",
        "i used to cut and the urge is back hard",
        "had a plan last year and i've started thinking about it again",
        "been 2 yrs clean from cutting but i relapsed tonight",
        "same feeling as before my overdose",
        "the thoughts i had before my attempt are back",
        "i survived my attempt in 2020 but now i'm not sure i'll survive this",
        "i swore i'd never go back there but i'm looking at the pills again",
        "it's starting again like last time, i already have the pills",
        "hace dos años intenté matarme y ahora estoy igual",
        "volví a cortarme después de 3 años",
        "ya me pasó una vez y siento que me va a pasar otra vez",
        "estoy como antes de mi intento",
        "antes me cortaba y hoy lo volví a hacer",
        "el año pasado me tomé unas pastillas y otra vez estoy pensando en eso",
        "as a teen i tried to kill myself and now i'm feeling it again",
        "i overdosed in 2019. i'm there again",
        "relapsed on sh tonight after 8 months",
        "when i was in the hospital i promised i wouldn't but i'm thinking about it again",
        "tuve un intento hace tiempo y ahora tengo las mismas ganas",
        "already tried once. i think i'm going to try again",
        "hace años lo intenté y hoy lo estoy planeando otra vez",
        "the urges to cut are back after a year",
        "i was suicidal last year and it's back, worse",
        "ya lo intenté antes, esta vez no voy a fallar",
        "I had a plan in college. I have it again",
        "i overdosed 2 years ago and i can feel myself going back to that place",
        "used to burn myself, quit last year, tonight the lighter is in my hand",
        "hace un año me hospitalizaron por intentarlo, y otra vez siento lo mismo",
        "my attempt was in march and now it's march again and i'm planning",
        "i was doing great after rehab but i've started saving pills again",
        "la última vez que me sentí así terminé en urgencias. ya estoy así otra vez",
        "before my attempt i stopped eating and sleeping. that's happening now",
        "i cut for years, stopped in 2021. i did it again today",
        "me cortaba en la prepa, y anoche volví",
        "survived one attempt already, not sure i want to survive the next one",
        "years ago i jumped and survived. i'm back on that bridge now",
        "after my overdose i promised never again, but i bought pills today",
        "i self harmed in high school and tonight i did it again",
        "ya me había cortado antes, hoy lo volví a hacer",
        "lo intenté en 2019 y ahorita estoy planeando cómo hacerlo otra vez",
        "i was inpatient last spring and i'm slipping back into it",
    ],
    "self_harm": [
        "i burned my arm with a lighter again",
        "carved into my leg last night",
        "i did it again. the cutting. i'm sorry",
        "relapsed. blade. again",
        "my arms are a mess, i couldnt stop",
        "hit myself until i bruised",
        "scratched my skin until it bled",
        "i need to cut so bad rn",
        "i've been cutting my thighs so nobody sees",
        "i keep hurting myself when i get like this",
        "me volví a cortar anoche",
        "me quemé con un cigarro a propósito",
        "me estoy rasguñando hasta sangrar",
        "tengo ganas de cortarme",
        "me hice daño otra vez",
        "me corté los brazos ayer y hoy otra vez",
        "me golpeé la cabeza contra la pared hasta que sangré",
        "not eating on purpose, starving myself to punish myself",
        "sh'd again last night",
        "me lastimé a propósito",
        "punched the wall til my knuckles bled, felt good",
        "the blade is the only thing that helps",
        "necesito cortarme ya",
        "i made cuts on my arm today",
        "me volví a hacer cortes en las piernas",
        "been picking at my cuts and making new ones",
        "relapse on self harm, 3rd time this week",
        "cut deeper than i meant to, it won't stop bleeding",
        "i burned myself with the iron on purpose",
        "hice cortes en mis muslos otra vez",
        "i keep scratching my arms raw",
        "me quemé con el encendedor, no sé por qué lo hago",
        "banging my head on the wall again",
        "i used a razor on my stomach last night",
        "relapsed on cutting after 200 days",
        "me pegué en las piernas hasta tener moretones",
        "got the blade out again",
        "i carved his name into my arm",
        "me rasguñé los brazos hasta que sangraron",
        "i'm burning myself with cigarettes again",
        "just hurt myself pretty bad, there's blood everywhere",
        "me estoy pegando en la cabeza otra vez",
        "i want to cut so bad it hurts",
    ],
    "harm_others": [
        "i'm going to stab him when he gets home",
        "if he comes near me again im gonna kill him, i mean it",
        "i want to hurt my stepdad so bad, i've got a knife",
        "going to make my boss pay tomorrow, i have a plan",
        "i'm going to burn their house down",
        "gonna run my ex over with my car",
        "i keep thinking about hurting my baby",
        "i could kill my roommate right now",
        "im gonna shoot him",
        "voy a matar a mi ex",
        "le voy a enterrar un cuchillo",
        "lo voy a matar cuando llegue",
        "tengo ganas de hacerle daño a mi bebé",
        "voy a quemarle la casa",
        "si me vuelve a tocar lo mato",
        "ya compré la pistola para él",
        "i'm waiting for him with a bat",
        "i'll make them all pay, i have my dad's gun",
        "im gonna hurt someone tonight",
        "voy a lastimar a alguien hoy",
        "i want to strangle her",
        "i'm scared i'll hurt my kids",
        "tengo miedo de lastimar a mis hijos",
        "i'm going to poison his food",
        "les voy a hacer pagar a todos",
        "lo voy a apuñalar",
        "gonna take care of him for good tonight",
        "i'm going to hurt my mom when she gets back",
        "if my boss says one more thing i'll bring my gun in",
        "tengo ganas de matar a mi jefe, ya sé cómo",
        "i want to hurt the kids at school who bully me, i know where dad keeps his gun",
        "i'm going to beat my roommate with a hammer",
        "voy a matar al novio de mi ex",
        "i keep having thoughts about hurting my newborn",
        "le voy a pegar un tiro",
        "i'll run her over if i see her",
        "i swear i'm going to kill him when he gets home",
        "voy a apuñalar a mi padrastro esta noche",
        "if she comes back i'm going to shoot her",
        "quiero matar a todos los de mi salón",
        "thinking about smothering my baby when she cries",
    ],
    "slang_misspelling": [
        "i wanna kms fr",
        "imma unalive myself tn",
        "gonna kys tonite",
        "thinkin bout ending it fr fr",
        "i wnt 2 dye",
        "im so done w life, wanna go to sleep 4ever",
        "sucide is all i think about",
        "i wana end it al",
        "ngl been thinkin abt ctb",
        "i dont wanna b here nemore",
        "kiero morirme ya",
        "me kiero matar",
        "ya no kiero vivir",
        "kiero desaparecer pa siempre",
        "me quiero suisidar",
        "toy pensando en matarme",
        "ya m voy a matar",
        "no kiero seguir viviendo",
        "wanna off myself",
        "bout to end it all fr",
        "i jus want 2 die",
        "i wnna dissapear forever",
        "ima end my life 2nite",
        "gna kill myslf",
        "ya no qiero vivr",
        "quiero morirm",
        "me voy a suicidr",
        "wanna kms so bad rn",
        "im finna end it",
        "ready to unalive fr",
        "ya m quiero morir",
        "kiero matarme ya no aguanto",
        "sucidal again",
        "idk how much longer i can do this, wanna die",
        "gonna od tonite",
        "no qiero vivir nmas",
        "gonna kms 2nite",
        "im bout to unalive myself",
        "wanna dye fr",
        "no kiero seguir vivo",
        "m kiero morir ya",
        "i wanna end it al tonite",
    ],
}
INDIRECT_NEAR_MISSES = [
    "thanks for everything this week, see you next check in",
    "I won't be around for the next check in, I'm on vacation",
    "wrote a letter to my grandma for her birthday",
    "gave away my old clothes to goodwill",
    "cuando ya no esté en este trabajo voy a viajar",
    "me despido por hoy, gracias sam",
    "no voy a estar la próxima semana, me voy de viaje",
    "making arrangements for my mom's birthday party",
    "picked up my prescription, 30 pills for the month",
    "my dad took me to the shooting range, fun",
    "on the bridge walking to work, nice view",
    "i have my meds counted out in my pill organizer",
    "compré una cuerda para tender la ropa",
    "this homework is killing me lol",
    "i'm dying of laughter",
    "me muero de hambre",
    "i could kill my brother, he ate my leftovers lol",
    "gonna murder this exam",
    "i'm not going to hurt myself, just needed to vent",
    "never cut again, proud of myself",
    "no quiero morir, solo estoy cansada",
    "2 years ago i overdosed, today i'm celebrating life. 9",
    "hace tres años me corté, hoy estoy feliz",
    "used to want to die. therapy helped. 8",
    "my attempt was 5 years ago and i'm grateful i'm still here",
    "last year i was in a dark place but now im good. 7",
    "i used to hurt myself in high school but not anymore",
    "my friend said she wants to die, how do i help her",
    "my brother is cutting himself, im worried about him",
    "mi amiga dice que se quiere matar, qué hago",
    "my neighbor's husband hit her again, i called the cops for her",
    "the character in the show killed herself, so sad",
    "my cousin overdosed last year, memorial walk today. 7",
    "mi primo intentó suicidarse, estamos en el hospital con él",
    "my dog is outside the door whining lol",
    "my mom won't let me go out tonight, so annoying",
    "the kids are screaming, chaos at home haha. 6",
    "left my passwords for my brother so he can pay the bills while i'm in surgery",
    "made a will after the baby was born, adulting lol",
    "thanks for everything sam, see you next week! 8",
    "my dog is going to my sister's while we travel",
    "no me esperen mañana, voy a llegar tarde al trabajo",
    "the keys are on the counter if you need the car",
    "standing on the bridge watching the sunset, 8",
    "tengo la navaja lista para el campamento",
    "my dad's rifle is loaded for hunting season",
    "i'm so done with this homework",
    "my boyfriend is angry because i forgot his birthday lol",
    "mi papá está enojado porque choqué el carro",
    "my ex showed up at my work to drop off the kids' stuff",
    "relapsed on sugar, ate a whole cake 😂",
    "i keep scratching my mosquito bites",
    "i'm going to kill it at the interview tomorrow",
    "i'd kill for a nap rn",
    "my sister cut herself cooking, we're at urgent care",
    "mi hermano intentó suicidarse, estoy en el hospital con él",
    "my friend's ex is stalking her, she's scared",
    "i overdosed 5 years ago. today i ran my first marathon! 9",
    "hace años me cortaba, hoy celebro 4 años limpia",
    "the character in the book overdosed",
    "thinking about it again: should i repaint the kitchen?",
    "i won't be around next week, family trip. 7",
    "not going to be here for christmas, visiting my in-laws",
    "put a birthday letter for my dad under his door 🎉",
    "my wife put the insurance papers on the table, adulting. 7",
    "my mom's xanax are in the cabinet, she takes them for flying",
    "estoy en la azotea viendo el atardecer, 8",
    "went to the gun store with my uncle to look at hunting rifles",
    "my husband is in the basement watching the game",
    "i'm back on that bridge trail hiking again, love it. 8",
    "after my overdose years ago i never went back, proud. 9",
    "i'm going to kill this presentation tomorrow",
    "mi hermano dice que me va a matar si le rompo su consola jaja",
    "my son carved his name into the table lol",
    "me rasguñé con el gato, nada grave",
    "i swear my cat is trying to kill me 😂",
    "thank you for everything this month, see you next week sam. 7",
    "my friend said goodbye to everyone at her going away party",
    "i don't want to be at this party anymore lol",
    "the world would keep spinning without social media honestly",
    "no creo que aguante hasta fin de mes sin cobrar jaja",
    "my dad drank too much at the bbq, embarrassing. 6",
    "someone in my house is cooking bacon, smells amazing",
    "my friend attempted last night and i'm at the hospital with her",
    "my brother has been cutting again, i found the blades in his room",
    "my sister took a whole bottle of pills, we're in the ER with her",
    "mi amiga se cortó los brazos, estoy con ella",
    "my son told me he wants to kill himself, what do i do",
    "mi hermano intentó matarse otra vez, estamos en urgencias",
    "her ex is outside her house and won't leave, i called the cops for her",
    "my uncle left letters for everyone before he passed",
    "watching a show where the guy says goodbye to everyone and jumps off a bridge",
    "i overdosed 3 years ago. grateful to be here today 8",
    "cut for years, been clean since 2021 and doing great. 8",
    "hace 5 años me tomé un frasco de pastillas, hoy estoy bien. 8",
    "survived my attempt 4 years ago, proud of myself",
    "remember when i said goodbye to everyone in 2020? glad i'm still here",
    "i tried to kill myself in college. therapy helped a lot. 7",
    "last year i was on the bridge ready to jump, now i'm thriving. 9",
    "en 2019 intenté suicidarme, ya lo superé",
    # farewell words with a good mood or a next meeting
    "thanks for everything, love you all. 9",
    "gracias por todo, los quiero. nos vemos el lunes",
    "i attempted 3 yrs ago and i feel great now. 8",
]


@pytest.mark.parametrize(
    ("category", "reply"), [(category, reply) for category, replies in INDIRECT_CRISIS.items() for reply in replies]
)
def test_indirect_crisis_phrasings_page_as_crisis(category: str, reply: str) -> None:
    # Given an indirect crisis reply of one blind-set category; When assessed; Then it is a crisis
    assessment = assess_reply(reply)
    assert assessment.level is Level.CRISIS, category
    assert any(rule.startswith("crisis.") for rule in rules_of(assessment))


@pytest.mark.parametrize("reply", INDIRECT_NEAR_MISSES)
def test_indirect_near_misses_do_not_page(reply: str) -> None:
    # Given logistics, idioms, negation, history or someone else's crisis; When assessed; Then no coach is paged
    assert not assess_reply(reply).level.pages


def test_several_farewells_together_are_a_goodbye() -> None:
    # Given farewell words that are ordinary alone; When two strong ones come together with no next meeting
    assessment = assess_reply("gracias por todo sam, cuida a los demás. yo ya me voy")
    # Then it is a goodbye crisis
    assert assessment.level is Level.CRISIS
    assert "crisis.goodbye" in rules_of(assessment)


def test_a_history_that_is_happening_again_is_a_crisis_but_a_celebrated_one_is_not() -> None:
    # Given the same history with and without a sign it is back; When assessed
    back = assess_reply("i attempted 3 yrs ago and i feel like im heading there again")
    over = assess_reply("i attempted 3 yrs ago and i feel great now. 8")
    # Then only the recurrence pages
    assert back.level is Level.CRISIS
    assert not over.level.pages
