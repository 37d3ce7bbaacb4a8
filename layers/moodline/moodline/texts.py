"""What clients read: every SMS Moodline sends, in English and Spanish, kept short and GSM-7 where possible."""

from __future__ import annotations

from moodline.vocabulary import Keyword

# English copy avoids curly quotes, en dashes and emoji: one such character switches the whole
# SMS to UCS-2 (70 characters a segment instead of 160) and can triple the cost.
_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "probe": "Hi {name}, how's your mood today, 1-10? Reply with a number and a few words if you like. "
        "Reply STOP to stop these check-ins.",
        "thanks": "Thanks, {name}. Got it.",
        "thanks_no_mood": "Thanks, {name}. If you can, reply with a number from 1 (worst) to 10 (best).",
        "help": "Moodline daily check-ins from your coach. Reply with your mood 1-10. "
        "Reply STOP to stop, START to restart.",
        "started": "You're back on Moodline check-ins. Reply STOP any time to stop.",
        "consented": "Thanks, you're in. Your first check-in comes at your usual time. Reply STOP any time to stop.",
        "unknown": "This number isn't enrolled in Moodline check-ins.",
    },
    "es": {
        "probe": "Hola {name}, ¿como esta tu animo hoy, del 1 al 10? Responde con un numero y unas palabras "
        "si quieres. Responde STOP para dejar de recibirlos.",
        "thanks": "Gracias, {name}. Recibido.",
        "thanks_no_mood": "Gracias, {name}. Si puedes, responde con un numero del 1 (peor) al 10 (mejor).",
        "help": "Moodline: mensajes diarios de tu coach. Responde con tu animo del 1 al 10. "
        "STOP para dejar, START para volver.",
        "started": "Has vuelto a los mensajes de Moodline. Responde STOP cuando quieras.",
        "consented": "Gracias, ya estas dentro. El primer mensaje llega a tu hora de siempre. STOP para dejarlo.",
        "unknown": "Este numero no esta inscrito en Moodline.",
    },
}


# The welcome asks for consent (double opt-in) and names the practice, as US A2P 10DLC registration
# expects: who sends, what and how often, and the three keywords. One GSM-7 segment with a practice
# name of up to 40 characters (settings.PRACTICE_NAME_MAX; tests/unit/test_consent.py).
_WELCOME: dict[str, str] = {
    "en": "{practice}: 1 mood check-in text a day from your coach. Reply YES to start, STOP to opt out, "
    "HELP for help.",
    "es": "{practice}: 1 mensaje al dia sobre tu animo, de tu coach. Responde YES para empezar, STOP para "
    "salir, HELP ayuda.",
}

# Languages triage reads (one rules folder each under moodline/triage/rules): a client in another
# language is refused at enrolment, or enrolled with every reply marked for a human (--review-all).
TRIAGE_LANGUAGES = frozenset({"en", "es"})


def language_of(locale: str) -> str:
    """``es-US`` → ``es``."""
    return locale.split("-", maxsplit=1)[0].lower()


def welcome_text(practice: str, locale: str) -> str:
    """The consent request, the first SMS a client gets: no check-in goes out until they reply YES."""
    return _WELCOME.get(language_of(locale), _WELCOME["en"]).format(practice=practice)


def is_yes(body: str) -> bool:
    """Whether the whole message is YES: consent from a pending client, a reply like any other from an active one."""
    return body.strip().strip(".!").upper() == "YES"


def text_for(key: str, locale: str, **values: str) -> str:
    """The ``key`` text in the client's language (``es-US`` → Spanish), English as fallback."""
    language = locale.split("-", maxsplit=1)[0].lower()
    template = _TEXTS.get(language, _TEXTS["en"]).get(key) or _TEXTS["en"][key]
    return template.format(**values)


STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_WORDS = frozenset({"HELP", "INFO", "AYUDA"})
# Every keyword has its words; tests/unit/test_vocabulary.py checks none is missing.
KEYWORD_WORDS: dict[Keyword, frozenset[str]] = {
    Keyword.STOP: STOP_WORDS,
    Keyword.START: START_WORDS,
    Keyword.HELP: HELP_WORDS,
}


def keyword_of(body: str) -> Keyword | None:
    """The keyword ``body`` is, when the whole message is one, as Twilio matches them.

    Only a message that *is* the keyword counts: "stop, I can't take this anymore" is a reply,
    and goes to triage like any other.
    """
    word = body.strip().strip(".!")
    if not word.isascii():
        # str.upper() maps "ſtop" (long s) and "ﬆop" (a ligature) onto STOP; Twilio's opt-out matching does
        # not, so neither may Moodline (a client it stops would still be texted by Twilio, or the reverse).
        return None
    word = word.upper()
    return next((keyword for keyword, words in KEYWORD_WORDS.items() if word in words), None)
