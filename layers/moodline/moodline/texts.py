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
        "Reply STOP to stop, START to restart. In a crisis call or text 988.",
        "started": "You're back on Moodline check-ins. Reply STOP any time to stop.",
        "unknown": "This number isn't enrolled in Moodline check-ins. If you are in crisis, call or text 988.",
    },
    "es": {
        "probe": "Hola {name}, ¿como esta tu animo hoy, del 1 al 10? Responde con un numero y unas palabras "
        "si quieres. Responde STOP para dejar de recibirlos.",
        "thanks": "Gracias, {name}. Recibido.",
        "thanks_no_mood": "Gracias, {name}. Si puedes, responde con un numero del 1 (peor) al 10 (mejor).",
        "help": "Moodline: mensajes diarios de tu coach. Responde con tu animo del 1 al 10. "
        "STOP para dejar, START para volver. En crisis llama o escribe al 988.",
        "started": "Has vuelto a los mensajes de Moodline. Responde STOP cuando quieras.",
        "unknown": "Este numero no esta inscrito en Moodline. Si estas en crisis, llama o escribe al 988.",
    },
}


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
    word = body.strip().strip(".!").upper()
    return next((keyword for keyword, words in KEYWORD_WORDS.items() if word in words), None)
