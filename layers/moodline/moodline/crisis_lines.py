"""Crisis lines by country, then by language: what a person in crisis is told to call or text.

A London client who texts "I want to kill myself" must be told about Samaritans and 999, not 988
and 911. So the country decides the numbers (from the client's explicit country, else from the
E.164 number), and the language only decides the words around them.

Every default below names the official source it was taken from. The texts avoid curly quotes,
dashes, accents and emoji, so that each is one GSM-7 segment (160 characters, not 70).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

# Country of an E.164 number, by its longest matching prefix. Only the countries Moodline ships
# crisis lines for are listed: a number from anywhere else has no known country, and enrolment
# refuses it until ops configure that country's lines.
_COUNTRY_CODES: dict[str, str] = {
    "+44": "GB",
    "+353": "IE",
    "+61": "AU",
    "+64": "NZ",
    "+34": "ES",
    "+52": "MX",
}

# +1 is shared by the US, Canada and the Caribbean (NANP): the area code tells them apart.
# Canadian area codes, from the Canadian Numbering Administrator's list of geographic codes.
_CANADIAN_AREA_CODES_LISTED = (
    "204 226 236 249 250 257 263 289 306 343 354 365 367 368 382 387 403 416 418 428 431 437 438 450 460 "
    "468 474 506 514 519 548 579 581 584 587 600 604 613 639 647 672 683 705 709 742 753 778 780 782 807 "
    "819 825 867 873 879 902 905 942"
)
_CANADIAN_AREA_CODES = frozenset(_CANADIAN_AREA_CODES_LISTED.split())
# The rest of NANP (Jamaica, Bahamas, Barbados, ...) has its own lines: unknown here, never guessed as US.
_OTHER_NANP_AREA_CODES_LISTED = "242 246 264 268 284 345 441 473 649 658 664 721 758 767 784 809 829 849 868 869 876"
_OTHER_NANP_AREA_CODES = frozenset(_OTHER_NANP_AREA_CODES_LISTED.split())


@dataclass(frozen=True)
class CrisisLine:
    """One country's crisis lines, as told to a person in crisis, and where the numbers come from."""

    country: str
    texts: Mapping[str, str]  # language -> the SMS; "en" always present
    source: str

    def text(self, language: str) -> str:
        """The SMS in the person's language, English when the country has no text in it."""
        return self.texts.get(language, self.texts["en"])


DEFAULT_CRISIS_LINES: Mapping[str, CrisisLine] = {
    line.country: line
    for line in (
        CrisisLine(
            "US",
            {
                "en": "You are not alone. Call or text 988 (Suicide & Crisis Lifeline), or text HOME to 741741. "
                "In an emergency call 911. Your coach has been alerted.",
                "es": "No estas solo/a. Llama o escribe al 988 (oprime 2 para espanol) o escribe AYUDA al 741741. "
                "En una emergencia llama al 911. Tu coach ya fue avisado.",
            },
            "988lifeline.org; crisistextline.org",
        ),
        CrisisLine(
            "CA",
            {
                "en": "You are not alone. Call or text 988 (Suicide Crisis Helpline, Canada). "
                "In an emergency call 911. Your coach has been alerted.",
                "es": "No estas solo/a. Llama o escribe al 988 (Suicide Crisis Helpline, Canada). "
                "En una emergencia llama al 911. Tu coach ya fue avisado.",
            },
            "988.ca",
        ),
        CrisisLine(
            "GB",
            {
                "en": "You are not alone. Call Samaritans free on 116 123, any time, or text SHOUT to 85258. "
                "In an emergency call 999. Your coach has been alerted.",
                "es": "No estas solo/a. Llama gratis a Samaritans al 116 123 a cualquier hora, o escribe SHOUT "
                "al 85258. En una emergencia llama al 999. Tu coach ya fue avisado.",
            },
            "samaritans.org; giveusashout.org",
        ),
        CrisisLine(
            "IE",
            {
                "en": "You are not alone. Call Samaritans free on 116 123, any time, or text HELLO to 50808. "
                "In an emergency call 112 or 999. Your coach has been alerted.",
                "es": "No estas solo/a. Llama gratis a Samaritans al 116 123 a cualquier hora, o escribe HELLO "
                "al 50808. En una emergencia llama al 112. Tu coach ya fue avisado.",
            },
            "samaritans.org (Ireland); text50808.ie",
        ),
        CrisisLine(
            "AU",
            {
                "en": "You are not alone. Call Lifeline on 13 11 14 or text 0477 13 11 14, any time. "
                "In an emergency call 000. Your coach has been alerted.",
                "es": "No estas solo/a. Llama a Lifeline al 13 11 14 o escribe al 0477 13 11 14. "
                "En una emergencia llama al 000. Tu coach ya fue avisado.",
            },
            "lifeline.org.au",
        ),
        CrisisLine(
            "NZ",
            {
                "en": "You are not alone. Call or text 1737 (Need to talk?), free, any time. "
                "In an emergency call 111. Your coach has been alerted.",
                "es": "No estas solo/a. Llama o escribe gratis al 1737 (Need to talk?) a cualquier hora. "
                "En una emergencia llama al 111. Tu coach ya fue avisado.",
            },
            "1737.org.nz",
        ),
        CrisisLine(
            "ES",
            {
                "es": "No estas solo/a. Llama al 024, linea de atencion a la conducta suicida, gratis y a "
                "cualquier hora. En una emergencia llama al 112. Tu coach ya fue avisado.",
                "en": "You are not alone. Call 024, Spain's suicide crisis line, free, any time. "
                "In an emergency call 112. Your coach has been alerted.",
            },
            "sanidad.gob.es (Linea 024)",
        ),
        CrisisLine(
            "MX",
            {
                "es": "No estas solo/a. Llama a la Linea de la Vida al 800 911 2000, gratis y a cualquier hora. "
                "En una emergencia llama al 911. Tu coach ya fue avisado.",
                "en": "You are not alone. Call Linea de la Vida on 800 911 2000, free, any time. "
                "In an emergency call 911. Your coach has been alerted.",
            },
            "gob.mx/salud/conadic (Linea de la Vida)",
        ),
    )
}


