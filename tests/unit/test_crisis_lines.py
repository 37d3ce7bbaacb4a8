"""Crisis lines are chosen by the person's country, then their language (the audit's +44 finding)."""

from __future__ import annotations

import pytest

from moodline.crisis_lines import DEFAULT_CRISIS_LINES, UnknownCountry, country_of, crisis_line_for, crisis_text

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)


@pytest.mark.parametrize(
    ("number", "country"),
    [
        ("+447700900123", "GB"),
        ("+353851234567", "IE"),
        ("+61412345678", "AU"),
        ("+64211234567", "NZ"),
        ("+34612345678", "ES"),
        ("+525512345678", "MX"),
        ("+14165550100", "CA"),  # Toronto
        ("+16045550100", "CA"),  # Vancouver
        ("+12125550100", "US"),  # New York
        ("+17875550100", "US"),  # Puerto Rico: the 988 Lifeline serves it
        ("+18765550100", None),  # Jamaica shares +1 but not the US lines
        ("+4915112345678", None),  # Germany: no lines shipped
        ("+１２１２５５５０１００", None),  # full-width digits are not E.164
        ("12125550100", None),
    ],
)
def test_country_comes_from_the_e164_number(number: str, country: str | None) -> None:
    # Given a client's number / When its country is read / Then it is the country whose lines apply
    assert country_of(number) == country


def test_a_london_client_is_told_samaritans_and_999_not_988() -> None:
    # Given a client on a UK number writing in English
    # When the crisis text is chosen
    text = crisis_text(country=country_of("+447700900123"), locale="en-GB")
    # Then it names the UK lines and none of the US ones
    assert "116 123" in text
    assert "999" in text
    assert "988" not in text
    assert "911" not in text


def test_language_chooses_the_words_and_country_the_numbers() -> None:
    # Given a Spanish speaker in the US and an English speaker in Mexico
    spanish_in_us = crisis_text(country="US", locale="es-US")
    english_in_mexico = crisis_text(country="MX", locale="en-US")
    # Then each gets their language with their country's numbers
    assert "Llama" in spanish_in_us and "988" in spanish_in_us
    assert "Call" in english_in_mexico and "800 911 2000" in english_in_mexico


def test_a_country_without_lines_is_refused_at_enrolment_but_never_leaves_a_crisis_unanswered() -> None:
    # Given a country with no configured lines
    # When enrolment asks for its lines / Then it is refused with a clear reason
    with pytest.raises(UnknownCountry, match="DE"):
        crisis_line_for("DE")
    # And a stranger in crisis from there still gets an answer (the service's home lines)
    assert "988" in crisis_text(country=None, locale="de-DE")


@pytest.mark.parametrize("country", sorted(DEFAULT_CRISIS_LINES))
def test_every_shipped_text_is_one_gsm7_segment_with_a_source(country: str) -> None:
    # Given each shipped country's lines
    line = DEFAULT_CRISIS_LINES[country]
    # Then each has English, a source, and every text is one GSM-7 segment
    assert "en" in line.texts
    assert line.source
    for text in line.texts.values():
        assert set(text) <= GSM7_BASIC, text
        assert len(text) <= 160, (country, len(text))


def test_every_default_text_loses_exactly_its_coach_sentence_for_a_stranger():
    from moodline.crisis_lines import DEFAULT_CRISIS_LINES, without_coach_sentence
    from moodline.settings import DEFAULT_CRISIS_RESOURCES

    texts = [t for line in DEFAULT_CRISIS_LINES.values() for t in line.texts.values()]
    texts += list(DEFAULT_CRISIS_RESOURCES.values())
    for text in texts:
        stripped = without_coach_sentence(text)
        assert "coach" not in stripped.lower(), text
        assert stripped.endswith(".") and len(stripped) < len(text), text
        assert stripped.split()[:4] == text.split()[:4]  # the lines themselves are untouched