class UnknownCountry(ValueError):
    """No crisis lines are configured for a client's country: enrolment must refuse them."""


def country_of(e164: str) -> str | None:
    """The ISO country of an E.164 number among those Moodline knows, or None.

    >>> country_of("+447700900123"), country_of("+14165550100"), country_of("+12125550100")
    ('GB', 'CA', 'US')
    """
    if not e164.startswith("+") or not e164[1:].isascii() or not e164[1:].isdigit():
        return None
    if e164.startswith("+1") and len(e164) == 12:
        area = e164[2:5]
        if area in _CANADIAN_AREA_CODES:
            return "CA"
        if area in _OTHER_NANP_AREA_CODES:
            return None
        # The 50 states and the territories the 988 Lifeline serves (Puerto Rico, USVI, Guam, ...).
        return "US"
    for prefix in sorted(_COUNTRY_CODES, key=len, reverse=True):
        if e164.startswith(prefix):
            return _COUNTRY_CODES[prefix]
    return None


def crisis_line_for(country: str | None, lines: Mapping[str, CrisisLine] = DEFAULT_CRISIS_LINES) -> CrisisLine:
    """The crisis lines of ``country``; raises UnknownCountry when there are none."""
    if country is None or country.upper() not in lines:
        raise UnknownCountry(f"no crisis lines configured for country {country or 'unknown'}")
    return lines[country.upper()]


# The crisis texts end by telling a client their coach was alerted. A number that is not enrolled has no
# coach (and, unless it wrote crisis language, nobody was alerted): it gets the lines without that sentence.
_COACH_SENTENCE = re.compile(r"\s*(?:Your coach has been alerted|Tu coach (?:ya fue avisad|ha sido avisad))[^.]*\.")


def without_coach_sentence(text: str) -> str:
    """``text`` without the sentence that says the person's coach was alerted (for a number not enrolled)."""
    return _COACH_SENTENCE.sub("", text).strip()


def crisis_text(*, country: str | None, locale: str, lines: Mapping[str, CrisisLine] = DEFAULT_CRISIS_LINES) -> str:
    """The crisis SMS for a person: their country's numbers, in their language.

    Never fails: a person in crisis whose country is unknown (a stranger texting from abroad) still
    gets an answer, the US text (the service's home), rather than nothing.
    """
    language = locale.split("-", maxsplit=1)[0].lower()
    try:
        line = crisis_line_for(country, lines)
    except UnknownCountry:
        line = lines.get("US") or DEFAULT_CRISIS_LINES["US"]
    return line.text(language)
