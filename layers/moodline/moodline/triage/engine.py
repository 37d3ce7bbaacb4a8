"""Read one SMS check-in reply, extract the 1-10 mood and decide whether a human coach must be paged."""

import re
import statistics
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from moodline.triage.model import Assessment, Level, Reason

# --------------------------------------------------------------------------------------------------
# Normalisation that remembers where every character came from
# --------------------------------------------------------------------------------------------------

_APOSTROPHES = frozenset("'’‘`´ʼ")
# Variation selectors and joiners change how an emoji looks, not what it means.
_INVISIBLE = frozenset("\ufe0e\ufe0f\u200d\u200b")
# Emoji that carry risk meaning become plain tokens so rules can treat them like words.
_EMOJI_TOKENS = {
    # means and death
    "💊": " emo_pill ",
    "🔪": " emo_knife ",
    "🗡": " emo_knife ",
    "🔫": " emo_gun ",
    "🪢": " emo_rope ",
    "🩸": " emo_blood ",
    "🪦": " emo_grave ",
    "⚰": " emo_coffin ",
    # "💀" is slang for laughing ("I'm dead 💀"), like the crying-laughing faces
    "😂": " emo_laugh ",
    "🤣": " emo_laugh ",
    "💀": " emo_laugh ",
    # sadness and farewells, which only count next to a means
    "😔": " emo_sad ",
    "😞": " emo_sad ",
    "😢": " emo_sad ",
    "😭": " emo_sad ",
    "💔": " emo_sad ",
    "👋": " emo_wave ",
    "✌": " emo_wave ",
}
_MATCHED_MAX = 60


@dataclass(frozen=True)
class _Text:
    """Normalised text plus, for every character, the span of the original it stands for."""

    original: str
    text: str
    spans: tuple[tuple[int, int], ...]

    def sub(self, pattern: re.Pattern[str], repl: str | Callable[[re.Match[str]], str]) -> "_Text":
        out: list[str] = []
        spans: list[tuple[int, int]] = []
        pos = 0
        for m in pattern.finditer(self.text):
            if m.start() == m.end():
                continue
            out.append(self.text[pos : m.start()])
            spans.extend(self.spans[pos : m.start()])
            new = m.expand(repl) if isinstance(repl, str) else repl(m)
            whole = (self.spans[m.start()][0], self.spans[m.end() - 1][1])
            out.append(new)
            spans.extend([whole] * len(new))
            pos = m.end()
        out.append(self.text[pos:])
        spans.extend(self.spans[pos:])
        return _Text(self.original, "".join(out), tuple(spans))

    def source(self, start: int, end: int) -> str:
        """The original text behind text[start:end], trimmed for a coach to read."""
        if start >= end:
            return ""
        snippet = self.original[self.spans[start][0] : self.spans[end - 1][1]].strip()
        return snippet if len(snippet) <= _MATCHED_MAX else snippet[: _MATCHED_MAX - 1] + "…"


def _fold_char(ch: str, emoji_tokens: bool) -> str:
    if ch in _APOSTROPHES or ch in _INVISIBLE:
        return ""
    if emoji_tokens and ch in _EMOJI_TOKENS:
        return _EMOJI_TOKENS[ch]
    if ch.isspace():
        return " "
    decomposed = unicodedata.normalize("NFKD", ch)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _fold(text: str, emoji_tokens: bool) -> _Text:
    """Lowercase, strip accents and apostrophes, keep a map back to the original."""
    chars: list[str] = []
    spans: list[tuple[int, int]] = []
    for i, ch in enumerate(text):
        folded = _fold_char(ch, emoji_tokens)
        chars.append(folded)
        spans.extend([(i, i + 1)] * len(folded))
    return _Text(text, "".join(chars), tuple(spans))


_ELONGATED = re.compile(r"([a-z])\1{2,}")  # "diiiie" -> "die", "noooo" -> "no"
_SPACES = re.compile(r"\s+")
_INNER_HYPHEN = re.compile(r"(?<=[a-z])[-/](?=[a-z])")
# A digit or symbol between two letters is a letter in disguise ("k1ll", "suic!dal"); "x30" and "b12" are not.
_LEET_CHAR = re.compile(r"(?<=[a-z])[0134579!|@$](?=[a-z])")
_LEET = dict(zip("0134579!|@$", "oieastgiias", strict=True))

# SMS spellings mapped to the plain words the rules are written against.
_SMS_WORDS = {
    "u": "you",
    "ur": "your",
    "r": "are",
    "yu": "you",
    "im": "i am",
    "ive": "i have",
    "id": "i would",
    "iam": "i am",
    "dont": "do not",
    "doesnt": "does not",
    "didnt": "did not",
    "cant": "can not",
    "cannot": "can not",
    "wont": "will not",
    "wouldnt": "would not",
    "couldnt": "could not",
    "shouldnt": "should not",
    "isnt": "is not",
    "arent": "are not",
    "wasnt": "was not",
    "werent": "were not",
    "havent": "have not",
    "hasnt": "has not",
    "aint": "am not",
    "youll": "you will",
    "theyll": "they will",
    "itll": "it will",
    "youd": "you would",
    "theyd": "they would",
    "youve": "you have",
    "wanna": "want to",
    "wnt": "want",
    "wana": "want to",
    "gonna": "going to",
    "gona": "going to",
    "finna": "going to",
    "gotta": "got to",
    "tryna": "trying to",
    "lemme": "let me",
    "gimme": "give me",
    "kinda": "kind of",
    "sorta": "sort of",
    "dunno": "do not know",
    "idk": "i do not know",
    "idc": "i do not care",
    "rn": "right now",
    "tbh": "to be honest",
    "ngl": "not going to lie",
    "bc": "because",
    "cuz": "because",
    "cus": "because",
    "coz": "because",
    "bcuz": "because",
    "ppl": "people",
    "pls": "please",
    "plz": "please",
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "tmrow": "tomorrow",
    "tomorow": "tomorrow",
    "2morrow": "tomorrow",
    "2moro": "tomorrow",
    "2nite": "tonight",
    "tonite": "tonight",
    "2night": "tonight",
    "b4": "before",
    "4ever": "forever",
    "4eva": "forever",
    "sum1": "someone",
    "no1": "no one",
    "noone": "no one",
    "every1": "everyone",
    "any1": "anyone",
    "some1": "someone",
    "abt": "about",
    "bout": "about",
    "thx": "thanks",
    "luv": "love",
    "whats": "what is",
    "thats": "that is",
    "theres": "there is",
    "hes": "he is",
    "shes": "she is",
    "theyre": "they are",
    "youre": "you are",
    "wit": "with",
    "w/": "with",
    "w": "with",
    "lifes": "life is",
    "someones": "someone is",
    "nobodys": "nobody is",
    "everyones": "everyone is",
    "ok": "okay",
    # Elongation collapse shortens a few doubled-letter words; put them back.
    "kil": "kill",
    "kiling": "killing",
    "wil": "will",
    "stil": "still",
    "pils": "pills",
    "pil": "pill",
    "godbye": "goodbye",
    # Spanish SMS
    "q": "que",
    "xq": "porque",
    "pq": "porque",
    "porq": "porque",
    "tmb": "tambien",
    "tb": "tambien",
    "kiero": "quiero",
    "qiero": "quiero",
    "toy": "estoy",
    "nd": "nada",
    "bn": "bien",
    "xfa": "por favor",
    "pa": "para",
    "vivr": "vivir",
    "morr": "morir",
    "suicidr": "suicidar",
    "suisidr": "suicidar",
    "sucidr": "suicidar",
    # Dropped final g and squeezed spellings
    "thinkin": "thinking",
    "goin": "going",
    "tryin": "trying",
    "plannin": "planning",
    "endin": "ending",
    "killin": "killing",
    "dyin": "dying",
    "wantin": "wanting",
    "nothin": "nothing",
    "somethin": "something",
    "wnna": "want to",
    "wna": "want to",
    "gna": "going to",
    "gnna": "going to",
    "ima": "i am going to",
    "imma": "i am going to",
    "jus": "just",
    "tn": "tonight",
    "2day": "today",
    "b": "be",
    "nemore": "anymore",
    "anymor": "anymore",
    "dissapear": "disappear",
    "disapear": "disappear",
    "dissappear": "disappear",
    "fr": "for real",
    "yrs": "years",
    "yr": "year",
}
_SMS = re.compile(r"(?<![\w/])(?:" + "|".join(sorted(map(re.escape, _SMS_WORDS), key=len, reverse=True)) + r")(?!\w)")
# "want 2 die": a 2 after a verb of intent, or before a verb, means "to".
_TWO_AFTER = (
    "want",
    "need",
    "going",
    "ready",
    "have",
    "got",
    "about",
    "trying",
    "try",
    "plan",
    "deserve",
    "wish",
)
_TWO_AS_TO = re.compile(
    "(?:"
    + "|".join(rf"(?<=\b{verb} )" for verb in _TWO_AFTER)
    + r")2(?= [a-z])|(?<= )2(?= (?:die|live|kill|end|be|sleep|hurt|cut|disappear|exist|wake)\b)"
)


# "ill" is usually "I'll" with the apostrophe dropped, unless it follows a word that makes it "sick".
_ILL_AS_I_WILL = re.compile(
    "".join(rf"(?<!\b{w} )" for w in ("am", "feel", "feeling", "so", "very", "been", "is", "was", "fell", "get", "got"))
    + r"\bill\b"
)


# Medication names, generic and brand, English and Spanish, become one token, like the emoji above: the pill
# vocabulary recurs in a dozen rules, and spelling every name out in each made the rules slow to compile.
_DRUG = "drug_name"
_DRUG_NAMES = re.compile(
    r"(?<![\w])(?:tylenol|acetaminophen|acetaminofen[oa]?|paracetamol|ibuprofen[oa]?|advil|motrin|aleve|excedrin"
    r"|aspirin[a]?|benadryl|xanax|ambien|oxy\w*|percocet|vicodin|fentanyl|heroin[a]?|insulin[a]?|lithium|litio"
    r"|seroquel|klonopin|valium|zoloft|prozac|lexapro|wellbutrin|trazodone|gabapentin|tramadol|codeine|codeina"
    r"|morphine|morfina|melatonin[a]?|nyquil|clonazepam|alprazolam|diazepam|lorazepam|rivotril|tafil|ativan)(?![\w])"
)


# Spanish SMS drops letters from the verbs that matter: "ya m voy a matar", "quiero morirm", "kiero matarm".
_ES_ME = re.compile(r"\bm (?=(?:voy|quiero|kiero|qiero|siento|muero|mato|corto|corte|quite|tire|dan)\b)")
_ES_RME = re.compile(
    r"\b((?:mata|mori|suicida|suisida|sucida|corta|tira|aventa|colga|lastima|quema|ahorca|envenena|quita|lanza)r)m\b"
)
# "i want 2 dye" at the end of a clause is a misspelt "die"; "dye my hair" is left alone.
_DYE = re.compile(r"\bdye(?= *(?:$|[.!?,]| tonight| right now| for real| now))")


def _normalise(text: str) -> _Text:
    """The view the risk rules read: folded, de-elongated, SMS spellings expanded."""
    t = _fold(text, emoji_tokens=True)
    t = t.sub(_INNER_HYPHEN, " ")
    t = t.sub(_LEET_CHAR, lambda m: _LEET[m.group(0)])
    t = t.sub(_ELONGATED, r"\1")
    t = t.sub(_SPACES, " ")
    t = t.sub(_SMS, lambda m: _SMS_WORDS[m.group(0)])
    t = t.sub(_ES_ME, "me ")
    t = t.sub(_ES_RME, r"\1me")
    t = t.sub(_DYE, "die")
    t = t.sub(_ILL_AS_I_WILL, "i will")
    t = t.sub(_DRUG_NAMES, _DRUG)
    return t.sub(_TWO_AS_TO, "to")


# --------------------------------------------------------------------------------------------------
# Mood parsing
# --------------------------------------------------------------------------------------------------

_NUMBER_WORDS = {
    "zero": 0,
    "cero": 0,
    "one": 1,
    "uno": 1,
    "two": 2,
    "dos": 2,
    "three": 3,
    "tres": 3,
    "four": 4,
    "cuatro": 4,
    "five": 5,
    "cinco": 5,
    "six": 6,
    "seis": 6,
    "seven": 7,
    "siete": 7,
    "eight": 8,
    "ocho": 8,
    "nine": 9,
    "nueve": 9,
    "ten": 10,
    "diez": 10,
}
_NUM = r"(?:\d+(?:[.,]\d+)?|" + "|".join(_NUMBER_WORDS) + r")"
_OUT_OF_TEN = (
    r"\s*(?:/|out of|outta|of|de|sobre)\s*(?:10|ten|diez)"
    # "7 of 10 people" is a count, not a rating
    r"(?![\d.,/:]\d|\s*(?:people|persons?|days|times|kids|of (?:them|us|the))\b)"
)
_START = r"(?<![\w.,$€£#:/+-])"

# The probe asks "how's your mood today, 1-10?"; an echoed scale is never a rating.
_SCALE_ECHO = re.compile(
    r"(?:(?:on )?(?:a )?scale (?:of |from )?|del |de )?\b1 ?(?:-|–|—|to|a|al) ?10\b(?!\s*/)"
    r"|\bhigh five\b|\bnine to five\b|\b9 ?(?:-|to) ?5 (?:job|shift|work)\b"
)
_NOT_RATINGS = re.compile(
    r"\d{1,2}:\d{2}"  # times
    r"|\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}"  # dates
    r"|\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}|\b\d{3}-\d{4}\b"  # phone numbers
    r"|[$€£]\s*\d+(?:[.,]\d+)?|\d+(?:[.,]\d+)?\s*(?:[$€£%]|dollars?|bucks|usd|pesos|euros?|percent"
    r"|por ?ciento)"
    r"|\d+(?:st|nd|rd|th|ro|do|to|vo|mo|no)\b"  # ordinals
    r"|\b\d+\s*/\s*\d+\b"  # any other fraction: "24/7", "3/4" (N/10 is matched before this)
)
_FRACTION_RANGE = re.compile(_START + rf"(?P<a>{_NUM})\s*(?:-|–|—|~|or|to|o|u)\s*(?P<b>{_NUM}){_OUT_OF_TEN}")
_FRACTION = re.compile(_START + rf"(?P<sign>-)?(?P<a>{_NUM}){_OUT_OF_TEN}")
_RANGE = re.compile(
    r"\b(?:between|entre)\s+(?P<a>" + _NUM + r")\s+(?:and|y|e)\s+(?P<b>" + _NUM + r")\b"
    r"|" + _START + r"(?P<c>" + _NUM + r")\s*(?:-|–|—|~|or|to|o|u)\s*(?P<d>" + _NUM + r")"
    r"(?![\w.,/:-]*\d)(?!\w)"
)
_SINGLE = re.compile(r"(?<![\w.,$€£#:/+])(?P<sign>-(?=\d))?(?P<a>" + _NUM + r")(?P<suffix>[a-z]*)(?![\w])")

_CUE_BEFORE = re.compile(
    r"(?:\b(?:mood|humor|animo|rating|rate|rated|score|nota|calificacion)\b[^.!?\d]{0,20}"
    r"|\b(?:a|an|un|una|like|about|around|maybe|probably|prob|prolly|solid|strong|low|high|weak|honestly"
    r"|tbh|guess|say|call it|feeling|feelin|feel|feels|im|i am|estoy|estoy en|en un|me siento|siento"
    r"|hoy|today|tal vez|quizas|quiza|como|diria|its|it is|at a|is a|es un|maybe a|just a|barely a)"
    r")[\s:=,-]*$"
)
# Cues strong enough that an out-of-range value ("a 0", "mood 11") is a rating attempt, not noise.
_STRONG_CUE_BEFORE = re.compile(
    r"(?:\b(?:mood|humor|animo|rating|rate|rated|score|nota)\b[^.!?\d]{0,20}|\b(?:a|an|un|una)[\s:=,-]*)$"
)
_CUE_AFTER = re.compile(
    r"^\s*[.!,]*\s*(?:today|hoy|ish|i guess|i think|maybe|tbh|honestly|overall|rn|right now|lol|tho|though"
    r"|i suppose|supongo|creo|mas o menos|more or less)\b"
)
_EXCLUDE_BEFORE = re.compile(
    r"(?:\b(?:in|at|by|til|till|until|since|after|before|for|from|took|take|taking|takes|had|have|has|got"
    r"|ate|drank|slept|sleep|ran|walked|lost|gained|weigh|weighs|bought|paid|owe|spent|earned|age|aged"
    r"|turned|turns|turning|day|week|month|year|round|step|level|chapter|page|room|number|top|over|under"
    r"|than|las|los|hace|desde|hasta|por|cada|tome|tomo|tomar|tengo|tiene|tienen|cumple|cumplio|dormi"
    r"|son|x|only|just took|del|al|he is|she is|son is|daughter is|kid is|he|she|to)\s*"
    r"|(?<!estoy )\ben\s*|[#$€£×+]\s*)$"
)
_UNIT_AFTER = re.compile(
    r"^\s*(?:more|last|other|of|de|in a row|x|times|am|pm|a\.?m|p\.?m|o ?clock|h|hrs?|mins?|secs?|yrs?"
    r"|yo|y/o|mg|ml|g|kg|lbs?|km|k|hour|minute|second|day|night|week|month|year|time|kid|child|baby"
    r"|daughter|dog|cat|pill|tablet|drink|beer|glass|shot|coffee|cup|mile|step|rep|set|lap|page"
    r"|episode|person|people|dollar|buck|grand|floor|star|meeting|block|hora|minuto|segundo|dia|noche"
    r"|semana|mes|ano|vez|veces|hijo|hija|nino|nina|perro|gato|pastilla|cerveza|copa|trago|taza|cafe"
    r"|kilo|persona|gente|peso|dolar|euro|year old|old)\b"
)
_PLURAL_AFTER = re.compile(r"^\s*([a-z]+s)\b")
_PLURAL_OK = frozenset(
    (
        "thanks",
        "is",
        "was",
        "has",
        "as",
        "this",
        "yes",
        "its",
        "plus",
        "less",
        "us",
        "always",
        "sometimes",
        "perhaps",
        "gracias",
        "pues",
        "mas",
        "menos",
        "entonces",
        "nomas",
        "besides",
        "regardless",
        "nevertheless",
        "anyways",
        "buenas",
        "buenos",
        "saludos",
        "besos",
        "lots",
    )
)
_SUFFIX_OK = frozenset({"", "ish"})
_CLAUSE_BREAK = re.compile(r"[.!?;,()\n]|\b(?:but|pero|and|y|though|although|aunque)\b")
_PAST_CUE = re.compile(
    r"\b(?:yesterday|last (?:night|week|time)|earlier|this morning|ayer|anoche|was|were|fue|estaba|era"
    r"|used to be|before)\b"
)
_PRESENT_CUE = re.compile(r"\b(?:today|now|rn|right now|currently|tonight|hoy|ahora|this evening)\b")
_FILLER_WORDS = frozenset(
    (
        "today",
        "hoy",
        "ish",
        "maybe",
        "i",
        "guess",
        "tbh",
        "honestly",
        "thanks",
        "thank",
        "you",
        "thx",
        "gracias",
        "lol",
        "hi",
        "hey",
        "hola",
        "okay",
        "ok",
        "mood",
        "feeling",
        "is",
        "my",
        "its",
        "it",
        "a",
        "an",
        "un",
        "like",
        "about",
        "around",
        "mi",
        "humor",
        "animo",
        "sam",
        "coach",
    )
)


@dataclass(frozen=True)
class _Candidate:
    score: float
    value: float


def _num_value(token: str) -> float:
    if token in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[token])
    return float(token.replace(",", "."))


def _overlaps(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(start < t_end and t_start < end for t_start, t_end in taken)


def _clause_of(text: str, start: int, end: int) -> str:
    breaks_before = [m.end() for m in _CLAUSE_BREAK.finditer(text, 0, start)]
    after = _CLAUSE_BREAK.search(text, end)
    return text[breaks_before[-1] if breaks_before else 0 : after.start() if after else len(text)]


def _temporal_adjustment(text: str, start: int, end: int) -> float:
    """Prefer today's rating over yesterday's when a reply mentions both."""
    clause = _clause_of(text, start, end)
    adjustment = 0.0
    if _PAST_CUE.search(clause):
        adjustment -= 1.5  # enough for yesterday's "a 4" to lose to today's bare "7"
    if _PRESENT_CUE.search(clause):
        adjustment += 0.25
    return adjustment


def _is_whole_message(text: str, start: int, end: int) -> bool:
    rest = re.sub(r"[^a-z\s]", " ", text[:start] + " " + text[end:])
    return all(word in _FILLER_WORDS for word in rest.split())


def _context_score(text: str, start: int, end: int, is_word: bool) -> tuple[float, bool] | None:
    """Score a lone number by its neighbours; None when it is clearly not a rating."""
    before, after = text[max(0, start - 30) : start], text[end : end + 30]
    if _EXCLUDE_BEFORE.search(before) and not _STRONG_CUE_BEFORE.search(before):
        return None
    if _UNIT_AFTER.search(after):
        return None
    plural = _PLURAL_AFTER.search(after)
    if plural and plural.group(1) not in _PLURAL_OK:
        return None
    if _is_whole_message(text, start, end):
        return 2.0, True
    if _CUE_BEFORE.search(before):
        return 2.0, bool(_STRONG_CUE_BEFORE.search(before))
    if _CUE_AFTER.search(after):
        return 2.0, False
    if is_word:
        # Spelled-out numbers are everyday words ("no one", "one day"): only a reply opening with one counts.
        opens = not text[:start].strip() and re.match(r"^\s*(?:[.!,;:)-]|$)", after)
        return (1.0, False) if opens else None
    return 1.0, False


def _candidates(text: str) -> list[_Candidate]:
    taken: list[tuple[int, int]] = []
    found: list[_Candidate] = []

    def add(score: float, value: float, start: int, end: int, allow_out_of_range: bool) -> None:
        taken.append((start, end))
        if allow_out_of_range or 1 <= value <= 10:
            found.append(_Candidate(score + _temporal_adjustment(text, start, end), value))

    for m in _FRACTION_RANGE.finditer(text):
        low, high = _num_value(m["a"]), _num_value(m["b"])
        if low < high <= 10 and high - low <= 3:
            add(3.0, (low + high) / 2, m.start(), m.end(), True)
    for m in _FRACTION.finditer(text):
        if not _overlaps(taken, m.start(), m.end()):
            value = _num_value(m["a"]) * (-1 if m["sign"] else 1)
            add(3.0, value, m.start(), m.end(), True)
    for m in _NOT_RATINGS.finditer(text):
        if not _overlaps(taken, m.start(), m.end()):
            taken.append((m.start(), m.end()))
    for m in _RANGE.finditer(text):
        a, b = (m["a"], m["b"]) if m["a"] else (m["c"], m["d"])
        low, high = _num_value(a), _num_value(b)
        if _overlaps(taken, m.start(), m.end()) or not (1 <= low < high <= 10 and high - low <= 3):
            continue
        context = _context_score(text, m.start(), m.end(), a in _NUMBER_WORDS and b in _NUMBER_WORDS)
        if context is not None or m["a"]:
            add(2.0, (low + high) / 2, m.start(), m.end(), False)
    for m in _SINGLE.finditer(text):
        if _overlaps(taken, m.start(), m.end()) or m["suffix"] not in _SUFFIX_OK:
            continue
        context = _context_score(text, m.start(), m.end(), m["a"] in _NUMBER_WORDS)
        if context is None:
            continue
        score, strong = context
        value = _num_value(m["a"]) * (-1 if m["sign"] else 1)
        add(score, value, m.start(), m.end(), strong)
    return found


def parse_mood(text: str) -> float | None:
    """Return the 1-10 mood rating in an SMS reply, or None if there is none or it is ambiguous."""
    folded = _fold(text, emoji_tokens=False).sub(_ELONGATED, r"\1").sub(_SPACES, " ").text
    folded = _TWO_AS_TO.sub("to", _SCALE_ECHO.sub(" ", folded))
    candidates = _candidates(folded)
    if not candidates:
        return None
    best = max(c.score for c in candidates)
    values = {c.value for c in candidates if c.score == best}
    if len(values) != 1:
        return None  # two equally clear ratings that disagree: a coach should read it, not us
    value = values.pop()
    return value if 1 <= value <= 10 else None


# --------------------------------------------------------------------------------------------------
# Risk rules
# --------------------------------------------------------------------------------------------------
# Every rule is a table of compiled patterns over the normalised text plus the checks that apply to it.
# Patterns are written against expanded SMS forms: "i am" (not "im"), "do not" (not "dont"), "want to"
# (not "wanna"), accents stripped ("aqui", not "aquí").
#
# A rule's role decides how it counts:
#   risk    fires on its own ("I want to die", "he's hitting me", "nothing will ever get better");
#   anchor  a means or danger that is ordinary alone ("a rope", "the bridge", "he's drunk");
#   support context that turns an anchor into a plan ("tonight", "I know what it's for", "please help").
# An anchor becomes crisis next to a support, another anchor, any other risk, or a mood of 1-2.

_RISK, _ANCHOR, _SUPPORT = "risk", "anchor", "support"


@dataclass(frozen=True)
class _Rule:
    rule: str
    level: Level
    pattern: re.Pattern[str]
    role: str = _RISK
    negatable: bool = True  # "not suicidal", "I would never hurt myself"
    past_sensitive: bool = True  # "years ago I attempted" is history, not risk
    unless: re.Pattern[str] | None = None  # sentence context that defuses it (jokes, accidents, cooking)
    requires: re.Pattern[str] | None = None  # context the reply must also contain (a coffin emoji and "me")
    self_subject: bool = False  # the risk must be the client's, not a friend's or a film's


def _rx(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w])(?:" + "|".join(alternatives) + r")(?![\w])")


def _rule(
    rule: str,
    level: Level,
    *alternatives: str,
    role: str = _RISK,
    negatable: bool = True,
    past_sensitive: bool = True,
    unless: re.Pattern[str] | None = None,
    requires: re.Pattern[str] | None = None,
    self_subject: bool = False,
) -> _Rule:
    return _Rule(rule, level, _rx(*alternatives), role, negatable, past_sensitive, unless, requires, self_subject)


# --- Vocabulary shared by several rules ----------------------------------------------------------------
_ME = r"(?:my ?self|m[iy]s[ea]?lf|myslf)"
_SUICID = r"s+u+i*[cs]+i*d+"  # suicid-, sucid-, suisid-
_SUICIDAL = _SUICID + r"(?:i?a|e|i)?le?s?"  # suicidal, suicidial, suicidle, suicidas
_SUICIDE = _SUICID + r"e"
_ADVERBS = (
    r"(?:(?:really|just|honestly|seriously|literally|kind of|sort of|so|actually|finally|still|truly|only"
    r"|keep) )*"
)
# Verbs of wanting or planning that turn "die" from an idiom into ideation.
_WANT = (
    _ADVERBS + r"(?:want(?:ing)? to|wanted to|need to|ready to|plan(?:ning)? to|decided to|deserve to"
    r"|wish(?:ing)? i could|wish i would|wish to|hope to|would like to|would rather|trying to|try to|should"
    r"|(?:the )?urges? to|tempted to|let me|hop(?:e|ing) i|better to|prefer to|could just|might just"
    r"|part of me wants to)"
)
_THINK = (
    _ADVERBS + r"(?:think(?:ing)? (?:about|of)|thought (?:about|of)|thoughts (?:about|of)|considering"
    r"|contemplating|fantasi[sz](?:e|ing) about|dreaming about|obsessing (?:about|over))"
)
_DIE = (
    r"(?:die(?! (?:of|from|for(?! real)|laughing|happy|a little|inside|than|in (?:a|this) (?:game|video)|my (?:hair"
    r"|beard"
    r"|eyebrows|clothes|shirt))\b)|be dead"
    r"|not exist"
    r"|stop existing|cease to exist|disappear (?:forever|for good|permanently)|not wake up|never wake up"
    r"|(?:go to |fall )?(?:sleep|asleep) forever|not be (?:here|alive|around)(?: anymore| any more| any longer)?"
    r"|get (?:hit|run over) by (?:a|the) (?:car|bus|train|truck)|be (?:hit|run over) by (?:a|the) (?:car|bus|train"
    r"|truck)|get killed|be killed|stop living|stop breathing"
    r"|no longer be (?:here|alive|around)|end it(?! (?:with|between|for|early|there|here))|end things)"
)
_DYING = (
    r"(?:dying|being dead|not existing|not waking up|ending it(?! (?:with|between))|ending things|death"
    r"|od ?ing|overdosing|" + _SUICIDE + r")"
)
_SELF_KILL = (
    r"(?:kill(?:ing)?|off(?:ing)?|hang(?:ing)?|shoot(?:ing)?|unaliv(?:e|ing)|delet(?:e|ing)|drown(?:ing)?"
    r"|poison(?:ing)?|stab(?:bing)?|suffocat(?:e|ing)|neck(?:ing)?|end(?:ing)?) " + _ME
)
# Medication names arrive as the _DRUG token (see _normalise), so this list stays short.
_PILLS = (
    r"(?:pills?|tablets?|caps(?:ules)?|meds|medications?|medicines?|sleeping pills|emo_pill(?: emo_pill)*"
    r"|pastillas?|pildoras?|capsulas?|medicamentos?|medicinas?|somniferos|antidepressants?|antidepresivos?"
    r"|painkillers?|opioids?|" + _DRUG + ")"
)
_QUANTITY = (
    r"(?:(?:like|about|around|maybe|over|almost|nearly|more than|unos|unas|como|mas de) )?"
    r"(?:(?:[5-9]|[1-9]\d+)(?!\d| ?(?:mg|milligrams|g|grams|ml)\b)|five|six|seven|eight|nine|ten|twelve|fifteen"
    r"|twenty|thirty|forty|fifty|hundred|a hundred|a dozen|dozen|cinco|seis|siete|ocho|nueve|diez|doce|quince"
    r"|veinte|treinta|cuarenta|cincuenta|a bunch of|bunch of|a handful of|handful of|a ton of|too many"
    r"|so many"
    r"|every(?: single)?|all(?: of)?(?: the| my| these| those)?|the (?:whole|entire|rest of the|rest of my)"
    r"(?: bottle| box| pack)?|a (?:whole|full|entire)(?: bottle| box| pack| packet| strip)?(?: of)?"
    r"|todas(?: las| mis)?|muchas|un monton de|un punado de|un frasco(?: entero)? de|el frasco(?: entero)? de"
    r"|toda la caja de|la caja entera de|half (?:a|the|of the|my) (?:bottle|box|pack)(?: of)?|(?:a"
    r"|the) (?:bottle|box) of|medio frasco de)"
)
_PERSON = (
    r"(?:him|her|them(?: all)?|someone|somebody|everyone(?: at (?:school|work))?|people|all of them"
    r"|(?:my|the|that|those) (?:husband|wife|boyfriend|girlfriend|bf|gf|partner|ex|boss|dad|mom|mother|father"
    r"|brother|sister|son|daughter|kids?|baby|roommate|neighbou?r|coworker|teacher|stepdad|stepmom|guy|girl"
    r"|man|woman|bitch|bastard|asshole|dude|people|class|newborn|infant|toddler|classmates?|bull(?:y|ies)"
    r"|kids (?:at|in) (?:school|class|work)|stepfather|stepmother))"
)
_HARM_VERB = (
    r"(?:kill(?:ing)?|murder(?:ing)?|stab(?:bing)?|shoot(?:ing)?|strangl(?:e|ing)|chok(?:e|ing)|hurt(?:ing)?"
    r"|harm(?:ing)?|beat(?:ing)? up|beat(?:ing)?|smash(?:ing)?|punch(?:ing)?|attack(?:ing)?|poison(?:ing)?"
    r"|smother(?:ing)?|suffocat(?:e|ing)|drown(?:ing)?)"
)
_HARM_INTENT = (
    r"(?:i am going to|i will|ill|i would|i could|i might|i swear i will|i swear ill|going to|want(?:ing)? to"
    r"|about to|urges? to|plan(?:ning)? to|(?:keep )?(?:thinking|thought) (?:about|of)|fantasi[sz]\w* about"
    r"|(?:scared|afraid|terrified) i (?:will|might|am going to)|(?:having )?thoughts? (?:of|about))"
)
_ABUSER = (
    r"(?:he|she|they|he is|she is|they are|someone|somebody|this (?:guy|man)|(?:my )?(?:husband|wife"
    r"|boyfriend"
    r"|girlfriend|bf|gf|partner|ex|dad|father|stepdad|stepfather|mom|mother|brother|roommate|uncle|son))"
)
_ABUSE_VERB = (
    r"(?:hitting|beating|hurting|choking|strangling|kicking|punching|slapping|threatening|attacking|hit|beat"
    r"|choked|strangled|kicked|punched|slapped|threatened|hits|beats|chokes|kicks|punches|slaps|threatens"
    r"|attacked|raped|raping|molest\w*|grabbed|shoved|dragged|pinned|bit|burned|locked|locks|trapped|threw"
    r"|throws|pushed|pushes|pushing|forced|forcing|touches|touched|touching|abus\w*)"
)
_NOT_ABUSE_AFTER = (
    r"(?! (?:up|back|different|hard|like|that|in the feels|in (?:chess|cards|a game)|to (?!the (?:floor"
    r"|ground))|off|a |an |for|about|at (?!night|home|school|work|the house)|deeply|so much"
    r"|on the (?:shoulder|back)|out of nowhere"
    r"|with (?:a |an |the |some )?(?:question|text|message|call|news|idea|joke|compliment|request|bill|truth"
    r"|facts|reality|feedback|that|this)))"
)
_HEIGHT = (
    r"(?:edge|ledge|bridge|railing|roof|rooftop|tracks|train tracks|overpass|cliff|balcony|puente|azotea"
    r"|techo|orilla|barandal|vias(?: del tren)?)"
)
_WEAPON = (
    r"(?:rope|noose|gun|pistol|firearm|rifle|shotgun|bullets?|ammo|razor(?: ?blades?)?|blades?|knife|knives"
    r"|antifreeze|bleach|rat poison|poison|carbon monoxide|emo_gun|emo_rope|emo_knife|cuerda|soga|pistola"
    r"|arma|navaja|cuchilla|cuchillo|veneno|cloro|anticongelante|charcoal (?:in|for) (?:my|the) (?:room|bedroom"
    r"|bathroom|car|tent)|carbon (?:para|en) (?:el|mi) (?:cuarto|bano|carro|coche))"
)
_A_BURDEN_ES = (
    r"(?:voy a |vaya a )?(?:ser|sere|seguir siendo|seguire siendo) (?:un|una) (?:problema|carga|estorbo|molestia)"
)

# --- Context that defuses or enables a match -------------------------------------------------------
_LAUGH = re.compile(r"emo_laugh|\b(?:lol|lmao|lmfao|rofl|haha\w*|hehe\w*|jaja\w*|jk|just kidding|kidding)\b")
# An accident defuses self-harm words, unless the reply says it was on purpose.
_ACCIDENT = re.compile(
    r"^(?!.*\b(?:on purpose|a proposito|deliberately|intentionally)\b).*"
    r"\b(?:accident\w*|by accident|fell|fall|falling|trip(?:ped)?|slip(?:ped)?|shaving|cooking|chopping|gym"
    r"|workout|lifting|running|playing|skiing|soccer|football|basketball|tennis|hiking|bike|biking|kitchen"
    r"|oven|stove|iron|sin querer|cocinando|afeitandome|me cai|jugando|pelo|cabello|flequillo|fleco|dedo"
    r"|unas|barba|papel|code|coding|homework|project|bug|taxes)\b"
)
_JOKE_THREAT = re.compile(
    _LAUGH.pattern + r"|\bif (?:he|she|they) (?:eats?|ate|takes?|took|touch(?:es)?|uses?|drinks?|forgets?"
    r"|is late|spoils?|finish(?:es)?|steals?|leaves?)\b|\b(?:with kindness|in (?:a |the )?game|fortnite"
    r"|minecraft)\b"
)
_SAFE_MEANS = re.compile(
    r"\b(?:locked (?:up|away)|threw (?:out|away)|thrown (?:out|away)|got rid of|flushed|gave (?:the"
    r"|my) \w+ to"
    r"|safety plan|hold on to|holding (?:them|it) for me|prescribed|as directed|vitamins?|refill|pharmacy"
    r"|doctor|camping|climbing|hiking|boat|jump rope|tug of war|cooking|kitchen|dinner|recipe|hunting"
    r"|range|movie|show|game|traffic|commute|drive|driving|drove|bridge club|cleaning|pool|fishing|sunset"
    r"|campamento|acampar|pesca|caza|hunting season|(?:in|from|under) (?:his|her|their) (?:room|bag|backpack|drawer"
    r"|car|closet|bathroom)"
    r"|view|picnic|puente de|fin de semana largo|stars|meteor|fireworks|bbq|party|class|skills?|chef|sharpen\w*"
    r"|peel\w*|fruit|apple|sandwich|steak|snack|knife set|tender|ropa|clothesline|laundry|tendedero|shav\w*)\b"
)
_PRESCRIBED = re.compile(
    r"\b(?:took|take|taking|takes|remembered|forgot|started|on|new|my) (?:my |the )?(?:morning |night |daily "
    r"|evening )?(?:meds|medication|medicine|pills|vitamins|antidepressants?|prescription|dose)\b"
    r"(?! (?:at once|all at once|to mix))"
    r"|\b(?:as prescribed|like (?:i am|im) supposed to|on time|mis medicinas|mi medicina|mi tratamiento"
    r"|recetad\w+)\b"
)
_PILL_SUPPLY = re.compile(
    r"\b(?:left|refill\w*|pharmacy|prescription|supply|per day|a day|daily|vitamins?|for the (?:week|month)|weekly"
    r"|organi[sz]er|pill ?box|pastillero"
    r"|farmacia|receta|para (?:el|la) (?:mes|semana)|al dia|por dia|diarias)\b"
)
_GIVEAWAY_BENIGN = re.compile(
    r"\b(?:tax|taxes|lawyer|paperwork|accountant|airport|flight|party|fiesta|aeropuerto|vuelo|boda|wedding|old|extra"
    r"|spare|clothes|couch|furniture|books|toys|goodwill|donat\w*|charity|thrift|declutter\w*"
    r"|moving|yard sale|garage sale|ropa vieja|mudanza|don[ae]\w*|florida|warm|solter[oa]|bachelor\w*"
    r"|going away|send ?off|retirement|jubilacion|graduation|graduacion)\b"
)
_AWAY_BENIGN = re.compile(
    r"\b(?:while (?:i am|i will be) (?:away|out|gone|traveling|at|on|in)|this weekend|next week|tomorrow"
    r"|for (?:the|a) (?:weekend|week|day|few days|night)|vacation|trip|travel\w*|business|hospital stay"
    r"|surgery|vacaciones|viaje|fin de semana)\b"
)
_NOT_HERE_BENIGN = re.compile(
    r"\b(?:job|work|moving|move|office|company|school|class|team|apartment|city|town|vacation|trip|weekend"
    r"|shift|party|meeting|trabajo|ciudad|escuela|fiesta|casa|reunion|traveling|travel|flight|conference|finals"
    r"|exams?|semester|surgery|project|deadline|season|flu|hiking|signal|camping|vacaciones|viaje|visit\w*"
    r"|in laws|suegr\w*|abroad|out of town)\b"
)
_MEDIA = re.compile(
    r"\b(?:movie|film|show|book|episode|series|documentary|novel|pelicula|serie|libro|article|podcast)\b"
)
_GRAVE_BENIGN = re.compile(
    _LAUGH.pattern + r"|\b(?:cook\w*|chop\w*|dinner|recipe|kitchen|cocin\w*|halloween|costume|funeral|rip"
    r"|grandma|grandpa|abuel[oa]|velorio|entierro|game|show)\b"
)
_FIRST_PERSON_OR_INTENT = re.compile(
    r"\b(?:me|i|i am|mine|myself|want|wish|ready|soon|tonight|next|quiero|para mi|yo|pronto|esta noche)\b"
)

# Ordinary reasons to be away, write a letter or hand things on, which defuse the wider goodbye wording.
_GOODBYE_BENIGN = re.compile(
    _GIVEAWAY_BENIGN.pattern
    + "|"
    + _AWAY_BENIGN.pattern
    + "|"
    + _NOT_HERE_BENIGN.pattern
    + "|"
    + _MEDIA.pattern
    + r"|\b(?:birthday|cumpleanos|christmas|navidad|valentine\w*|cover letter|thank you (?:card|note)s?|pen ?pal|santa"
    r"|recommendation|reference|teachers?|mothers day|fathers day|dia de las madres|grandma|grandpa|abuel[oa]"
    r"|new (?:number|phone)|nuevo (?:numero|telefono)|stop|unsubscribe|opt out|cancel\w*|busy|ocupad[oa]"
    r"|visiting|abroad|out of town|honeymoon|luna de miel|vivir a|me mudo|mudar\w*|deploy\w*|military|army)\b"
)
# Someone who has hurt or scares the client; kept narrower than _ABUSER so a partner "waiting outside" is not danger.
_STALKER = (
    r"(?:my ex|mi ex|(?:my|mi) (?:ex (?:husband|wife|boyfriend|girlfriend)|exesposo|exnovio|stalker|acosador)|he|el)"
)
# A history of risk that a "happening again" turns into a crisis now.
_RISK_HISTORY = re.compile(
    r"\b(?:attempt\w*|tried (?:to (?:kill|end|die|take|hang|overdose|od)|it|once|before|twice)|overdos\w*|od"
    r"|hospitali[sz]\w*|psych ward|inpatient|ended up in (?:the )?(?:hospital|er|ward)|suicid\w*|sui|cut(?:ting)?"
    r"|self harm\w*|sh|(?:had|have|made) a plan|intent\w*|intente|lo intente|me cortaba|me corte|sobredosis"
    r"|internad[oa]|hospital|urgencias|emergency room|the er|me tome (?:unas|las|todas|muchas) (?:pastillas|pildoras)"
    r"|took (?:a bunch of|all my"
    r"|a handful of|some) pills|ya me paso|it happened before|been (?:there|here) before|tuve un plan|darkest"
    r"|lo peor|jumped|survived|(?:me )?(?:habia|he) cortado|cortarme)\b"
)

# The conversation goes on: "gracias por todo, los quiero. nos vemos el lunes" is thanks, not a farewell.
_SEE_YOU = re.compile(
    r"\b(?:see you|see ya|nos vemos|talk (?:soon|later|tomorrow)|hasta (?:luego|pronto|la proxima)"
    r"|next (?:week|time|check ?in|session)|la proxima (?:semana|vez|sesion))\b"
)

_RULES: tuple[_Rule, ...] = (
    # --- Suicidal ideation, explicit ---------------------------------------------------------------
    _rule(
        "crisis.ideation.explicit",
        Level.CRISIS,
        _SELF_KILL,
        r"kms",
        r"ctb",
        r"sewer ?slide",
        r"unaliv(?:e|ing)",
        r"(?:i (?:am |will |should |might |could )?|going to |want to |about to |should (?:just )?"
        r"|might (?:just )?|ready to |time to |let me |need to )(?:just |finally |literally |honestly )?kys",
        rf"{_WANT} {_DIE}",
        rf"{_THINK} {_DYING}",
        rf"(?:commit(?:ting)?|do) {_SUICIDE}",
        rf"{_SUICIDE} (?:plan|note|letter|pact)",
        r"(?:end(?:ing)?|take|taking) my (?:own )?life",
        r"end(?:ing)? it all",
        r"end(?:ing)? everything",
        r"wish(?:ing|ed)? (?:that )?(?:i|i had|i would have|i would) never (?:been born|existed|woke up)",
        r"wish(?:ing|ed)? (?:that )?(?:i|i would) (?:was|were|had|would be|could be) (?:dead"
        r"|never (?:been )?born|gone for good|died)",
        r"(?:better off|rather be|would be better) dead",
        r"(?:i|just) (?:should|deserve to|need to|ought to) (?:just )?die",
        r"(?:sleep|fall asleep|go to sleep) and (?:never|not) wake up",
        r"(?:going to|will|about to|plan(?:ning)? to|want to|might|ready to) (?:overdose|od"
        r"|take an overdose)",
        r"(?:going to|want to|about to|should) rope(?! (?:in|off))",
        r"(?:going to|want to|about to|ready to|should just|just want to) jump(?= *(?:$|[.,!]| off| tonight| now))",
        # Wishing for a fatal accident: "I wish a car would hit me", "hope the plane crashes".
        r"(?:wish|hope|pray|want)(?:ing)? (?:that )?(?:a|the|some) (?:car|bus|train|truck|drunk driver)"
        r" (?:would |will )?(?:hit|hits|run over|runs over|kill|kills) me",
        r"(?:wish|hope|pray)(?:ing)? (?:that )?(?:the|my) (?:plane|flight|car|bus) (?:would |will )?crash(?:es)?",
        r"ojala (?:me )?(?:atropell\w+|chocar\w*|cayera|pasara algo)",
        # "I'm ending it tonight", "ways to end it".
        r"(?:i am|i will|ill|i|i might|i could|i am going to) (?:finally |just )?end(?:ing)? it"
        r"(?! (?:with|between|for|early|there|here|at|after|before|off|now with))(?! \w+ (?:with|between))",
        r"ways? (?:to|of|i could|i would|i might) (?:end it|die|kill myself|do it|end my life|not wake up)",
        r"(?:do not|please do not) let me die",
        r"why (?:am i|do i) (?:even |still )?(?:alive|exist|keep living|bother living)",
        r"hate (?:being alive|existing|my existence|that i am alive|waking up every day)",
        r"sui(?:cidal)? (?:thoughts|ideation|urges|feelings)",
        rf"(?:planning|plan|planned|writing|wrote) my (?:own )?(?:{_SUICIDE}|death|exit)",
        r"(?:ya tome la decision|ya lo decidi|my mind is made up|i have made (?:my|the) decision|i have decided)"
        r"[ .,!]+(?:\w+ ){0,3}(?:tonight|esta noche|today is the day|it is time|ya es hora|me voy)",
        # Working out how: "planning how I'd die", "figured out when I'll do it".
        r"(?:plan\w*|figur\w*|research\w*|look\w* up|googl\w*|decid\w*|know|knowing|thinking about"
        r"|think about"
        r"|work\w* out) (?:exactly )?(?:how|when|where) (?:i would|i will|i could|i am going to|i might"
        r"|i should|i want to|to) (?:die|end it|kill myself|do it|go through with it)",
        # Spanish ("matr", "morir", "suisidarme": vowels and c/s are often dropped or swapped in SMS)
        rf"(?:me (?:quiero|voy a|dan ganas de)|quiero|quisiera|voy a|deseo|necesito|pienso en|pensando en"
        rf"|he pensado en|ganas de|planeo|me gustaria) (?:mata?rme|{_SUICID}arme|colgarme|aventarme"
        rf"|tirarme (?:de|del|desde|por|al|a la|a las|a los|a el|bajo)|quitarme la vida|cortarme las venas)",
        rf"me (?:quiero|voy a|dan ganas de) (?:mata?r|{_SUICID}ar|quitar la vida|colgar|aventar"
        rf"|tirar (?:de|del|desde|por|al))(?! a)",
        r"(?:me quiero|quiero|quisiera|deseo|ganas de|pienso en|pensando en"
        r"|me gustaria) mori?r(?:me)?(?! de)",
        r"(?:quiero|quisiera|voy a|pienso en|pensando en) (?:acabar|terminar) con (?:todo|mi vida)",
        r"(?:ojala|quisiera) (?:me muriera|estar muert[oa]|estuviera muert[oa]|no despertar(?:a)?"
        r"|no existir(?:a)?|no haber nacido|no hubiera nacido|desaparecer para siempre)",
        r"(?:mejor estaria|prefiero estar|preferiria estar) muert[oa]",
        rf"{_SUICID}arme",
        rf"(?:pensamientos|ideas|ideacion|thoughts|feelings|urges|ideation) {_SUICIDAL}",
        rf"{_SUICIDAL}(?: thoughts| ideation| urges| feelings)?",
        self_subject=True,
        unless=_MEDIA,
    ),
    # --- Suicidal ideation, implicit --------------------------------------------------------------
    _rule(
        "crisis.ideation.implicit",
        Level.CRISIS,
        r"(?:better off|better|happier|fine|easier|be okay|mejor|mejores) (?:without|sin) (?:me|mi)",
        r"(?:no one|nobody) (?:would|will|is going to|would even|will even|is even going to) (?:miss me"
        r"|care if i|notice if i|notice when i|care when i|even notice i|notice i am gone|care)(?! about)",
        # Not waking up: "hoping I don't wake up", "wish I wouldn't wake up".
        r"(?:hop(?:e|ing)|wish(?:ing)?|pray(?:ing)?|nice if|rather"
        r"|prefer) (?:that )?(?:i )?(?:would )?(?:do not|never"
        r"|will not|would not|did not|could not|not) (?:have to )?(?:wake up(?! (?:late|early|at|in time|on time"
        r"|before|for))|make it (?:through|to)|see (?:tomorrow|the morning|another day))",
        r"(?:do not|never) (?:want|wish) to wake up(?! (?:early|at|for|so early|before|this early))",
        r"(?:do not|never) want to (?:be (?:alive|on this earth)|exist|live(?! (?:in|with|at|near|there"
        r"|together|alone|on|by|close|like that|here))|keep living|go on(?: living)?(?= *(?:$|[.,!]| anymore"
        r"| like this))|keep going(?= *(?:$|[.,!]| anymore| like this))|be here(?: anymore| any more"
        r"| any longer)?(?! (?:at|in|for|with|today)))",
        r"(?:want to|rather|would like to|wish i could|ready to) (?:not be|stop being|no longer be|not exist"
        r"|stop existing|cease to exist|disappear forever|disappear for good|vanish forever"
        r"|go to sleep forever|sleep forever|never wake up|be gone for good)",
        # Not being around in the near future: "won't be here much longer", "not being here next week".
        r"(?:not|never|no longer) (?:going to )?(?:be|being) (?:here|around|alive|a (?:problem|burden|bother)"
        r"(?: (?:for|to) \w+)?|in (?:anyone|your|the) way)(?: (?:anymore|any more|any longer|much longer"
        r"|next (?:week|month|year)|tomorrow|by (?:tomorrow|monday|friday|the weekend|next week|then)"
        r"|for (?:long|much longer)|soon|to see (?:\w+ ){0,2}\w+))+",
        r"(?:made|making|at) peace with (?:dying|death|not being (?:here|around|alive)|leaving|it ending"
        r"|the end|going)",
        # If I were gone nobody would notice: "wouldn't matter if I wasn't here".
        r"(?:would|will|does|did) not (?:even )?matter if i (?:was not|were not|am not|was gone|were gone"
        r"|died|disappeared|was dead|were dead|was not around|was not here|never woke up|did not wake up)",
        r"if i (?:died|disappeared|was gone|were gone|was not here|was not around|killed myself"
        r"|never woke up)"
        r"(?: \w+){0,4} (?:would|will) (?:even )?(?:notice|care|miss|matter|be (?:better|easier|happier|fine"
        r"|relieved))",
        r"soon (?:it|none of (?:this|it)|nothing|this|my pain|how i feel)(?: \w+){0,2} (?:will not"
        r"|is not going to|will no longer) (?:matter|hurt)",
        r"(?:will not|is not going to) (?:matter|hurt) (?:\w+ ){0,3}(?:soon|much longer|for long"
        r"|after (?:tonight|today))",
        # A permanent way out: "a way to make sure I never have to feel this again".
        r"(?:a way|ways?|make sure|make it so|guarantee|permanent(?:ly)?|forever)(?: \w+){0,3} i (?:never"
        r"|do not|will not|would never|would not|will never) (?:have to )?(?:feel|hurt|wake up|suffer)",
        r"(?:tired of|exhausted from|done with|sick of) (?:(?:fighting|trying|struggling) to )?(?:living|being alive"
        r"|life|existing|this life|stay alive|staying alive|survive|surviving)",
        r"(?:go away|be gone|disappear|leave this (?:world|earth|life)) (?:forever|for good|permanently)",
        r"leave this (?:world|earth|life)",
        r"(?:tired|sick|exhausted) of waking up",
        r"(?:do not|never) want to see (?:tomorrow|another day|the morning|next year|the sun again)",
        r"mejor me (?:muero|mato)(?! de)",
        r"(?:do not|never) want to be (?:in|on) this (?:world|earth|planet)",
        r"(?:do not think|not sure|doubt) (?:that )?i (?:will|am going to|can|would) (?:make it|last|survive)"
        r" (?:through the night|to (?:my birthday|christmas|the weekend|next week|tomorrow|morning|the morning"
        r"|new year)|much longer|another (?:day|week|night))",
        r"(?:will not|not going to) (?:make it|last|survive) (?:through the night|to (?:my birthday|christmas"
        r"|the weekend|next week|tomorrow|morning|the morning)|much longer|another (?:day|week|night))",
        r"(?:peaceful|nice|good|easier|quiet|a relief|relieving|better|calm) (?:it )?(?:would|will|could)? ?be"
        r" (?:to|if i) (?:just )?(?:be dead|die|died|not exist|not wake up|be gone|was gone|were gone|disappear\w*)",
        r"(?:it|this|everything|all of this|the pain) (?:will|is going to) (?:all )?be over (?:soon|tonight|by tomorrow"
        r"|shortly)",
        r"(?:i will|i am going to) be gone (?:by|before) (?:morning|tomorrow|tonight|the time)",
        r"(?:i will not|i am not going to|i will no longer) be (?:here|around)(?= *(?:$|[.,!]))",
        r"disappear (?:and never come back|without a trace)|(?:go away|leave) and never come back",
        r"(?:scared|afraid|terrified|worried) (?:that )?i (?:will|am going to|might|could) (?:do something"
        r"|hurt myself|kill myself|not be safe|not stop myself)",
        r"do something (?:stupid |bad |drastic |permanent )?to myself",
        r"no (?:le )?(?:veo|encuentro|tengo) (?:razon|razones|motivo|motivos|sentido) (?:a|para|de) (?:vivir|seguir"
        r" viviendo|seguir vivo|seguir viva|estar viv[oa])",
        r"(?:do not|can not|could not) see myself (?:being |still )?(?:here|around|alive)",
        r"(?:picturing|imagining|planning|thinking about|pensando en|imaginando) (?:my|mi) (?:own |propio )?funeral",
        r"(?:everyone|my family|they|the world|my kids|people|everybody) (?:would|will) be (?:so much )?better off"
        r"(?= *(?:$|[.,!]))",
        r"(?:better|happier|easier|fine|okay|relieved|lighter|free|a favou?r)(?: off)? (?:for \w+ )?(?:\w+ ){0,2}if i"
        r" (?:just )?"
        r"(?:disappeared|died|was not (?:here|around)|were not (?:here|around)|did not exist|never existed"
        r"|left for good)",
        r"(?:when|if|once) i (?:die|am gone|am dead|kill myself)(?: \w+){0,3} (?:no one|nobody)",
        r"(?:(?:do not|can not|could not) see (?:the|any)|no|what is the) point (?:in|of) (?:me )?(?:living|life"
        r"|being alive|going on|existing|staying alive)",
        r"(?:better|happier|easier|fine|okay|relieved|lighter|free|a favou?r)(?: off)? (?:\w+ ){0,2}if i (?:was|were"
        r"|am)(?: just)? (?:gone|dead|not (?:here|around|alive)|never born)",
        r"(?:done|finished) (?:living|with life|existing)",
        r"(?:nothing|no reason|no one|nada) (?:left )?to live for",
        r"no reason (?:for me )?to (?:live|be alive|keep living|go on|stay alive)",
        r"(?:life|living|my life) (?:is not|is no longer|not) worth (?:it|living)",
        r"not worth living",
        r"(?:want|need|wish) (?:it all|everything|my life|all of this|all of it) to (?:end|be over|stop)",
        r"do not care if i (?:die|live|wake up|make it)",
        # Doubting the wish to live is ideation: "not sure I want to be alive".
        r"(?:do not know|not sure|unsure|wonder|wondering)(?: if| whether)? i (?:still |even )?want to (?:live"
        r"|be alive|be here|keep (?:going|living)|go on|exist|wake up)(?! (?:in|with|at|near|there|here|early))",
        r"no se si (?:quiero|vale la pena) (?:seguir )?(?:vivir|viviendo|aqui|existiendo)",
        r"(?:me quiero|quiero|me voy a|voy a) ir(?:me)? (?:para siempre|de este mundo)",
        r"(?:quiero|quisiera|ojala) que (?:todo|esto|mi vida) (?:se acabe|termine|acabe)",
        # Others better off without me, with or without "para todos": "seria mejor para todos si no estuviera".
        r"(?:seria|estaria|estarian|iria|irian) (?:todo )?mejor (?:para (?:todos|todo el mundo|ustedes|ellos|mi \w+"
        r"|mis \w+) )?(?:si )?(?:yo )?(?:no existiera|no estuviera|me muriera|desapareciera"
        r"|no despertar|no despertara|estar muert[oa]|sin mi|desaparecer|morir(?:me)?|no existir|no estar)",
        r"check out (?:permanently|for good|of (?:this )?life|early)",
        r"(?:come to|show up (?:to|at)|cry at|attend|planning|plan) my (?:own )?funeral",
        r"how (?:much )?long(?:er)? (?:i can|can i|i will|will i) (?:stay alive|keep living|survive|stay here)",
        r"no (?:le )?(?:veo|encuentro) (?:el |ningun )?sentido (?:a|de) (?:vivir|la vida|seguir viviendo"
        r"|estar viv[oa])",
        r"(?:cuando|si) me (?:muera|muero|mato)(?: \w+){0,3} nadie",
        r"(?:a )?nadie (?:le )?(?:importaria|importa|va a importar)(?: \w+){0,2} si me (?:muero|muriera|mato|voy)",
        r"nadie (?:va a|iria a|vendria a)? ?(?:llorar|notar|extranar\w*)(?: \w+){0,2} (?:si|cuando) me (?:muera|muero"
        r"|mato|voy)",
        # Spanish
        r"no quiero (?:vivir(?! (?:en|con|cerca|alla|alli|ahi|juntos|juntas|sol[oa]|asi con))"
        r"|seguir viviendo|existir"
        r"|despertar(?:me)?(?! (?:temprano|tarde|a las|para|tan temprano))|estar viv[oa]|seguir viv[oa]"
        r"|seguir con vida|seguir aqui"
        r"|estar aqui(?! (?:en|con))"
        r"|(?:estar|seguir|vivir) en este mundo"
        r"|seguir(?= *(?:$|[.,!;])))",
        r"(?:estarian|estaria|estaran|vivirian|estan) mejor sin mi",
        r"mejor sin mi",
        r"nadie me (?:extranaria|va a extranar|echaria de menos|echaria en falta)",
        r"(?:cansad[oa]|harto|harta) de vivir",
        r"sin ganas de vivir",
        r"no tengo (?:ganas|razones|motivos) (?:de|para) vivir",
        r"no vale la pena vivir",
        r"(?:quiero|quisiera|ojala pudiera) (?:dormir(?:me)? y no (?:volver a )?despertar(?:me)?"
        r"|dormir para siempre|dejar de existir|desaparecer (?:para siempre|de este mundo))",
        r"dormir(?:me)? y no (?:volver a )?despertar(?:me)?(?: nunca| mas| jamas)",
        r"no despertar(?:me)? (?:nunca|jamas)",
        r"(?:no creo que|dudo que) (?:siga|este|vaya a estar|vaya a seguir) (?:aqui|viv[oa]|por aqui)",
        r"si (?:yo )?(?:no existiera|no estuviera|desapareciera|me muriera|me fuera para siempre)(?: \w+){0,3}"
        r" (?:seria|estaria|estarian|iria|irian|les iria) (?:todo )?mejor",
        # Soon no longer a problem or a burden to anyone: "pronto ya no voy a ser una carga para nadie".
        rf"(?:pronto|ya) (?:ya )?no {_A_BURDEN_ES}|no {_A_BURDEN_ES} (?:para|a) nadie",
        r"no (?:los|las|te|les) (?:voy a )?(?:molestar|estorbar) (?:mucho tiempo mas|mucho mas|por mucho tiempo"
        r"|nunca mas)",
        r"soon (?:i )?(?:will not|am not going to|will no longer|not going to|will not have to) (?:be|bother|burden)"
        r" (?:a (?:problem|burden|bother)|anyone|you|here|around)",
        r"(?:not|never|no longer) (?:going to )?(?:be|being) (?:a (?:problem|burden|bother)) (?:for|to) (?:anyone"
        r"|anybody|you all|everyone)(?: else)? (?:ever )?again",
        r"(?:no|ya no) (?:voy a )?(?:estar|seguir) (?:aqui|mas) (?:manana|mucho tiempo|mucho mas"
        r"|la proxima semana)",
        unless=_NOT_HERE_BENIGN,
    ),
    # --- Attempts, including history that the present brings back ------------------------------------
    _rule(
        "crisis.attempt",
        Level.CRISIS,
        r"attempted(?= *(?:$|[.,!?;]| suicide| before| again| and| last| twice| once| in| when| years| at"
        r"| a few| \d| to (?:kill|end|take|hang|die)))",
        r"(?:tried|trying|try|attempted) to (?:kill myself|end (?:it|it all|my life)|commit suicide"
        r"|take my (?:own )?life|hang myself|overdose|od|die)",
        rf"{_SUICIDE} attempts?",
        r"(?:survived|surviving|after|since) (?:an|my|a) (?:\w+ )?attempt",
        r"(?:i |just |have |i have )overdosed",
        r"(?:i|just) od(?:ed|d)?",
        rf"(?:hospitali[sz]ed|inpatient|admitted|in (?:the|a) psych ward|internad[oa]|hospitalizad[oa]) (?:for"
        rf"|after|por)"
        rf" (?:(?:a |an |my )?{_SUICIDE}(?: attempt)?|an attempt|self harm|trying to|overdos\w*|intento)",
        r"(?:me )?intente (?:suicidarme|matarme|quitarme la vida|mori?r(?:me)?|matar|suicidar)",
        r"intentos? de suicidio",
        self_subject=True,
    ),
    _rule(
        "crisis.attempt",
        Level.CRISIS,
        r"(?:will not|not going to) (?:fail|survive|mess (?:it|this) up|screw (?:it|this) up) (?:this time|again"
        r"|next time)",
        requires=re.compile(r"\b(?:survived|attempt\w*|tried|overdos\w*|intente)\b"),
    ),
    _rule(
        "crisis.ideation.implicit",
        Level.CRISIS,
        r"thinking about (?:it|doing it) again",
        r"pensando en (?:eso|hacerlo) (?:otra vez|de nuevo)",
        requires=re.compile(r"\b(?:plan|attempt\w*|tried|overdos\w*|intente|cutting|cut|pills|suicid\w*)\b"),
        past_sensitive=False,
    ),
    # --- Plans and means that are unambiguous on their own -----------------------------------------
    _rule(
        "crisis.plan.means",
        Level.CRISIS,
        rf"(?:took|take|taking|swallowed|swallow|swallowing|downed|ate|eat|popped|pop|popping|tome|tomar"
        rf"|tomarme"
        rf"|me tome|trague|tragarme|me trague|just took) {_QUANTITY} ?(?:of )?(?:(?:my|the|his|her|mis|las"
        rf"|de) )?(?:\w+ )?{_PILLS}",
        rf"(?:whole|full|entire) (?:bottle|box|pack|packet|strip) of (?:my |the )?(?:\w+ )?{_PILLS}",
        rf"(?:(?:stockpil\w*|hoard(?:ed|ing)|stocked up on|stocking up on|bought up)(?: \w+){{0,2}} {_PILLS}"
        rf"|(?:saving|saved|collecting|collected"
        rf"|stashing|stashed|storing|hiding"
        rf"|juntando|guardando|ahorrando) (?:up )?(?:my |some |all my |the |mis |las )?{_PILLS})",
        rf"enough {_PILLS} to",
        rf"(?:tengo|junte|he juntado) (?:suficientes|bastantes) {_PILLS}",
        r"lethal (?:dose|amount)|dosis letal",
        r"how (?:many|much) \w+(?: \w+)? (?:would it take|does it take|it takes|it would take|would kill|to (?:die"
        r"|overdose|od|kill myself)|is (?:lethal|too many|enough))",
        r"cuant[ao]s? \w+(?: \w+)? para (?:morir|matarme)",
        r"noose",
        r"(?:gun|pistol|barrel|emo_gun) (?:to|in|against) my (?:head|mouth|temple)",
        r"(?:tied|tying|tie) (?:a |the )?(?:rope|noose)",
        r"(?:rope|noose|emo_rope) (?:around|on) my neck",
        r"soga al cuello",
        r"(?:drink|drinking|drank|swallow|swallowed|tomar|tome|beber|bebi)(?: \w+){0,4}? (?:antifreeze|bleach"
        r"|rat poison|poison|cloro|veneno|anticongelante)",
        r"(?:car|engine) (?:is )?running in (?:the|my) (?:closed )?garage",
        rf"mix(?:ed|ing)? (?:my |the |all my )?(?:\w+ )?{_PILLS} (?:with|and) (?:\w+ )?(?:vodka|whiskey|whisky"
        r"|tequila|rum|wine|alcohol|booze|liquor|beer|drinks)",
        r"(?:sitting|sat) in (?:my|the) car in (?:the|my) (?:closed )?garage",
        r"carbon monoxide|exhaust (?:pipe|fumes)",
        r"(?:i )?took (?:something|too (?:many|much)|way too (?:many|much))(?= *(?:$|[.,!]| and| tonight| just))",
        r"(?:cut|cutting|slit|slitting|cortarme|cortar|me corte) (?:my |mis |las )?(?:wrists?|throat|venas"
        r"|munecas)",
        r"jump(?:ing)? (?:off|from|in front of) (?:(?:a |the |this |that )?(?:top(?: floor| level)?|edge|roof|ledge)"
        r" of )?(?:a |the |this |that )?(?:bridge|building|roof|rooftop"
        r"|balcony"
        r"|cliff|overpass|train|bus|truck|ledge|parking garage)(?! (?:into|in to|in the (?:lake|water|river"
        r"|pool)))",
        r"(?:tirarme|aventarme|lanzarme) (?:de|del|desde|por|al) (?:(?:lo alto|la azotea|el techo|la orilla|el borde"
        r"|el ultimo piso) (?:de |del ))?(?:un |una |el |la )?(?:puente|edificio|techo|balcon|azotea|estacionamiento"
        r"|tren"
        r"|metro)",
        r"(?:took|swallowed|swallow|take|eat|ate) everything in (?:the|my) (?:medicine |bathroom )?(?:cabinet"
        r"|drawer)",
        r"on the (?:edge|ledge) of (?:the |a )?(?:bridge|roof|building|balcony|cliff)",
        # A car as the method: "thinking about driving into a wall", "crash my car on purpose".
        rf"(?:{_WANT}|{_THINK}|going to|will) (?:driv(?:e|ing)|crash(?:ing)?|swerv(?:e|ing)|steer(?:ing)?)"
        rf"(?: my car| the car)? (?:into|off|in front of) (?:a |the )?(?:wall|tree|pole|bridge|cliff|river|lake"
        rf"|oncoming traffic|traffic|truck|road|train)",
        r"crash(?:ing)? (?:my|the) car on purpose",
        # Researching how to die: "googling painless ways to die".
        rf"(?:(?:looked|looking|look) up|googl\w+|research\w*|searched|searching|busque|buscando)(?: for"
        rf"| online)?"
        rf"(?: \w+){{0,4}} (?:die|dying|kill myself|painless|lethal|overdos\w*|{_SUICIDE}|morir|matarme"
        rf"|(?:tallest|highest) (?:bridge|building|cliff|point|parking garage|puente|edificio))",
        unless=_MEDIA,
        self_subject=True,
    ),
    _rule(
        "crisis.plan.means",
        Level.CRISIS,
        # Holding a stockpile, out in the open or hidden: "I've got 40 pills lined up", "saved up 60 💊",
        # "tengo guardadas 50 pastillas", "I have hidden away 30 pills"; or setting them out: "counted out my pills".
        rf"(?:(?:got|have|i have|bought|counted|lined up|saved up|saved|collected|stashed|hoarded|ordered|tengo|junte"
        rf"|(?:tengo|llevo|ya tengo) (?:guardad|escondid|juntad|ahorrad|acumulad|reservad)[oa]s|(?:he|ya) (?:guardado"
        rf"|escondido|juntado|acumulado)|(?:hid|hidden|stashed|tucked|put|set|squirreled|kept) (?:away|aside))"
        rf" {_QUANTITY} ?(?:of |de )?"
        rf"|(?:counted|counting|lined up|lining up|laid out|set out|sorted)(?: out)? (?:all )?(?:of )?)"
        rf"(?:(?:my|the|mis|las|de) )?(?:\w+ )?{_PILLS}",
        unless=_PILL_SUPPLY,
        self_subject=True,
    ),
    # --- Goodbyes and giving things away ------------------------------------------------------------
    _rule(
        "crisis.goodbye",
        Level.CRISIS,
        r"(?:this is|consider this|take this as) (?:a |my )?(?:final )?(?:goodbye|farewell)(?! (?:party|gift|lunch"
        r"|dinner|card|drinks))",
        r"(?:esto|esta|este) es (?:una |mi |un )?(?:despedida|adios)(?! de solter)",
        r"(?:tomalo|tomenlo|consideralo|considerenlo|tomen esto) como (?:una |mi )?despedida",
        r"(?:goodbye|bye|emo_wave) (?:forever|for good|everyone|world|cruel world|to everyone)",
        r"saying (?:my )?goodbyes?(?! to (?:the|my) (?:old|apartment|house|team|job))",
        r"(?:my|this is my) (?:last|final) (?:text|message|msg|check in|day|night|goodbye)(?! (?:at|of"
        r"|before|for|in) )",
        r"(?:you|you all) (?:will not|will never) (?:hear|see) (?:from )?me (?:again|anymore|after (?:today"
        r"|tonight))",
        r"last time (?:you will )?(?:hear|see) (?:from )?me",
        r"(?:take|taking) care of my \w+(?: \w+)? for me",
        r"(?:please )?look after my \w+(?: \w+)? (?:for me|when i am gone)",
        r"(?:when|after|once) i am gone",
        r"by the time (?:you|anyone) (?:read|reads|see|sees|get|gets) this",
        r"(?:gave|giving|given|give) away (?:all )?(?:of )?my (?:stuff|things|belongings|possessions"
        r"|everything|\w+)",
        r"(?:gave|giving|given|give|gotten rid of|getting rid of) (?:all )?(?:of )?my (?:stuff|things|belongings"
        r"|possessions) away",
        r"(?:wrote|writing|left|leaving) (?:a |my )?(?:goodbye |farewell )?(?:note|letter)s? (?:for|to) (?:everyone"
        r"|you all|my (?:family|kids|children|mom|dad|parents|wife|husband|partner|son|daughter|sister|brother"
        r"|loved ones|friends))",
        r"(?:carta|nota|mensaje) (?:de despedida|suicida)",
        r"(?:deje|escribi|estoy escribiendo|dejando|les deje|le deje) (?:una |unas |mis )?cartas? (?:a"
        r"|para) (?:mis|mi|todos)",
        r"(?:goodbye|farewell) (?:note|letter)s?",
        # An apology or thanks "for everything" followed by a farewell.
        r"(?:(?:sorry|forgive me) for everything|thank you for everything)[ .!,]+(?:\w+[ ,]+){0,8}?(?:i love you all"
        r"|love you all|goodbye|bye|take care)(?= *(?:$|[.!,]))(?!.*\b(?:see you|talk (?:soon|later)|next week))",
        r"(?:perdon(?:en)? por todo|gracias por todo)[ .!,]+(?:\w+ ){0,4}?(?:los quiero|adios|cuidense|me despido)"
        r"(?!.*\b(?:nos vemos|hasta (?:luego|pronto|la proxima|el \w+)|la proxima semana))",
        r"me despido[ ,.!]+(?:\w+[ ,]+){0,4}?(?:gracias por todo|los quiero|adios|perdon)",
        r"(?:sorted|sorting|getting|got|put|putting) (?:out )?my affairs(?: in order)?",
        r"(?:i want|want) you (?:all )?to know (?:that )?(?:it|this) (?:was not|is not|will not be) (?:your"
        r"|anyones) fault(?= *(?:$|[.,!]))",
        r"make sure my \w+ (?:goes|go|gets|get|is|are) (?:to|taken care|looked after)",
        r"(?:gave|given|giving) (?:away )?my (?:dog|cat|pets?|bird|puppy|kitten) (?:away|to)",
        r"(?:said|saying|say) (?:my )?goodbyes? to (?:everyone|everybody|my family|them all|all of you)",
        r"(?:ya )?me (?:despedi|estoy despidiendo) de (?:todos|mi familia|ustedes|todo el mundo)",
        # Last messages for someone else: "please tell my mom I love her".
        r"(?:please )?(?:tell|let) (?:my \w+|everyone|them|her|him|the kids) (?:know )?(?:that )?i (?:love"
        r"|loved|am sorry|was sorry)",
        r"(?:dile|diganle|digale|diles|diganles) (?:a )?(?:mi \w+|mis \w+|todos) que (?:la|lo|los|les"
        r"|las) (?:quiero|amo|extranare)",
        # No future use for belongings: "I won't need them anymore".
        r"(?:will not|not going to|do not) need (?:to \w+(?: care of)? )?(?:them|it|him|her|this|these|those|my \w+"
        r"|anything|any of (?:it"
        r"|this|them))(?: \w+)? (?:anymore|any more|any longer|where i am going|after (?:tonight|today))",
        r"ya no (?:lo|la|los|las) (?:voy a necesitar|necesito|necesitare)",
        r"adios para siempre",
        r"adios a todos",
        r"adios mundo",
        r"esta es mi despedida",
        r"me despido (?:de todos|para siempre|de ustedes)",
        r"(?:cuida|cuiden|cuidar|cuidenme) (?:a |de )?mis? (?:perro|perrita|gato|gatito|hij[oa]s?"
        r"|mascotas?)(?: por mi| cuando)",
        r"(?:regale|regalando|he regalado|regalar) (?:todas )?mis cosas",
        r"(?:este es )?mi ultimo mensaje",
        r"ya no (?:me )?(?:van a ver|veran|sabran de mi)",
        r"cuando ya no (?:este|estoy)(?! (?:en|con|de|trabajando|aqui en|viviendo))",
        unless=re.compile(
            _GIVEAWAY_BENIGN.pattern + "|" + _AWAY_BENIGN.pattern + "|" + _MEDIA.pattern + "|" + _SEE_YOU.pattern
        ),
        self_subject=True,
    ),
    # --- Self-harm ---------------------------------------------------------------------------------
    _rule(
        "crisis.self_harm",
        Level.CRISIS,
        rf"(?:cut(?:ting)?|burn(?:ed|ing|t)?|hurt(?:ing)?|harm(?:ed|ing)?|scratch(?:ed|ing)?|bash(?:ed|ing)?"
        rf"|punch(?:ed|ing)?|hit(?:ting)?|starv(?:e|ed|ing)|carv(?:e|ed|ing)) {_ME}",
        r"(?:cut|cutting|burn(?:ed|ing|t)?|scratch(?:ed|ing)?|carv(?:e|ed|ing)|slic(?:e|ed|ing)) (?:into )?my"
        r" (?:arms?|wrists?|legs?|thighs?|skin|stomach|hips?|chest|hands?)",
        r"(?:hit(?:ting)?|bang(?:ed|ing)?|punch(?:ed|ing)?|slam(?:med|ming)?) my (?:head|fists?"
        r"|hands?) (?:against|into|on) (?:the |a )?(?:wall|floor|door|mirror)",
        r"self harm\w*",
        r"sh (?:again|relapse)",
        r"relapsed? (?:on|with|into) (?:sh|self harm|cutting)",
        r"cut(?:ting)? (?:again|my (?:wrists?|arms?|legs?|thighs?|skin|stomach|hips?))",
        r"(?:started|start|back to|urge to|urges to|want to|going to|need to|craving|thinking about|used to"
        r"|i|relapsed|relapsed and|and|from|stopped|quit)"
        r" cut(?:ting)?(?! (?:back|down|out|off|carbs|sugar|ties|class|hair|my hair|the|it|them|grass|wood"
        r"|paper|meat|vegetables|veggies|onions?|fruit|bread|cake|pizza|cheese|chicken|fabric|coupons|my (?:finger"
        r"|nails|hair|hand)|a |an |some|corners|costs|in line))",
        r"cortarme(?! el| la| las u| los| pelo)",
        r"cortandome(?! el| la| las u| los| pelo)",
        r"(?:me estoy haciendo|me hago|me hice|haciendome) cortes",
        # Injury "on purpose": "punched the wall til my knuckles bled on purpose".
        r"(?:hurt|cut|burn\w*|hit|punch\w*|bruis\w*|bled|bleed\w*|scratch\w*|bang\w*)(?: \w+){0,6} (?:on purpose"
        r"|a proposito)",
        r"(?:til|till|until) (?:it|i|my \w+) (?:bled|bleeds|was bleeding)",
        r"me (?:estoy|sigo) cortando(?! el| la)",
        r"me (?:acabo de|acabe de|volvi a|vuelvo a|he vuelto a|empece a|puse a|sigo) (?:cortar|lastimar|quemar"
        r"|golpear|rasgunar|hacer dano)(?: (?:los|las|el|la|mis?) (?:brazos?|munecas?|piernas?|muslos?|venas|piel"
        r"|panza|estomago))?(?= *(?:$|[.,!]| otra vez| de nuevo| a proposito| con| hoy| anoche))",
        r"me he cortado(?! el| la)",
        r"me corte(?! (?:el|la|los|las|un|una|con) )",
        r"me cortaba",
        r"me corto(?! (?:el|la|los|las|un|una|con) )",
        r"(?:i )?cut (?:deep|deeper|too deep)(?: this time| again| tonight| last night| than i (?:meant|wanted))",
        r"(?:cut|hurt|burn|cutting|hurting|burning)(?: myself)? (?:just )?to feel (?:something|anything|better"
        r"|in control|alive|real)",
        r"(?:queme|me queme|corte|me corte|rasgue|lastime|me lastime) (?:mi|mis|el|los) (?:brazo|brazos|pierna"
        r"|piernas|muneca|munecas|piel|muslo|muslos)",
        r"me (?:corte|cortaba|he cortado|estoy cortando) (?:los|las|mis) (?:brazos|piernas|munecas|venas|muslos)",
        r"lastimarme",
        r"me lastime",
        r"me lastimaba",
        r"me estoy lastimando",
        r"(?:hacerme|me hice|me hago|me estoy haciendo) dano",
        r"autolesion\w*",
        r"(?:quemarme|me queme|me estoy quemando)(?! (?:con el sol|al sol|cocinando))",
        unless=_ACCIDENT,
        self_subject=True,
    ),
    # --- Harm to others -----------------------------------------------------------------------------
    _rule(
        "crisis.harm_others",
        Level.CRISIS,
        # One intent, several acts: "I'm going to hurt him", "run him over", "shoot up the school".
        rf"{_HARM_INTENT} (?:\w+ ){{0,2}}?(?:{_HARM_VERB} {_PERSON}"
        rf"(?! (?:feelings|at|in (?:a|the) game|to|with (?:kindness|my words)|a text|a message|up)\b)"
        rf"|run(?:ning)? {_PERSON} over|run(?:ning)? over {_PERSON}|hit(?:ting)? {_PERSON} with my car"
        rf"|shoot(?:ing)? up (?:my|the|a|that) (?:school|office|work|workplace|church|mall|class|party|store)"
        rf"|beat the (?:crap|shit|hell|life|living daylights) out of {_PERSON})",
        r"homicidal",
        r"make (?:him|her|them|everyone|those \w+)(?: all)? (?:bleed|suffer)",
        r"(?:going to|want to|will|about to|plan(?:ning)? to|gonna) (?:bring|take) (?:a|my|the|his|dads|my dads) (?:gun"
        r"|knife|weapon|rifle|pistol) to (?:school|work|class|the office|church|the party|the mall)",
        r"(?:lo|la|los|las|le) (?:voy a|quiero|tengo ganas de) (?:mata?r|lastimar|golpear|apunalar"
        r"|hacer dano)",
        r"(?:voy a|quiero) (?:matarlo|matarla|matarlos|lastimarlo|lastimarla|golpearlo|golpearla|apunalarlo"
        r"|apunalarla|hacerle dano)",
        r"(?:voy a|quiero|tengo ganas de|pienso|pensando en|me dan ganas de) (?:mata?r|lastimar|golpear"
        r"|apunalar|herir"
        r"|atropellar|envenenar|dispararle|hacerle dano) (?:a|al|a los|a las) (?:mi|mis|ese|esa|el|la|alguien|todos"
        r"|\w+)(?! (?:de (?:risa|hambre|sueno)|tiempo|el tiempo|la tarde|el rato))",
        r"(?:le|les) (?:voy a|quiero|tengo ganas de) (?:pegar|dar|meter|soltar) (?:un|unos|dos) (?:tiro|tiros|balazo"
        r"|balazos|plomazo)",
        unless=_JOKE_THREAT,
    ),
    _rule(
        "crisis.harm_others",
        Level.CRISIS,
        r"(?:i am|i will|i|i am going to|i want to|i might|i plan to|i am about to|i swear i will) (?:just )?(?:bring"
        r"|bringing|take|taking|carry|carrying|pack|packing|load|loading) (?:a|my|the|his|dads|my dads) (?:loaded )?"
        r"(?:gun|knife|weapon|rifle|pistol|shotgun|emo_gun|emo_knife)(?: \w+){0,2}? (?:to (?:school|work|class|the"
        r" office|church|the party|the mall|his|her|their|them)|tomorrow|tonight|today|on monday|next time|with me)",
        r"(?:voy a (?:llevar|traer)|llevo|llevare|traigo|traere|me llevo) (?:la|mi|el|una|un) (?:pistola|arma|cuchillo"
        r"|navaja|rifle|emo_gun|emo_knife)(?: \w+){0,2}? (?:a la escuela|al trabajo|a la oficina|a clase|manana|hoy"
        r"|esta noche|conmigo)",
        unless=re.compile(
            _JOKE_THREAT.pattern + r"|\b(?:hunt\w*|range|camping|fishing|cook\w*|chef|kitchen|knife set|sharpen\w*"
            r"|gun show|repair\w*|clean\w*|caza\w*|campamento|pesca|cocin\w*|armeria|taller)\b"
        ),
    ),
    # --- Danger or abuse happening now --------------------------------------------------------------
    _rule(
        "crisis.danger",
        Level.CRISIS,
        rf"{_ABUSER} (?:is |are |keeps |just |has been |been |was "
        rf"|started )?{_ABUSE_VERB} me{_NOT_ABUSE_AFTER}",
        r"(?:threatened|threatening|threatens|said|says|swore|told me|tells me)(?: that)? (?:(?:he|she"
        r"|they)(?: would| will"
        r"| is going to| are going to| was going to)?|hed|shed|theyd|hell|shell|theyll|to) kill me",
        rf"{_ABUSER}(?: \w+){{0,4}} (?:has|got|grabbed|pulled(?: out)?|is holding|is waving|took out) (?:a"
        rf"|his|her|the|my) (?:gun|knife|weapon|pistol|bat)",
        r"(?:he|she|my (?:husband|wife|boyfriend|girlfriend|bf|gf|partner|ex)) (?:will not|does not|is not"
        r"|would not) let(?:ting)? me (?:leave|call (?:anyone|for help|the police|911))",
        rf"{_ABUSER} (?:\w+ )?(?:keeps|kept|keep|always|has been|started|comes|came) (?:coming|sneaking"
        rf"|getting|come|sneak) (?:in|into) (?:my|the) (?:room|bed|bedroom)",
        r"(?:i am|i) not safe(?! (?:driving|to drive|on the roads?|in (?:the )?(?:snow|rain|traffic)))",
        r"(?:i )?(?:do not|never) feel safe (?:at home|here|with (?:him|her|them|my \w+)"
        r"|in my (?:own )?(?:house|home)|around (?:him|her))",
        r"not safe (?:at home|in my (?:own )?(?:house|home)|with (?:him|her)|aqui)",
        r"(?:someone|somebody|a (?:guy|man|car|stranger)|he|they) (?:is |are |keeps |has been "
        r"|been )?following me(?! on)",
        r"(?:i am )?being followed",
        r"(?:someone|somebody|he|they) (?:is |are )?(?:trying to )?break(?:ing)? in(?:to)?",
        rf"{_ABUSER} (?:\w+ )?(?:broke|fractured|bruised|split|dislocated) my (?:arm|nose|ribs?|jaw|lip|wrist|finger"
        r"|face|eye|hand|leg)",
        r"(?:el|ella) me (?:va a|quiere) (?:matar|golpear|pegar|lastimar)(?! (?:cuando|si) )",
        r"(?:abusa|abuso|esta abusando|abusaba) de mi|me (?:abusa|abuso|viola|violo|toca|tocaba|manosea)",
        r"hands? (?:around|on) my (?:throat|neck)",
        r"(?:el|ella|mi (?:esposo|marido|pareja|novio|novia|papa|padre|padrastro|mama|ex)) (?:me )?(?:quiere|va a"
        r"|trata de|intenta|amenaza con) (?:pegarme|golpearme|matarme|lastimarme|ahorcarme)",
        r"(?:scared|afraid|terrified|fear) (?:for my life|of (?:him|her|my (?:husband|boyfriend|partner|ex"
        r"|dad|father|stepdad)))",
        r"(?:scared|afraid|terrified) (?:that )?(?:(?:he|she|they)(?: will| is going to| might| would)?|hell"
        r"|shell|theyll|hed|shed) (?:\w+ )?(?:hurt|kill|hit|beat|find|choke|come back for) me",
        rf"(?:(?:he|she|they)(?: will| is going to)|hell|shell|theyll) (?:\w+ )?(?:hurt|hit|beat|choke) me"
        rf"{_NOT_ABUSE_AFTER}",
        r"(?:got|get|getting|been) (?:hit|beaten|beat up|choked|slapped|punched|kicked|strangled) (?:again(?! by (?:the"
        r"|a|an|this) )|by (?:him"
        r"|her|my (?:husband|wife|boyfriend|girlfriend|bf|gf|partner|ex|dad|father|stepdad|mom|mother)))",
        r"(?:hiding|locked myself|locked) (?:in )?(?:from (?:him|her|them)|the (?:bathroom|closet|bedroom|room))",
        rf"{_ABUSER} (?:\w+ )?(?:threw|throws|throwing|swung|pointed|aimed|held) (?:a|the|his|her) (?:knife|gun|bottle"
        rf"|chair|plate|pistol|weapon|bat) (?:at|to) me",
        # Spanish
        r"me (?:esta |estan |sigue |ha estado )?(?:pegando|golpeando|amenazando|ahorcando|lastimando"
        r"|persiguiendo)",
        r"me (?:pega|pego|golpea|golpeo|amenaza|amenazo|ahorco|ahorca|empujo|empuja|lastima|lastimo|encerro"
        r"|encierra)"
        r"(?! (?:el sol|la gripe|el virus|el covid|el resfriado|fuerte el sol|la (?:cancion|musica)))",
        r"me (?:tiene|tienen) encerrad[oa]",
        r"(?:amenazo|amenaza) con matarme",
        r"dijo que me (?:va|iba) a matar",
        r"no estoy (?:a salv[oa]|safe)",
        r"no estoy segur[oa] en (?:mi )?casa",
        r"no me siento segur[oa] (?:en (?:mi )?casa|con el|aqui)",
        r"tengo miedo de (?:el|mi (?:esposo|pareja|novio|marido|ex|papa|padre|padrastro))",
        r"alguien me (?:esta )?(?:sigue|siguiendo)",
        r"me estan siguiendo",
        r"me (?:golpeo|pego|ahorco|pateo) (?:otra vez|de nuevo)",
        r"(?:estoy )?escondid[oa] (?:de (?:el|mi \w+)|en (?:el|la|mi) (?:bano|cuarto|closet|recamara|carro))",
        past_sensitive=False,
        unless=re.compile(_LAUGH.pattern + r"|\b(?:hide and seek|playing|game|escondidas)\b"),
    ),
    _rule(
        "crisis.danger",
        Level.CRISIS,
        rf"{_ABUSER}(?: \w+){{0,8}}? (?:will not|does not|is not|would not|refuses to|never) let(?:ting|s)? me"
        rf" (?:leave|go out|get out|out|call|use (?:my|the) phone|see (?:anyone|my family|my friends))",
        r"(?:took|taken|takes|hid|hidden|hides|smashed|broke|destroyed|confiscated) (?:away )?my (?:phone|cell|keys"
        r"|car keys|passport|id|wallet)(?: \w+){0,6}? (?:i )?(?:can not|could not) (?:leave|get out|call|go)",
        r"(?:el|ella|mi (?:esposo|marido|pareja|novio|novia|papa|padre|padrastro|mama|ex))(?: \w+){0,8}? no me"
        r" (?:deja|quiere dejar) (?:salir|irme|ir|llamar|usar el telefono|ver a (?:nadie|mi familia))",
        r"me (?:quito|escondio|rompio) (?:el|mi|las|mis) (?:telefono|celular|cel|llaves)(?: \w+){0,6}? no (?:puedo"
        r"|me deja) (?:salir|irme|llamar)",
        unless=re.compile(
            _LAUGH.pattern
            + r"|\b(?:early|work|shift|office|boss|homework|chores|grounded|annoying|unfair|concert|party"
            r"|curfew|hospital|doctor|nurses?|ward|class|school|hasta|trabajo|tarea|castigad[oa]|escuela)\b"
        ),
    ),
    # --- Emoji that mean risk next to "me", "soon", "want" --------------------------------------------
    _rule(
        "crisis.emoji",
        Level.CRISIS,
        r"emo_grave",
        r"emo_coffin",
        requires=_FIRST_PERSON_OR_INTENT,
        unless=_GRAVE_BENIGN,
    ),
    _rule(
        "crisis.emoji",
        Level.CRISIS,
        rf"(?:{_ME}|my (?:wrists?|arms?|legs?|skin|thighs?)|me|i|again|otra vez|de nuevo|mi mism[oa]|mis? (?:brazos?"
        rf"|munecas?|piernas?|piel|muslos?)) (?:\w+ )?emo_knife",
        r"emo_knife(?: emo_\w+)* (?:on |into |a |en )?(?:myself|me|my (?:wrists?|arms?|legs?|skin|thighs?)|again"
        r"|emo_blood|otra vez|de nuevo|mi mism[oa]|mis? (?:brazos?|munecas?|piernas?|piel|muslos?))",
        unless=_GRAVE_BENIGN,
    ),
    # --- Suicidal thoughts coming back --------------------------------------------------------------
    _rule(
        "ideation.returning",
        Level.HIGH,
        r"(?:the|my|those|these|dark|bad) (?:dark |bad )?thoughts (?:are|have come|came|keep coming"
        r"|are coming) back",
        r"(?:having|have|had|getting) (?:those|these|the|my|dark|bad) (?:dark |bad )?thoughts again",
    ),
    # --- Hopelessness without explicit self-harm ------------------------------------------------------
    _rule(
        "hopelessness",
        Level.HIGH,
        r"nothing (?:ever |will ever |is ever going to |will |is going to |can |is )?(?:get|gets|be|change"
        r"|changes|help|helps|work|works|going to get)(?: better| right| okay)?",
        r"(?:never|not ever|will not ever|will never|is never going to|is not going to|will not|can not"
        r"|not going to) (?:going to )?(?:get|be|feel|gets) (?:any )?better(?! at)",
        r"what is (?:even )?the point(?! of (?:the|this|that|a|an|your|these|those)\b)",
        r"why (?:even )?(?:bother|try)(?! (?:with|to|asking))",
        r"(?:no|there is no|is there any|any) point (?:in )?(?:anything|trying|living|going on|being alive"
        r"|anymore|any more|to (?:anything|life|living|trying))",
        r"(?:life|everything|it all|all of this|my life) (?:is|feels|seems) (?:so )?(?:pointless|meaningless"
        r"|hopeless|useless)",
        r"(?:can not|could not) (?:do|take|handle|bear|stand|deal with|cope with|keep (?:doing|going|living)"
        r"|live like|go on)"
        r"(?: (?:this|it|this life|life|anything|any of (?:this|it)|like this))?(?: anymore| any more"
        r"| any longer| much longer)",
        r"can not go on",
        r"can not keep (?:going|doing this|doing it|living like this|living)",
        r"can not (?:take|do) (?:it|this) (?:anymore|any more)",
        r"can not (?:anymore|any more)(?= *(?:$|[.,!]))",
        r"i give up(?! on (?:this|the|my|that) (?!life|myself))",
        r"giving up on (?:everything|life|myself)",
        r"(?:i am|feel(?:ing)? like|i feel like)(?: just| such| only| nothing but)* (?:a|an) (?:burden"
        r"|waste of space|waste)",
        r"burden (?:to|on|for) (?:everyone|my \w+|you|others|them|everybody)",
        r"(?:i am|i feel|feeling|so|totally|completely) hopeless(?! at)",
        r"hopelessness",
        r"(?:there is )?no hope",
        r"(?:no|not any|zero) (?:way out|future)",
        r"(?:feel|feeling|i am) (?:so )?trapped",
        r"nothing (?:\w+ ){0,2}matters(?: anymore)?",
        r"(?:no one|nobody) (?:cares|cares about me|loves me|would care)",
        r"(?:i am|i feel|feeling|feel)(?: so| really| just| \w+ and)* (?:worthless|useless)",
        r"(?:ya )?no puedo (?:con esto|con todo|con mi vida|seguir asi)",
        # Never getting out of this: "I'll never get out of this hole", "nunca voy a salir de esto".
        r"(?:never|not ever|do not think i will ever|will not ever) (?:going to |be able to )?(?:get|make it|climb"
        r"|crawl|dig myself|find (?:a|my) way) out of (?:this|here)(?: (?:hole|pit|darkness|dark place|depression"
        r"|place))?(?= *(?:$|[.,!?]))",
        r"(?:nunca|jamas|no creo que) (?:voy a |vaya a |podre |pueda |vamos a |voy a poder |lograre )?(?:salir|salga"
        r"|escapar) (?:nunca )?de (?:esto|este (?:hoyo|pozo|agujero)|esta (?:depresion|oscuridad))(?= *(?:$|[.,!?]))",
        r"siento que estorbo",
        r"how (?:much )?long(?:er)? (?:i can|can i|i will|will i) (?:hold on|keep going|do this|last|keep this up)",
        r"(?:so )?(?:tired|exhausted|sick) of (?:everything|it all|trying|fighting|being me)",
        r"(?:done|finished) (?:with )?(?:everything|it all|trying|fighting)",
        r"(?:i am|i am just|i am so) done(?= *(?:$|[.,]))",
        r"(?:want|need) the pain to (?:stop|end)",
        r"(?:want to|wish i could|just want to) disappear(?! into| for (?:a|the) (?:weekend|while|week|bit|day))",
        r"(?:do not|no longer) care (?:anymore|what happens to me)",
        r"(?:can not|could not|do not) see (?:a way out|any way out|a future|any future|anything good"
        r"|the point|any point|things getting better|it getting better)",
        r"(?:the |my )?future (?:is|looks|feels) (?:just |so )?(?:black|dark|bleak|empty|hopeless|pointless)",
        # Spanish
        r"(?:ya )?no puedo mas(?! (?:de (?:la )?risa|con (?:este|esta|el|la) (?:calor|frio|trafico|tarea)))",
        r"ya no aguanto(?: mas)?",
        r"no aguanto mas",
        r"no lo soporto mas",
        r"(?:nada|esto|mi vida|la vida|nunca) (?:va a|nunca va a|no va a) (?:mejorar|cambiar)(?: nunca)?",
        r"nunca va a (?:mejorar|cambiar)",
        r"nada (?:nunca )?(?:cambia|mejora|sirve)",
        r"(?:nada|mi vida|la vida|esto|ya nada) (?:no )?tiene sentido",
        r"no tiene sentido(?! (?:que|lo que|eso))",
        r"no (?:le )?(?:veo|encuentro) (?:el |ningun )?sentido",
        r"sin sentido",
        r"ya nada (?:me )?(?:importa|tiene sentido)",
        r"para que (?:seguir|intentar|vivir|sigo|intento|me esfuerzo|luchar)",
        r"para que(?= *(?:[,.?!]|$))",
        r"de que sirve(?: seguir| intentar| vivir| todo)?",
        r"cual es el (?:punto|sentido)",
        r"soy una carga",
        r"(?:sin|no tengo|no hay) (?:esperanza|salida|futuro|remedio)",
        r"me rindo",
        r"(?:estoy )?(?:hart[oa]|cansad[oa]) de (?:todo|luchar|intentar)",
        r"no valgo nada",
        r"no sirvo para nada",
        r"nadie me (?:quiere|necesita)",
        r"a nadie le importo",
        r"no le importo a nadie",
        r"soy (?:un|una) (?:estorbo|carga|molestia)(?: para (?:todos|mi familia|ustedes))?",
        r"(?:me siento|estoy) atrapad[oa]",
        r"no (?:le )?(?:veo|encuentro|hay) (?:ninguna )?salida",
        r"quiero desaparecer",
        r"que todo (?:pare)",
        r"no quiero seguir asi",
        unless=re.compile(
            r"\b(?:chores|laundry|cleaning|homework|assignments?|finals|exams?|meeting|paperwork|errands|dishes)\b"
        ),
    ),
    # --- Wider wording, written from phrasings no rule above spells out ---------------------------------
    # Farewells by arrangement: letters for each person, the last message, no more replies, no one hearing from me.
    _rule(
        "crisis.goodbye",
        Level.CRISIS,
        r"(?:notes?|letters?|cartas?|notas?) (?:for|to|para|a) (?:each|every) ?(?:one|of you|of them|body)"
        r"|(?:cartas?|notas?) (?:para|a) cada uno",
        r"(?:wrote|written|writing|left|leaving|escribi|deje|les deje|dejando|escribiendo)(?: \w+){0,3} (?:notes"
        r"|letters|cartas|notas)(?: \w+){0,4} (?:for|to|para|a) (?:everyone|everybody|all of you|you all|each|todos"
        r"|cada uno|my (?:family|kids|children|parents|loved ones)|mis (?:hijos|hijas|papas|padres|hermanos"
        r"|seres queridos))",
        r"(?:letters|cartas|notes|notas) (?:for|to|para|a) (?:my|mis|mi) (?:kids|children|family|parents|loved ones"
        r"|wife|husband|partner|hijos|hijas|familia|padres|papas|esposa|esposo)(?! \w*(?:teacher|school|coach|camp))",
        r"(?:the )?(?:last|final) time (?:i will|i am going to|you will|i|i am) (?:ever )?(?:text|write|message|reply"
        r"|check in|talk to|hear from|answer|texting|writing)",
        r"(?:la )?ultima vez que (?:te |les |le )?(?:escribo|escribire|hablo|contesto|respondo|mando|sabes de mi)",
        r"(?:ultimo|ultima) (?:check ?in|mensaje|msj|texto|respuesta)",
        r"(?:my|this is my) (?:last|final) (?:reply|response|checkin)",
        r"(?:i will not|i am not going to|i will no longer|not going to|will not) be (?:replying|answering|responding"
        r"|texting|checking in|writing)(?: \w+){0,2}? (?:anymore|any more|again|after (?:today|tonight))",
        r"(?:do not|no need to) bother (?:texting|calling|checking (?:on|in on)|writing|messaging) me (?:anymore"
        r"|any more|again|after (?:today|tonight)|next week|tomorrow)",
        r"(?:ya no|nunca mas|no) (?:me )?(?:van a|vas a|volveran a|volveras a) (?:saber de mi|ver(?:me)?|oir de mi"
        r"|escuchar de mi)",
        r"(?:already|ya) (?:said|say) (?:my )?goodbyes? to|ya me despedi de",
        r"my (?:last|final) wishes|mi ultima voluntad|mis ultimos deseos",
        r"(?:irme|me voy|me ire|me vaya) (?:de aqui |de este mundo )?para siempre",
        negatable=False,
        unless=_GOODBYE_BENIGN,
        self_subject=True,
    ),
    _rule(
        "crisis.goodbye",
        Level.CRISIS,
        r"(?:where|a donde|adonde|donde) (?:i am going|voy)[ ,]+(?:i )?(?:will not|do not|no|not going to|will never)"
        r" (?:need|necesito|voy a necesitar|necesitare)",
        unless=re.compile(r"\b(?:florida|warm|hot|beach|playa|calor|trip|vacation|viaje|vacaciones|coat|abrigo)\b"),
    ),
    # Not being here for a date or much longer, in either language.
    _rule(
        "crisis.ideation.implicit",
        Level.CRISIS,
        r"(?:not|never|no longer) (?:going to )?(?:be|being|still be) (?:here|around|alive) (?:for|by|at|until|til)"
        r" (?:the next (?:check ?in|one|session|week|month)|next (?:week|month|year|time)|christmas|thanksgiving|my"
        r" (?:birthday|next birthday|\w+s (?:birthday|graduation|wedding))|the (?:holidays|weekend|new year)"
        r"|new year\w*|much longer|long)",
        r"(?:do not|not) (?:plan(?:ning)? on|expect to|intend to|see myself|think i will) (?:be|being|still be"
        r"|still being|staying) (?:here|around|alive)(?! (?:at|in|with|for (?:the|this|a) (?:party|meeting|trip)))",
        r"(?:do not think|not sure|doubt|do not see how) (?:that )?i (?:will|am going to|will still|would|can) (?:be"
        r" (?:here|around|alive)|make it|last|survive|hold on)(?: (?:for|by|to|until|til|at|on|through) (?:the |my "
        r"|next"
        r" )?(?:birthday|christmas|weekend|week|month|new year|holidays|summer|tomorrow|morning|monday|friday|night"
        r"|end of)| much longer| long)",
        r"(?:pronto|tal vez|quizas|creo que) (?:ya )?no (?:voy a |vaya a )?(?:estar|estare|seguir|seguire) (?:aqui"
        r"|por aqui|viv[oa]|mas|con ustedes)",
        r"no (?:voy a |vaya a |creo que )?(?:estar|estare|seguir|seguire|llegar|llegue) (?:aqui |por aqui |viv[oa] )?"
        r"(?:para|a|al|en|hasta) (?:navidad|mi cumpleanos|ano nuevo|fin de ano|las fiestas|el proximo ano|diciembre"
        r"|(?:el )?fin de semana|la proxima semana|manana)",
        r"ya no (?:voy a )?(?:estar|estare)(?= *(?:$|[.,!]))",
        r"(?:no|ya no) (?:le )?(?:veo|encuentro|tiene) (?:caso|sentido|razon) (?:a |de |en )?(?:seguir"
        r"|continuar)(?= *(?:$"
        r"|[.,!]| viviendo| aqui| asi| en este mundo| adelante| vivo| viva))",
        r"(?:no|ya no) (?:le )?(?:veo|encuentro|tiene) (?:caso|sentido|razon) (?:a |de |en )?(?:vivir|existir)",
        r"(?:cansad[oa]|hart[oa]|agotad[oa]) de (?:existir|estar viv[oa]|seguir viv[oa]|despertar(?:me)?|respirar)",
        unless=_NOT_HERE_BENIGN,
    ),
    # No one having to worry about me after a date: "after this weekend you won't have to worry about me".
    _rule(
        "crisis.ideation.implicit",
        Level.CRISIS,
        r"(?:you|no one|nobody|they|everyone|you all|y?all) (?:will not|will never|do not|would not|are not going to"
        r"|will no longer|is not going to) (?:have|need) to (?:worry about|deal with|put up with|take care of|bother"
        r" with|look after|carry|pay for|think about) me(?: \w+){0,3}? (?:anymore|any more|any longer|much longer"
        r"|again|after (?:this|today|tonight|tomorrow|the weekend)(?: \w+)?|soon|for long)",
        r"(?:will not|not going to|never) (?:have|need) to (?:worry about|deal with|put up with) me (?:anymore|any more"
        r"|any longer|much longer|again|soon|for long)",
        r"after (?:this|tonight|today|the weekend|this weekend|this week)[ ,]+(?:you|no one|nobody|everyone|you all)"
        r" (?:will not|will never|will no longer|do not|are not going to) (?:have|need) to",
        r"(?:ya no|no) (?:van a|vas a|tendran que|tendras que|tienen que) (?:preocupar(?:se|te)|lidiar|aguantarme"
        r"|cargar|cuidarme|soportarme)(?: (?:por|con|de) (?:mi|migo))?",
        r"(?:no one|nobody|nadie) (?:will|would|is going to) (?:have|need) to (?:worry about|deal with|put up with"
        r"|take care of|look after) me",
        unless=re.compile(
            r"\b(?:job|moving|move|trip|vacation|travel\w*|new (?:job|place|apartment)|camp|college|university"
            r"|military|married|wedding|graduat\w*|rehab|treatment|program|clinic|vacaciones|viaje|trabajo|mudanza"
            r"|me mudo|universidad|independent\w*|on my own)\b"
        ),
    ),
    # The same thing again: a history of risk and words that say it is back now.
    _rule(
        "crisis.attempt",
        Level.CRISIS,
        r"(?:it is|its|this is|it has been|it was|everything is|all of it is|they are|the (?:\w+ )?(?:thoughts|urges"
        r"|feelings) are) (?:happening|starting|coming back|back|creeping back)(?: all over)?(?: again)?(?:,? (?:and )?"
        r"(?:worse|stronger))?(?= *(?:$|[.,!]| and| but| worse| like))",
        r"(?:happening|starting|coming back|starting over) (?:all over )?again",
        r"(?:same|exact same) (?:\w+ )?(?:feeling|feelings|way|place|thoughts|urges|as)(?: \w+){0,2} (?:as |like )?"
        r"(?:before|last time|when i|back then)",
        r"(?:feel|feeling|i am|i am back|i am going|heading|going) (?:back )?(?:there|that way) again",
        r"(?:i am|feel|feeling) (?:just )?like (?:last time|before(?= *(?:$|[.,!]| my| the| i)))",
        r"(?:thoughts|urges|feelings|ideas|ganas|pensamientos)(?: \w+){0,5} (?:are|is|have come|came|keep coming"
        r"|are coming) back",
        r"(?:not sure|do not know if|do not think) i (?:will|can|am going to) (?:survive|make it through|get through)"
        r" (?:this|it)(?: time)?",
        r"(?:going to|want to|might|will|i will|think i will|plan to) (?:try|do it|attempt) (?:again|one more time)",
        r"(?:thinking|pensando) (?:about|of|en) (?:it|doing it|eso|hacerlo) (?:again|otra vez|de nuevo)",
        r"(?:have|had|got|tengo) (?:it|one|a plan|un plan) (?:again|otra vez|de nuevo)",
        r"(?:estoy|me siento|ando) (?:igual|como (?:antes|entonces|esa vez|la otra vez|la ultima vez))",
        r"igual que (?:antes|esa vez|la otra vez|la ultima vez|cuando)",
        r"como antes de(?: mi| que)",
        r"(?:las|los) mism[oa]s (?:ganas|ideas|pensamientos)",
        r"(?:me )?va a (?:pasar|volver a pasar) (?:otra vez|de nuevo)",
        r"(?:otra vez|de nuevo) (?:estoy |ando |me la paso )?(?:pensando|pienso|planeando) (?:en )?(?:eso|hacerlo|ello"
        r"|lo mismo)",
        r"(?:lo )?(?:estoy|ando) (?:pensando|planeando)(?: \w+)? (?:otra vez|de nuevo)",
        r"(?:intentarlo|hacerlo|volver a intentarlo|volver a hacerlo) (?:otra vez|de nuevo)",
        r"(?:esta vez|this time) no (?:voy a )?fallar|no voy a fallar (?:esta|otra) vez",
        r"(?:tengo|siento|having|have|feel(?:ing)?) (?:esas|estas|the same|those|these) (?:ganas|ideas|thoughts|urges"
        r"|feelings)(?: \w+)? (?:again|otra vez|de nuevo)",
        requires=_RISK_HISTORY,
        past_sensitive=False,
    ),
    # Planning with the means at hand: pills set out, a whole bottle tonight, the tracks, a researched dose.
    _rule(
        "crisis.plan.means",
        Level.CRISIS,
        rf"{_PILLS} (?:are |all )?(?:counted|lined up|laid out|set out|sorted|contad[oa]s|alinead[oa]s|separad[oa]s)"
        r"(?: out)?(?! (?:for the (?:week|month)|by day|in (?:my|the|a) (?:pill ?box|organi[sz]er)))",
        r"(?:i am|estoy|sitting|standing|lying|laying|sat|stood|sentad[oa]|parad[oa]|acostad[oa]) (?:on|at|by|en|sobre"
        r"|junto a) (?:the |las )?(?:train |railroad )?(?:tracks|vias(?: del tren)?)",
        r"cuant[ao]s? (?:pastillas|pildoras|capsulas|" + _DRUG + r")(?: \w+){0,3} (?:se necesitan|necesito|hacen falta"
        r"|son (?:letales|mortales|suficientes)|para (?:morir|matarme|no despertar))",
        r"(?:tomarme|tragarme|me voy a tomar|me tome|me trague|voy a tomar|take|swallow|swallowing|taking|took|down"
        r"|downing) (?:todo el|todo un|el|the whole|a whole|the entire|all the|the rest of the) (?:frasco|bote|bottle"
        r"|pill bottle)(?: entero| completo)?(?! (?:of|de) (?!pills|pastillas|pildoras|meds|" + _DRUG + r"))",
        self_subject=True,
        unless=re.compile(_SAFE_MEANS.pattern + "|" + _PILL_SUPPLY.pattern),
    ),
    # Danger now: trapped, hiding, followed, someone forcing a way in or threatening.
    _rule(
        "crisis.danger",
        Level.CRISIS,
        rf"{_ABUSER} (?:is |are |keeps |just |has been |started )?(?:throwing|throws|threw) (?:stuff|things|\w+"
        rf"|(?:a|the|his|her) \w+) at me",
        r"(?:someone|somebody|he|she|they|a (?:guy|man|stranger)|alguien|un (?:hombre|tipo)|el|ella) (?:keeps |is |are"
        r" |esta |sigue )?(?:trying to (?:open|get in|get into|break|force)|tratando de (?:entrar|abrir|meterse)"
        r"|quiere entrar|intenta entrar|intentando (?:entrar|abrir))(?: \w+){0,2}? (?:my|the|mi|la|a mi|in|into)?"
        r" ?(?:door|window|house|apartment|room|place|puerta|ventana|casa|cuarto|depa|departamento)?",
        r"(?:hiding|locked myself|locked|hidden) (?:in )?(?:my|the|a) (?:bathroom|closet|bedroom|room|car|basement)"
        r"(?: \w+){0,3} (?:from|because|he|she|they|while)",
        r"(?:im |i am )?hiding in (?:my|the) (?:closet|bathroom|bedroom|room|car|basement)",
        r"(?:me encerre|estoy encerrad[oa]|estoy escondid[oa]|me escondi) en (?:el|la|mi) (?:bano|closet|carro|coche"
        r"|cuarto|recamara)(?: \w+){0,4} (?:el|ella|el esta|ella esta|porque)",
        r"(?:said|says|told me|swore|threatened|threatens)(?: that)? (?:(?:he|she|they)(?: would| will| is going to"
        r"| was going to)?|hed|shed|theyd|hell|shell|theyll) (?:\w+ )?(?:hurt|hit|beat|choke|strangle|end|shoot|stab)"
        r" (?:me|my kids|the kids|us)",
        r"(?:dice|dijo|amenaza|amenazo|jura|juro) (?:que|con) (?:me )?(?:va a |iba a |van a )?(?:matar(?:me)?"
        r"|lastimar(?:me)?|golpear(?:me)?|pegar(?:me)?|hacerme dano|ahorcar(?:me)?)",
        rf"{_STALKER} (?:is |esta |just |has been |keeps )?(?:outside|in the (?:parking lot|lobby|hallway|driveway"
        r"|yard)|at (?:my|the) (?:door|window|house|apartment|work|job|school)|downstairs|afuera(?: de)?|waiting (?:for"
        r" me|outside)|en el estacionamiento)(?: \w+){0,4} (?:and (?:will not|refuses to|wont) (?:leave|go)|y no se"
        r" (?:va|quiere ir)|waiting for me|for me|esperandome|screaming|yelling|gritando|banging|golpeando)",
        r"(?:my ex|mi ex) (?:is |esta )?(?:outside|in the parking lot|at my (?:door|house|work|job)|afuera de mi"
        r" (?:casa|trabajo|depa)|en mi (?:casa|puerta|trabajo))",
        r"(?:he|she|they|el|ella|my ex|mi ex) (?:found|knows|figured out|found out|encontro|sabe|descubrio) (?:where i"
        r" (?:live|am|work|stay|moved)|my (?:new )?(?:address|location)|donde (?:vivo|estoy|trabajo))",
        r"(?:me (?:esta|estan|viene|vienen) siguiendo|(?:un|una) (?:carro|coche|auto|tipo|hombre|camioneta|senor)"
        r" me (?:esta |viene )?(?:sigue|siguiendo))(?! en (?:instagram|twitter|tiktok|redes|facebook))",
        unless=re.compile(
            _LAUGH.pattern + r"|\b(?:hide and seek|playing|game|escondidas|dog|cat|perro|gato|drop(?:ping)? off"
            r"|pick(?:ing)? up|custody|recoger|dejar a|instagram|tiktok|twitter|chores|homework|tarea|limpi\w*)\b"
        ),
    ),
    # Self-harm named by its marks, tools and habits.
    _rule(
        "crisis.self_harm",
        Level.CRISIS,
        r"(?:the|my) cutting(?! (?:board|edge|room|tool|mat|machine|garden|of|down|back|class|boards))",
        r"(?:my )?(?:arms|wrists|thighs|legs|skin) (?:are|is) (?:a mess|covered in cuts|all cut up|cut up|bleeding"
        r"|torn up|shredded)",
        r"hasta (?:sangrar|que (?:me )?sangr\w+|hacerme sangre|sacarme sangre)",
        r"(?:til|till|until) (?:it|i|my \w+|they) (?:bled|bleeds|bleed|started bleeding|was bleeding)",
        r"shd (?:again|last night|tonight|today)|(?:i|just) shd",
        r"(?:blade|razor|cutting|cuchilla|navaja|cortarme)(?: \w+){0,4} (?:is|es) (?:the only (?:thing )?(?:that )?"
        r"(?:helps|works|calms me)|lo unico que (?:me )?(?:ayuda|funciona|calma))",
        r"(?:made|make|making|left) (?:\w+ )?cuts (?:on|in|into) my",
        r"(?:hacer|hice|hago|haciendo|hacerme|volvi a hacer|vuelvo a hacer) (?:unos |mas )?cortes",
        r"new (?:cuts|scars|wounds)(?! (?:on|in) (?:the|my) (?:budget|pay|hair))|(?:cuts|cortes)(?: \w+){0,4}"
        r" (?:making|made|make|haciendo) (?:new ones|mas|otros)",
        r"(?:starv(?:e|ed|ing)|hurt(?:ing)?|punish(?:ing)?|hit(?:ting)?) (?:myself )?to punish myself",
        r"(?:me estoy|me sigo|sigo) (?:rasgunando|quemando|golpeando|lastimando|cortando)",
        r"(?:me )?golpee (?:la cabeza|mi cabeza) contra (?:la|el) (?:pared|piso|puerta)",
        r"relapsed? (?:on|with|into) (?:self harm|cutting|sh|burning)",
        r"(?:cut|cutting|hurt|hurting|burn|burning) (?:myself )?(?:again )?(?:so )?(?:so bad|badly)? ?(?:right now"
        r"|tonight)(?= *(?:$|[.,!]))",
        r"need to cut",
        unless=_ACCIDENT,
        self_subject=True,
    ),
    # Harm to others: fire, poison, a weapon in wait, "for good".
    _rule(
        "crisis.harm_others",
        Level.CRISIS,
        rf"{_HARM_INTENT} (?:\w+ ){{0,2}}?(?:burn|set fire to|torch) (?:down )?(?:his|her|their|the|that|my \w+s?)"
        r" (?:\w+ )?(?:house|car|place|apartment|home|shop|office)",
        rf"{_HARM_INTENT} (?:\w+ ){{0,2}}?(?:poison|put (?:something|bleach|rat poison|antifreeze) in) (?:his|her"
        r"|their|my \w+s?) (?:food|drink|coffee|dinner|meal|water|tea)",
        rf"waiting (?:for|on) {_PERSON} with (?:a|my|the) (?:bat|knife|gun|weapon|crowbar|hammer|machete|emo_gun"
        r"|emo_knife)",
        rf"take care of {_PERSON} (?:for good|permanently|once and for all)",
        r"(?:lo|la|los|las) (?:estoy esperando|espero|voy a esperar) con (?:un|el|mi|una|la) (?:bat|cuchillo|pistola"
        r"|arma|machete|tubo|palo|navaja|bate)",
        r"(?:voy a|quiero|tengo ganas de) (?:quemar|incendiar)(?:le|les)? (?:la|su|el) (?:casa|carro|coche|depa"
        r"|departamento)",
        r"(?:le|les) (?:voy a|quiero) (?:enterrar|clavar|meter|dar) (?:un|el|mi|unos) (?:cuchillo|navaja|punal"
        r"|balazo|balazos|tiro|tiros|plomazo)",
        r"(?:voy a|quiero) (?:enterrarle|clavarle|meterle|darle) (?:un|el) (?:cuchillo|navaja|balazo|tiro|plomazo)",
        r"(?:lo|la|los|las) (?:mato|mataria|matare|reviento|apunalo)(?= *(?:$|[.,!]| te lo juro| lo juro| en serio))",
        r"(?:tengo miedo de|me da miedo|temo|siento que voy a|podria) (?:lastimar|hacerle dano|hacerles dano"
        r"|golpear|matar|herir) a (?:mi|mis|alguien|mi bebe)",
        r"(?:les|los) (?:voy a|vamos a) hacer pagar(?! (?:la|el|los|las|lo|un|una|mi|su|por))",
        rf"make {_PERSON}(?: all)? pay(?= *(?:$|[.,!]| for (?:this|what)| tomorrow| tonight))",
        unless=_JOKE_THREAT,
    ),
    # Explicit ideation in words the rules above miss.
    _rule(
        "crisis.ideation.explicit",
        Level.CRISIS,
        rf"{_SUICIDE}(?: \w+){{0,2}} (?:is all|is the only thing|is on my mind|keeps? (?:coming|popping) (?:up|into)"
        r"|all i (?:can )?think about)",
        rf"all i (?:can )?(?:think|thinking) (?:about|of) is (?:dying|death|{_SUICIDE}|killing myself|ending it"
        r"|ending my life|not being here)",
        self_subject=True,
        unless=_MEDIA,
    ),
    # Danger now, by what the other person is doing: chasing, kicking the door in, showing up and staying.
    _rule(
        "crisis.danger",
        Level.CRISIS,
        rf"{_ABUSER} (?:is |are |keeps |just |has been )?(?:chasing|chased|following|followed) me",
        r"me (?:esta |viene |anda )?persiguiendo|me persigue",
        r"(?:kicking|kicked|banging on|pounding on|breaking down|broke down|trying to break(?: down)?|pateando"
        r"|golpeando) (?:in )?(?:the|my|la|mi) (?:\w+ )?(?:door|window|puerta|ventana)",
        r"(?:a man|a guy|a stranger|someone|somebody|alguien|un hombre|un tipo|un desconocido) (?:is |esta )?(?:in"
        r"|outside"
        r"|at|afuera de|en|by) (?:my|the|mi) (?:backyard|yard|window|windows|porch|house|driveway|patio|ventana|puerta"
        r"|casa|door)(?: \w+){0,3} (?:looking in|watching me|staring|trying|for (?:an|over an|\w+) hours?|desde hace"
        r"|mirando|viendome|and will not leave|y no se va)",
        r"looking in(?:to)? (?:my|the) windows?",
        rf"{_STALKER}(?: just)? (?:showed up|appeared|turned up|came|aparecio|llego) (?:at|to|en|a) (?:my|mi) (?:work"
        r"|job|house|door|school|apartment|place|trabajo|casa|puerta|escuela|depa)(?: \w+){0,3} (?:and (?:will not"
        r"|refuses"
        r" to) leave|y no se (?:va|quiere ir)|screaming|yelling|gritando)",
        r"(?:gritando|grita|gritandome|dice|dijo|amenazando|jura|screaming|yelling|saying|says)(?: \w+){0,2} (?:que me"
        r" (?:va|van|iba) a (?:matar|golpear|pegar|lastimar)|(?:that )?(?:he|she|they) (?:is|are) going to (?:kill|hurt"
        r"|beat) me)",
        r"(?:rompio|quito|escondio|tiro|aventó) (?:mi|el|mis|las) (?:telefono|celular|cel|llaves)",
        unless=re.compile(
            _LAUGH.pattern + r"|\b(?:dog|cat|perro|gato|drop(?:ping)? off|pick(?:ing)? up|custody|recoger|dejar a"
            r"|delivery|package|paquete|mail|plumber|landlord|game|tag|kids? (?:are|is)|playing|jugando)\b"
        ),
    ),
    # Back in the same place: a history of risk, then a feeling, plan or event said to be here again or now.
    _rule(
        "crisis.attempt",
        Level.CRISIS,
        r"(?:siento|sentir|feel|feeling|i am|estoy|ando|planning|planeando|pensando|thinking|happening|pasando|going"
        r" back|volviendo)(?: \w+){0,3}? (?:otra vez|de nuevo|again|now|ahora|all over again)",
        r"(?:otra vez|de nuevo|again|now|ahora)(?: \w+){0,3}? (?:siento|feel|feeling|planning|planeando|pensando"
        r"|thinking about it|happening|pasando|estoy as[ií]|estoy igual)",
        r"(?:ya )?(?:estoy|ando|me siento) (?:asi|igual) (?:otra vez|de nuevo)",
        r"(?:siento|feel|feeling) (?:lo mismo|the same)(?= *(?:$|[.,!]| que| as| now| again| otra| de nuevo))",
        r"(?:that|this|it) is happening (?:now|again)",
        r"(?:going|heading|falling|slipping|sliding) back (?:to|into) (?:that|the same|the) (?:\w+ )?(?:place|hole|spot"
        r"|darkness|state)",
        r"(?:not sure|do not know if|do not think) i (?:want to|would|will) (?:survive|live through) (?:the next"
        r"|another)",
        requires=_RISK_HISTORY,
        past_sensitive=False,
        unless=re.compile(
            r"\b(?:great|good|better|happy|happier|grateful|thankful|proud|healthy|stable|fine|okay|strong|clean|sober"
            r"|celebrat\w*|bien|mejor|feliz|agradecid[oa]|orgullos[oa]|tranquil[oa]|limpi[oa]|sobri[oa]|marathon"
            r"|thriving|therapy|terapia)\b"
        ),
    ),
    # Wishing not to be here, or picturing the end, in everyday words.
    _rule(
        "crisis.ideation.implicit",
        Level.CRISIS,
        r"(?:tired|sick|exhausted|cansad[oa]|hart[oa]) of (?:being here|being alive|being around|still being here)"
        r"|(?:cansad[oa]|hart[oa]) de (?:estar aqui|seguir aqui)",
        r"(?:easier|better|simpler|kinder|mejor|mas facil) (?:for (?:everyone|everybody|them|my \w+)|para (?:todos"
        r"|ellos"
        r"|mi \w+))(?: \w+){0,3} (?:if i|si) (?:just )?(?:did not wake up|never woke up|was not here|were not here"
        r"|was gone|were gone|no despertara|no estuviera|me fuera|desapareciera|died|disappeared|me muriera)",
        r"(?:picturing|imagining|i keep picturing|i keep imagining|imagino|me imagino) (?:everyone|everybody|people"
        r"|my (?:family|kids|mom|parents)|todos|a todos|mi familia)(?: \w+){0,2} (?:at|en) (?:my|mi) (?:funeral|grave"
        r"|velorio|entierro|tumba)",
        r"no (?:pienso|planeo|creo) (?:llegar|estar|seguir)(?: viv[oa]| aqui)? (?:a|al|para|hasta|en) (?:mi|el|la"
        r"|navidad|fin)",
        r"(?:ojala|quisiera|quiero) (?:me )?(?:durmiera|dormirme|dormir) y (?:ya )?no (?:volver a |volviera a )?"
        r"despert\w*",
        r"(?:do not|can not|could not) see myself (?:making it|lasting|surviving|getting) (?:to|until|through|past)",
        unless=_NOT_HERE_BENIGN,
    ),
    # A razor or lighter used on the body; bleeding that will not stop; bruises on purpose.
    _rule(
        "crisis.self_harm",
        Level.CRISIS,
        r"(?:used|use|using|took|put|ran|dragged|pressed|held|uso)? ?(?:a |the |my |la |el |mi )?"
        r"(?:razor|blade|lighter|navaja|cuchilla|encendedor|rastrillo)(?: \w+){0,2} (?:on|to|across|into|against|en"
        r"|sobre|contra) (?:my|mi|mis) (?:stomach|arms?|wrists?|legs?|thighs?|skin|hips?|chest|belly|brazos?|munecas?"
        r"|piernas?|muslos?|piel|panza|estomago)",
        r"(?:will not|would not|can not|does not|it will not) stop bleeding|no (?:para|deja) de sangrar",
        r"hasta (?:tener|dejarme|que (?:me )?(?:salieron|salgan|quedaron|quedaran)) moretones|(?:until|til|till)"
        r" (?:i|it|they) (?:bruised|had bruises)",
        r"got (?:the|my) (?:blade|razor|razors|blades) (?:out|back out)",
        unless=_ACCIDENT,
    ),
    # Arming oneself against someone at work or school: "I'll bring my gun in".
    _rule(
        "crisis.harm_others",
        Level.CRISIS,
        r"(?:i will|i am going to|i might|i swear i will|going to) (?:bring|take|carry) (?:my|a|the|dads|his) (?:gun"
        r"|rifle|pistol|knife|shotgun|weapon) (?:in|to (?:work|school|class)|with me)(?= *(?:$|[.,!]| tomorrow| tonight"
        r"| today| if| and))",
        unless=re.compile(_JOKE_THREAT.pattern + r"|\b(?:hunt\w*|range|camping|fishing|cook\w*|chef|kitchen|show)\b"),
    ),
    # Held or threatened at home: "he has me locked in", "if I call anyone he'll kill me", "someone is in my house".
    _rule(
        "crisis.danger",
        Level.CRISIS,
        rf"{_ABUSER} (?:has|have|got|tiene|tienen) me (?:locked|trapped|tied|shut)",
        r"if i (?:call|tell|leave|go|text|try|run|report)(?: \w+){0,3}[ ,]+(?:(?:he|she|they) (?:will|is going to"
        r"|would)|hell|shell|theyll|hed|shed) (?:\w+ )?(?:kill|hurt|beat|shoot|stab) me",
        r"(?:someone|somebody|a (?:man|guy|stranger)|alguien|un (?:hombre|tipo|desconocido)) (?:is |esta |just )?(?:in"
        r"|inside|broke into|got into|en|dentro de|adentro de|se metio a|se metio en) (?:my|mi) (?:house|apartment|home"
        r"|room|casa|depa|cuarto)(?! (?:is|keeps) (?:cooking|eating|cleaning|playing))",
        unless=re.compile(
            _LAUGH.pattern + r"|\b(?:cook\w*|bacon|smells?|cleaning|roommate|guest|party|plumber|repair\w*|delivery"
            r"|cocinando|fiesta|visita)\b"
        ),
    ),
    _rule(
        "crisis.danger",
        Level.CRISIS,
        rf"{_STALKER} (?:is |esta |me esta |me )?(?:waiting (?:for me )?outside|waiting for me|esperandome|esperando)",
        role=_ANCHOR,
        past_sensitive=False,
        unless=_LAUGH,
    ),
    # Back there now: on the same bridge, buying pills again, did it again.
    _rule(
        "crisis.attempt",
        Level.CRISIS,
        r"back (?:on|at|to|in) (?:that|the same) (?:\w+ )?(?:bridge|place|spot|roof|ledge|hole|edge|building|tracks)",
        rf"(?:bought|got|picked up|buying|compre|consegui|comprando) (?:more |some |new |a |the |mas |unas |las )?"
        rf"(?:{_PILLS}|rope|razors?|blades?|gun|cuerda|navajas?)(?: today| hoy| again| otra vez| de nuevo| tonight)",
        r"(?:lo )?(?:volvi|vuelvo|he vuelto) a (?:hacer(?:lo)?|intentar(?:lo)?)|(?:i )?(?:did|done) it again",
        r"(?:slipping|sliding|falling|going) back (?:into|to) (?:it|that|the same)",
        requires=_RISK_HISTORY,
        past_sensitive=False,
        unless=re.compile(r"\b(?:hik\w*|trail|walk\w*|run\w*|view|sunset|proud|great|grateful|feliz|orgullos[oa])\b"),
    ),
    _rule(
        "crisis.self_harm",
        Level.CRISIS,
        r"(?:carv\w*|cut|scratch\w*|burn\w*|etch\w*) (?:\w+ ){1,3}(?:into|on|in) my (?:arms?|wrists?|legs?|thighs?"
        r"|skin|stomach|hips?|chest|hands?)",
        r"me (?:estoy|sigo) (?:pegando|golpeando) (?:en )?(?:la cabeza|mi cabeza|las piernas|el estomago|los brazos)",
        unless=re.compile(_ACCIDENT.pattern + r"|\b(?:pen|marker|tattoo|henna|sharpie|sunscreen|sunburn)\b"),
    ),
    _rule(
        "crisis.ideation.implicit",
        Level.CRISIS,
        r"(?:the world|everyone|everything|life|todo|el mundo) (?:would|will|va a|seguiria) (?:keep (?:spinning|going"
        r"|turning)|go on|be fine|seguir (?:igual|girando)|girando) (?:without me|sin mi)",
        r"(?:quiero|quisiera|me quiero) (?:irme|desaparecer) y no volver(?: nunca| jamas| mas)?",
        r"(?:no creo que|dudo que|no se si) (?:llegue|aguante|sobreviva|dure|siga viv[oa]|este aqui) (?:a|al|hasta"
        r"|la|el|otra|mucho|mas)\b",
        unless=re.compile(
            _LAUGH.pattern + r"|\b(?:sin cobrar|dinero|paga|quincena|sueldo|money|paycheck|rent|renta|hambre|cafe"
            r"|coffee|trabajo|job|work|clase|class|exam\w*|examen)\b"
        ),
    ),
)

# Means, danger and context that only mean crisis together (see the note at the top of this section).
_CONTEXT_RULES: tuple[_Rule, ...] = (
    _rule(
        "crisis.plan.means",
        Level.CRISIS,
        _PILLS,
        r"\d+ ?(?:mg|milligrams|mgs|g|grams)",
        _WEAPON,
        r"stockpil\w*",
        rf"(?:sitting|standing|stood|sat|perched|i am|waiting|parked|here|estoy|sentad[oa]|parad[oa]|going|heading"
        rf"|driving|walking|on my way|voy|yendo) (?:on|at|by|over|onto|up on|en|sobre|to|to the|al|a la|hacia)"
        rf" (?:the |a |this |el |la |top of (?:the |a )?)?{_HEIGHT}",
        r"(?:(?:looked|looking|look) up|googl\w+|research\w*|searched|searching|busque|buscando)(?: for"
        r"| online)?(?: \w+){0,4} (?:pills?|meds|dose|to mix|rope|gun|pastillas|dosis)",
        role=_ANCHOR,
        unless=_SAFE_MEANS,
    ),
    _rule(
        "crisis.plan.substances",
        Level.CRISIS,
        r"(?:a bottle of|a fifth of|a handle of|drinking|drunk on|wasted on)? ?(?:vodka|whiskey|whisky|tequila|rum|gin"
        r"|wine|alcohol|booze|liquor|ron|trago)",
        r"(?:[5-9]|[1-9]\d+) (?:beers|drinks|shots|cervezas|tragos)",
        role=_ANCHOR,
        unless=re.compile(r"\b(?:dinner|party|celebrat\w*|glass of|cheers|birthday|wedding|bbq|cumple\w*|fiesta)\b"),
    ),
    _rule(
        "crisis.emoji",
        Level.CRISIS,
        r"emo_grave",
        r"emo_coffin",
        role=_ANCHOR,
        unless=_GRAVE_BENIGN,
    ),
    _rule(
        "crisis.attempt",
        Level.CRISIS,
        r"(?:tried|attempted|intente|lo intente)(?: it)?(?: before| antes| once| una vez| twice| dos veces)",
        r"(?:ya )?lo intente",
        r"(?:ya )?lo (?:habia|he) intentado",
        r"i (?:have )?(?:tried|attempted) it",
        role=_ANCHOR,
        past_sensitive=False,
    ),
    _rule(
        "crisis.harm_others",
        Level.CRISIS,
        r"make (?:them|him|her|everyone|those \w+|you all|all of them)(?: all)? pay",
        r"(?:he|she|they|you) (?:will|is going to|are going to) get what is coming(?: to (?:him|her|them|you))?"
        r"|(?:hell|shell|theyll) get what is coming|(?:me las|me la|se las|se la) (?:va|van) a pagar",
        role=_ANCHOR,
        unless=_JOKE_THREAT,
    ),
    _rule(
        "crisis.danger",
        Level.CRISIS,
        rf"{_ABUSER} (?:is |are )?(?:outside|at) (?:the|my) (?:door|window|house|apartment|work|room)",
        rf"{_ABUSER} (?:is |are )?(?:so |really )?(?:drunk|high|raging|furious|screaming at me|banging on)",
        r"no me deja (?:salir|irme|ir)",
        r"(?:will not|does not|is not) let(?:ting)? me (?:leave|go|out)",
        r"(?:someone|somebody|a (?:guy|man|stranger)|alguien|un (?:hombre|tipo)) (?:is |esta )?(?:outside|afuera de"
        r"|fuera de|at) (?:my|mi|the) (?:house|door|window|apartment|casa|puerta|ventana|depa|departamento)",
        # Someone raging, armed or wrecking the place: "está muy enojado", "he's breaking things".
        r"(?:el|ella|mi \w+) (?:esta |anda |viene )?(?:muy |bien |super )?(?:borrach[oa]|drogad[oa]|enojad[oa]"
        r"|furios[oa]|violent[oa])",
        r"(?:esta|anda|viene) (?:muy |bien |super )?(?:borracho|drogado|enojado|furioso|violento)",
        r"(?:esta |he is |she is |they are |is |are |keeps )?(?:rompiendo|aventando|destrozando|breaking|smashing"
        r"|throwing) (?:todo|cosas|las cosas|everything|things|stuff|the (?:tv|walls?|doors?|plates|dishes))",
        r"(?:(?:el|ella) )?(?:tiene|trae|saco|agarro) (?:un|una|el|la|su) (?:cuchillo|pistola|arma|navaja|machete)",
        r"(?:took|taken|takes|hid|hidden|smashed|broke|destroyed|me quito|me escondio|me rompio) (?:away )?(?:my|mi|el"
        r"|las|mis) (?:phone|cell|keys|car keys|telefono|celular|cel|llaves)",
        r"(?:found|knows|figured out|found out|encontro|sabe|descubrio) (?:where i (?:live|am|work|stay|moved)|my"
        r" (?:new )?(?:address|location)|donde (?:vivo|estoy|trabajo))",
        role=_ANCHOR,
        past_sensitive=False,
        unless=re.compile(
            _LAUGH.pattern + r"|\b(?:annoying|unfair|curfew|grounded|homework|chores|concert|castigad[oa]|tarea"
            r"|dog|cat|perro|gato|kids? (?:are|is)|toddler|game|partido|futbol|football|team|equipo|referee)\b"
        ),
    ),
    _rule(
        "crisis.danger",
        Level.CRISIS,
        r"(?:he|she|they|el|ella|my ex|mi ex) (?:is|are|esta|estan) (?:here|aqui|back|outside|afuera)(?= *(?:$|[.,!]))",
        r"(?:ya )?(?:llego|volvio|regreso)(?= *(?:$|[.,!]))",
        r"(?:i )?(?:can not|could not) (?:get out|leave|escape|run)(?= *(?:$|[.,!]))",
        r"no (?:puedo|me deja) (?:salir|escapar|irme)",
        r"(?:is|he is|she is) coming back",
        r"coming (?:up the stairs|into my room|to my room|for me)|(?:viene|va) (?:para|a) mi cuarto|subiendo las"
        r" escaleras",
        r"(?:can )?hear (?:them|him|her|someone|footsteps)|escucho (?:pasos|a alguien)|los (?:oigo|escucho)",
        role=_SUPPORT,
        negatable=False,
        past_sensitive=False,
    ),
    # A relapse next to a blade or pills: "relapsed. blade. again".
    _rule(
        "crisis.self_harm",
        Level.CRISIS,
        r"relaps\w*|reca[iy]\w*",
        role=_ANCHOR,
        unless=re.compile(
            r"\b(?:smok\w*|cigarettes?|vap\w*|drink\w*|alcohol|beer|diet|sugar|gambl\w*|coffee|junk food|chocolate"
            r"|fumar|cigarro\w*|tomar|chupe|dieta|azucar|cold|flu|gripa|gripe|resfriado)\b"
        ),
    ),
    # Putting affairs in order: a will, arrangements, accounts closed, things and pets handed on, notes left.
    _rule(
        "crisis.goodbye",
        Level.CRISIS,
        r"(?:wrote|made|did|finished|updated|signed|write|make|writing|making) (?:out )?(?:my|a) (?:will|testament)"
        r"(?! (?:power|call))",
        r"(?:hice|escribi|termine|hacer|haciendo) (?:mi|un) testamento",
        r"(?:made|making|finished|sorted|hice|he hecho) (?:all )?(?:the |my )?(?:final )?(?:arrangements|preparativos)",
        r"(?:deje|dejando|tengo|ya esta|esta|ya deje) todo (?:arreglado|listo|en orden|resuelto|organizado|pagado)",
        r"paid off (?:all )?(?:my )?(?:debts|everything|bills)|pague todas mis deudas",
        r"(?:everything|all my (?:stuff|things|affairs)) (?:is )?(?:in order|taken care of|sorted)",
        r"\w+ (?:gets|can have|should get|will get|is getting|keeps|se queda con|se quede con) (?:my|mi|mis) (?:car"
        r"|stuff|things|guitar|dog|cat|money|savings|jewelry|room|phone|laptop|bike|ring|pets?|carro|coche|cosas"
        r"|perro|gato|dinero|ahorros|guitarra|cuarto)",
        r"(?:my |mi )?(?:dog|cat|pets?|perro|perrita|gato|gatita|mascota) (?:is going|goes|will go|se va|se queda|se"
        r" va a quedar) (?:to|con|with)",
        r"(?:regale|regalando|he regalado|di|dare|di en adopcion) (?:a )?mi (?:perro|perrita|gato|gatita|mascota)",
        r"(?:the |my )?(?:keys|llaves|passwords?|contrasenas?|claves)(?: \w+){0,2} (?:are|is|estan|esta) (?:in|on"
        r"|under|en|sobre|debajo)",
        r"(?:the|my|las|mis|la|mi) (?:letters?|notes?|cartas?|notas?)(?: (?:for|to|para|a) (?:\w+ ){1,2})? (?:are|is"
        r"|estan|esta) (?:in|on|under|inside|en|sobre|debajo)",
        r"(?:deleting|deleted|delete|closing|closed|borrando|borre|cerrando|cerre) (?:all )?(?:of )?(?:my|mis|todas"
        r" mis) (?:accounts|social media|cuentas|redes|photos|fotos)",
        r"(?:said|saying|say) (?:my )?goodbyes? to (?:my \w+|everyone|everybody|all)",
        r"(?:leaving|going away|me voy|irme) (?:for )?(?:a long time|for good|forever|por mucho tiempo)",
        role=_ANCHOR,
        unless=re.compile(
            _GIVEAWAY_BENIGN.pattern + r"|\b(?:vacation|trip|travel\w*|vacaciones|viaje|work|trabajo|office|oficina"
            r"|surgery|cirugia|baby|bebe|shower|birthday|cumpleanos|new (?:phone|laptop)|hack\w*|password manager"
            r"|mi (?:mama|papa|abuel[oa])|my (?:mom|dad|grandma|grandpa)s|(?:his|her|their|su) (?:will|testamento))\b"
        ),
    ),
    # Means at hand and the moment chosen: "waiting for everyone to fall asleep", "I know which bridge".
    _rule(
        "crisis.plan.means",
        Level.CRISIS,
        r"(?:i have|i got|got|ya tengo|tengo) (?:everything|all|todo|what|lo que) (?:i need|ready|listo|necesito"
        r"|i need for it)(?! (?:for (?:the|my|a) (?:trip|party|class|school|move|weekend)|para (?:el|la) (?:viaje"
        r"|fiesta)))",
        r"(?:know|picked|chose|found|decided on|ya se|escogi|elegi|se) (?:exactly )?(?:which|what|cual|que|the)"
        r" (?:bridge|building|overpass|cliff|roof|puente|edificio)(?! (?:you mean|to take|to cross|we|is closed))",
        rf"(?:{_PILLS}|frasco|bottle) (?:\w+ )?(?:is |are )?(?:ready|waiting|listas?|listos?)",
        r"(?:going|heading|driving|voy|manejar|ir|caminar)(?: \w+){0,2} (?:hasta|to|al|a la|hacia) (?:el |la |the )?"
        r"(?:puente|bridge|edificio|vias|tracks|overpass)",
        r"(?:left|leaving|wrote down|deje|dejando) (?:all )?(?:my|mis) (?:passwords|account info|contrasenas|claves"
        r"|cuentas)",
        role=_ANCHOR,
        unless=_SAFE_MEANS,
    ),
    _rule(
        "crisis.plan.timing",
        Level.CRISIS,
        r"(?:waiting (?:for|until|til)|until|till|once|after|cuando|hasta que|esperando (?:a )?que) (?:everyone"
        r"|everybody|they|he|she|my \w+|todos|se|mis \w+|mi \w+)(?: is| are| goes| go| to)?(?: fall| falls| gets"
        r"| get)? (?:asleep|to sleep|to bed|out|leaves?|se duerman|duerman|se vayan|se van|salgan|left)",
        r"(?:going|doing it|going to do it|heading (?:there|over)|voy|lo hare) (?:after|despues de) (?:work|school"
        r"|class|dinner|this|el trabajo|la escuela|clases|cenar)(?= *(?:$|[.,!]))",
        r"(?:no se si|do not know if i should|not sure if i should|should i|deberia) (?:hacerlo|do it|jump|saltar"
        r"|tirarme|go through with it)",
        r"(?:just )?(?:sitting|standing|staring|looking) (?:here|down|at the (?:water|drop|cars|traffic|edge))(?= *(?:$"
        r"|[.,!]))|how (?:high|far down|cold the water)|(?:mirando|viendo) (?:hacia )?abajo",
        r"(?:is |are |esta |estan )?(?:loaded|cargad[oa]s?)",
        r"(?:esta |is |it is |so )?(?:muy|so|really|bien|tan) (?:alto|high|far down)",
        r"(?:picking|pick) (?:it|them) up (?:on |this )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday"
        r"|tomorrow|soon)|waiting period",
        r"(?:already|ya) (?:have|got|bought|tengo|compre|junte) (?:the|my|las|mis|todas las|all the|all my|enough)",
        role=_SUPPORT,
        negatable=False,
    ),
    _rule(
        "crisis.plan.timing",
        Level.CRISIS,
        r"tonight",
        r"esta noche",
        r"right now",
        r"ahorita",
        r"ahora mismo",
        r"(?:it is|its) time",
        r"(?:i am|i am finally) ready",
        r"ready(?= *(?:$|[.!]))",
        r"today is the day",
        r"this is it",
        r"(?:when|once) (?:everyone|they|he|she) (?:is|are|goes|go) (?:asleep|to sleep|to bed|out)",
        r"(?:i have|i made|made|i have got) a plan(?! (?:for|to (?:go|see|get|meet)))",
        r"figured out how",
        r"(?:know|decided) how (?:i will|i would|to) do it",
        r"(?:going to|will) do it (?:tonight|today|soon|this weekend)",
        r"(?:i )?know (?:exactly )?what (?:it is|its|they are|that is|this is) for",
        r"my mind is made up",
        r"lo voy a hacer",
        r"ya lo decidi",
        r"tengo un plan",
        r"ya tengo todo (?:listo|planeado)",
        r"ya es hora",
        r"estoy list[oa]",
        r"all of them",
        r"the whole (?:bottle|box|pack)",
        r"emo_pill emo_pill emo_pill",
        r"x ?\d{2,}",
        r"lined up",
        r"thinking about (?:it|doing it) again",
        r"pensando en (?:eso|hacerlo) (?:otra vez|de nuevo)",
        r"lo estoy pensando (?:otra vez|de nuevo)",
        r"(?:lo )?volvi a intentar(?:lo)?",
        r"(?:i )?(?:just )?want out(?= *(?:$|[.,!]| of (?:this life|life|here|everything)))",
        r"emo_sad",
        r"i am not going to make it(?= *(?:$|[.,!]))",
        r"(?:do not|no need to) bother (?:texting|calling|checking|writing)",
        r"ya tome la decision|(?:i have|i) decided|my mind is made up",
        r"(?:there is |i have |have |got )?enough(?= *(?:$|[.,!]| to))",
        r"(?:is|are|esta|estan|tengo \w+ \w+) (?:ready|listas?|listos?|preparad[oa]s?)",
        r"listas?(?= *(?:$|[.,!]))",
        role=_SUPPORT,
        negatable=False,
    ),
    _rule(
        "crisis.plan.access",
        Level.CRISIS,
        rf"(?:looking at|staring at|holding|counting|eyeing|touching) (?:the|my|a|all the|all my) (?:\w+ )?(?:pills"
        rf"|meds|bottle|emo_pill|{_WEAPON})",
        r"(?:next to|beside|in front of|with) me(?= *(?:$|[.,!]))",
        r"in my hand",
        r"(?:thinking|think|thought) about (?:the|my|those|that) (?:\w+ )?(?:pills|meds|gun|rope|knife|razor|bridge"
        r"|blade)",
        r"(?:is|are) (?:in|under|on|next to|beside|by) my (?:car|bag|room|bed|pocket|desk|drawer|nightstand"
        r"|counter|trunk|pillow)",
        r"(?:put|hid|hidden|left|keep|kept|stashed|tied|hung|set up|guarde|escondi|puse|deje) (?:\w+ ){0,3}(?:in"
        r"|under|on"
        r"|en|debajo de) (?:the|my|el|la|mi) (?:garage|closet|basement|attic|trunk|car|bag|room|bed|drawer|nightstand"
        r"|cochera|garaje|closet|sotano|carro|coche|cuarto|cama|cajon|bano)",
        r"(?:i )?know where (?:\w+ ){0,2}keeps? (?:his|her|the|their|a|my) (?:gun|rifle|pistol|shotgun|knife|pills"
        r"|meds|keys)|se donde (?:\w+ )?guarda (?:la|el|su|sus) (?:pistola|arma|rifle|pastillas)",
        rf"(?:bought|got|have|ordered|found|own|picked up|loaded|compre|tengo|consegui|ya tengo) (?:a |the "
        rf"|my |some |una |un |el |la )?(?:\w+s )?{_WEAPON}",
        role=_SUPPORT,
        unless=_SAFE_MEANS,
    ),
    _rule(
        "crisis.goodbye",
        Level.CRISIS,
        r"(?:sorry|forgive me) for everything",
        r"thank you for everything",
        r"i love you all",
        r"perdon(?:en)? por todo",
        r"perdonenme",
        r"gracias por todo",
        r"los quiero a todos",
        r"(?:goodbye|adios|bye)(?= *(?:$|[.!]))",
        r"(?:i am )?sorry(?: sam| coach)?(?= *(?:$|[.!]))",
        r"lo siento(?= *(?:$|[.!]))",
        r"emo_wave",
        r"you (?:were|have been) (?:a |the )?(?:good|great|best) (?:coach|friend|person)",
        r"(?:thanks|thank you|gracias) (?:for|por) (?:everything|todo|trying|intentarlo|tratar|all you did|todo lo que"
        r" hiciste)",
        r"(?:it is|its|this is|this was|it was) not (?:anyones|anybodys|your|yalls|any of your) fault"
        r"|no (?:es|fue) culpa de (?:nadie|ustedes|nadie mas)",
        r"(?:i am |estoy |finally |por fin )(?:at peace|en paz|tranquil[oa])(?= *(?:$|[.,!]))",
        r"(?:no one|nobody|nadie) (?:will|is going to|would|va a|tendra que) (?:have to |need to |tener que )?(?:deal"
        r" with|worry about|take care of|clean up|pay|preocuparse|encargarse|lidiar)",
        r"make sure (?:they|he|she|my \w+|everyone) (?:gets?|reads?|finds?) (?:them|it|this|these)",
        r"where i am going|a donde voy",
        r"(?:before|antes de) (?:i go|irme|me vaya)(?= *(?:$|[.,!]))",
        r"take care(?: sam| coach| of yourself| everyone| all)?(?= *(?:$|[.!]))|cuidense",
        role=_SUPPORT,
        negatable=False,
    ),
    _rule(
        "crisis.help",
        Level.CRISIS,
        r"please help",
        r"help me(?! (?:with|to|out|figure|understand|plan|find|pick|decide|get|choose|remember))",
        r"send (?:help|someone|somebody|the police|the cops)|(?:manden|mande|envien) (?:a )?(?:alguien|ayuda"
        r"|la policia)",
        r"call (?:911|the police|the cops|someone)",
        r"ayuda(?:me)?",
        r"auxilio",
        r"can not talk",
        r"no puedo hablar",
        r"can not stop (?:him|her|them)",
        r"no (?:lo|la) puedo parar",
        r"scared of myself",
        r"miedo de mi mism[oa]",
        r"(?:i am |so |really )?(?:scared|terrified|afraid)(?= *(?:$|[.,!]| to go home))",
        r"tengo (?:mucho )?miedo",
        r"banging on (?:my|the) (?:door|window)",
        role=_SUPPORT,
        negatable=False,
        past_sensitive=False,
    ),
    # Support for danger: the other person will not leave, or has been there for hours.
    _rule(
        "crisis.danger",
        Level.CRISIS,
        r"(?:and )?(?:will not|refuses to|would not) leave(?= *(?:$|[.,!]))|y no se (?:va|quiere ir)",
        r"for (?:an|over an|\d+|two|three|a couple of) hours?(?= *(?:$|[.,!]))|desde hace (?:una|\d+|dos|tres|rato"
        r"|mucho)(?: horas?)?",
        role=_SUPPORT,
        negatable=False,
        past_sensitive=False,
    ),
    _rule(
        "crisis.plan.timing",
        Level.CRISIS,
        r"(?:tonight|today|this) is the (?:night|day)|(?:hoy|esta noche) es (?:la noche|el dia)",
        r"(?:the )?water (?:looks|is|seems) (?:calm|cold|deep|peaceful|dark)|el agua (?:se ve|esta|parece)",
        r"(?:so i would|so i will|para) (?:have|tener) (?:extra|more|enough|suficientes|mas)",
        r"despues del? (?:trabajo|la escuela|clases|cenar)(?: y ya)?(?= *(?:$|[.,!]))",
        role=_SUPPORT,
        negatable=False,
    ),
)

_IDIOMS = _rx(
    r"killing it",
    r"killed it",
    r"kill(?:ing)? time",
    r"kill(?:ed|ing)? (?:the|a|my|this) (?:vibe|mood|lights?|engine"
    r"|game|bug|spider|process|app|battery|buzz|plants?)",
    r"(?:would|could|i would) kill for",
    r"kill for (?:a|an|some)",
    r"dying (?:to|for(?! real))",
    r"to die for(?! real)",
    r"(?:die|dying|died|dead) laughing",
    r"(?:is|was|are|were|it is) killing me",
    r"killing me softly",
    r"dead tired",
    r"dead serious",
    r"drop dead",
    r"deadline",
    r"dead end",
    r"over my dead body",
    r"i am dead(?= *(?:emo_laugh|lol|lmao|haha|$))",
    r"shoot me (?:a|an)",
    r"hit me up",
    rf"kill(?:ing)? {_ME} (?:laughing|at (?:the gym|work)|over|with (?:work|this)|for|to (?:get|make"
    rf"|finish))",
    rf"killing {_ME} (?:at|for|to|trying|studying|working)",
    r"(?:bored|scared|love(?:d)?) (?:it |you |this )?to death",
    r"me muero de (?:risa|hambre|sueno|ganas|calor|frio|verguenza|amor|aburrimiento|envidia)",
    r"me mata(?:n)? (?:el|la|los|las|este|esta|de)",
    r"me esta matando (?:el|la|este|esta)",
    r"mori?r(?:me)? de (?:la )?(?:risa|verguenza|hambre|calor|frio|aburrimiento|ganas)",
    r"muert[oa]s? de (?:risa|cansancio|hambre|sueno|frio|calor|miedo)",
    r"(?:hurt|hurting|hurts) (?:my|his|her|their) feelings",
)

_NEGATION = re.compile(
    r"\b(?:not|never|no(?! (?:one|body|longer|matter|joke|lie|cap|kidding))|nunca|jamas|ni|tampoco|sin"
    r"|without|nor|zero|denies|nope|asked(?: me)? (?:if|whether|about)|me pregunto si|screening)\b"
)
# Phrases that contain a negation word but do not negate what follows: "not sure if I want to live".
_UNCERTAIN = re.compile(
    r"\b(?:not sure|do not know|can not|could not|no se|no puedo dejar de|no dejo de|not going to lie|no lie"
    r"|no joke|not kidding|not joking|no longer|no miento|no estoy segur[oa] (?:de )?si|ya no|not anymore)\b"
)
_POST_NEGATION = re.compile(
    r"^\s*(?:[?:\-–]+\s*(?:no|nope|nah|never|not really|not at all|nunca|para nada)|\s*none)\b(?! one| body)"
)
_SENTENCE_BREAK = re.compile(r"[.!?\n]+")
_PAST = re.compile(
    r"\b(?:used to|years? ago|months? ago|weeks? ago|(?:a )?long time ago|back (?:when|in (?:high school"
    r"|college"
    r"|the day|\d+))|in the past|(?:when|as) i was (?:younger|a (?:kid|teen|teenager)|in (?:high school"
    r"|college)|\d+)"
    r"|as a (?:kid|teen|teenager)|in (?:high school|college|my (?:teens|twenties|20s))|last (?:year|summer"
    r"|spring|winter|fall)|(?:years?|months?|days?|weeks?) (?:clean|sober|free)|(?:clean|sober) (?:for|since)"
    r"|therapy (?:really )?helped|anniversary|aniversario|(?:\d+|a|one|two|three|four|five|six|seven|eight|nine"
    r"|ten|a few|several|many|un|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|varios) (?:years?|anos) (?:since"
    r"|after|desde)"
    r"|history of|in recovery|survivor|recovered|(?:in|back in) (?:19|20)\d\d|before(?= *(?:$|[,.;!?]| and\b"
    r"| but\b))"
    r"|hace (?:\w+ )?(?:anos|meses|tiempo|mucho)|de (?:joven|nina|nino|adolescente)|en (?:19|20)\d\d"
    r"|(?:ya )?lo (?:supere|he superado)|ya paso|quedo atras|(?:all |way )?behind me|cuando (?:era|tenia"
    r"|estaba en)|en el pasado|antes(?! de)|solia|(?:anos|meses) (?:limpi[oa]|sin)|el ano pasado)"
)
_PRESENT_OVERRIDE = re.compile(
    r"\b(?:again|otra vez|de nuevo|once more|relaps\w*|reca[iy]\w*|volvi a|vuelvo a|volviendo a|tonight"
    r"|esta noche"
    r"|right now|lately|these days|ultimamente|estos dias|last night|anoche|still (?:think|thinking|want"
    r"|wanting|feel"
    r"|feeling|have|having|get|getting|struggle|struggling)|todavia (?:pienso|quiero|siento|tengo)"
    r"|aun (?:pienso"
    r"|quiero|siento|tengo)|thinking about (?:it|doing it)|pensando en (?:eso|hacerlo)|the urges?"
    r"|(?:are|is|came|come|have come|coming) back|back (?:to|in) (?:that|the same) (?:\w+ )?place|back there)\b"
)
_PRESENT_IN_CLAUSE = re.compile(r"\b(?:now|ahora|today|hoy|currently|at the moment|this week|esta semana)\b")
_THIRD_PARTY = re.compile(
    r"\b(?:he|she|they|his|her|their|him|them|my (?!self|life|own)\w+(?: \w+)?|friend\w*|amig[oa]s?|el|ella"
    r"|ellos|movie|film|show|book|song|character|documentary|article|pelicula|serie|libro|who|someone|somebody"
    r"|people|a (?:guy|girl|man|woman|kid|person|boy))\b"
)
_FIRST_PERSON = re.compile(r"\b(?:i|i am|me|feeling|feelin|feel|yo|estoy|me siento|tengo)\b")


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    breaks_before = [m.end() for m in _SENTENCE_BREAK.finditer(text, 0, start)]
    after = _SENTENCE_BREAK.search(text, end)
    return (breaks_before[-1] if breaks_before else 0, after.start() if after else len(text))


def _clause_start(text: str, start: int) -> int:
    breaks_before = [m.end() for m in _CLAUSE_BREAK.finditer(text, 0, start)]
    return breaks_before[-1] if breaks_before else 0


def _is_negated(text: str, start: int, end: int) -> bool:
    """A negation within four words before the phrase, in the same clause, or a "? no" right after it."""
    words = text[_clause_start(text, start) : start].split()
    # Look two words further back for the hedge, so "can not stop thinking about" is seen whole.
    if _NEGATION.search(" ".join(words[-4:])) and not _UNCERTAIN.search(" ".join(words[-6:])):
        return True
    return bool(_POST_NEGATION.match(text[end:]))


def _is_past(text: str, start: int, end: int) -> bool:
    """History ("years ago I attempted") unless the reply says it is happening again or now."""
    s_start, s_end = _sentence_bounds(text, start, end)
    if not _PAST.search(text[s_start:s_end]):
        return False
    if _PRESENT_OVERRIDE.search(text):
        return False
    clause_end = _CLAUSE_BREAK.search(text, end)
    clause = text[_clause_start(text, start) : clause_end.start() if clause_end else len(text)]
    return not _PRESENT_IN_CLAUSE.search(clause)


def _is_about_someone_else(text: str, start: int) -> bool:
    """Whether the nearest subject before the phrase is someone else, as in "my friend is suicidal"."""
    before = text[_clause_start(text, start) : start]
    third = [m.end() for m in _THIRD_PARTY.finditer(before)]
    first = [m.end() for m in _FIRST_PERSON.finditer(before)]
    return bool(third) and (not first or max(third) > max(first))


@dataclass(frozen=True)
class _Finding:
    level: Level
    reason: Reason
    role: str = _RISK


def _apply(rules: Iterable[_Rule], norm: _Text, idioms: list[tuple[int, int]]) -> tuple[list[_Finding], list[Reason]]:
    """Run rules over the text; return live findings and mentions that are only history."""
    text = norm.text
    findings: list[_Finding] = []
    history: list[Reason] = []
    for rule in rules:
        for m in rule.pattern.finditer(text):
            start, end = m.start(), m.end()
            if _overlaps(idioms, start, end):
                continue
            if rule.negatable and _is_negated(text, start, end):
                continue
            if rule.self_subject and _is_about_someone_else(text, start):
                continue
            s_start, s_end = _sentence_bounds(text, start, end)
            sentence = text[s_start:s_end]
            if rule.unless is not None and rule.unless.search(sentence):
                continue
            if rule.requires is not None and not rule.requires.search(text):
                continue
            if rule.past_sensitive and _is_past(text, start, end):
                history.append(Reason("history.past_risk", norm.source(start, end)))
                break
            findings.append(_Finding(rule.level, Reason(rule.rule, norm.source(start, end)), rule.role))
            break  # one reason per rule is enough for a coach; the first match is the clearest
    return findings, history


_PILL_WORD = re.compile(_PILLS + r"|\d+ ?(?:mg|milligrams|mgs|g|grams)")


def _is_pill_word(matched: str) -> bool:
    return bool(_PILL_WORD.fullmatch(_normalise(matched).text.strip()))


def _context_findings(
    norm: _Text, idioms: list[tuple[int, int]], has_text_risk: bool, has_other_risk: bool
) -> list[_Finding]:
    """Anchors escalate next to a support, a second anchor or other risk; supports only next to risky words."""
    found, _ = _apply(_CONTEXT_RULES, norm, idioms)
    if _PRESCRIBED.search(norm.text):
        # "took my meds tonight 💊" is adherence, not a plan: a bare pill word is not a means here.
        found = [f for f in found if not (f.role == _ANCHOR and _is_pill_word(f.reason.matched))]
    anchors = [f for f in found if f.role == _ANCHOR]
    supports = [f for f in found if f.role == _SUPPORT]
    if anchors and (has_other_risk or supports or len({f.reason.rule for f in anchors}) > 1):
        return anchors + supports
    if supports and has_text_risk:
        # "I can't do this anymore. tonight": a time or plan next to hopelessness is a crisis.
        return supports
    return []


# Farewell words that mean little alone but together read as a goodbye: "gracias por todo, cuida a los demás,
# yo ya me voy". Two strong ones, or three of any kind, with no sign the conversation goes on and no good mood.
_FAREWELLS_STRONG = tuple(
    re.compile(p)
    for p in (
        r"\b(?:thanks|thank you|gracias) (?:for|por) (?:everything|todo|trying|intentarlo|all you did)\b",
        r"\b(?:i love you all|love you all|los quiero(?: a todos| mucho)?|les quiero|los amo|te quiero mucho)\b",
        r"\b(?:sorry for (?:everything|being (?:such )?a (?:burden|mess|disappointment))|forgive me|perdon(?:en)? por"
        r" (?:todo|ser (?:una carga|un estorbo))|perdonenme)\b",
        r"\b(?:(?:was not|is not|it was not|it is not|no (?:es|fue)) (?:your|their|his|her|anyones|anybodys|culpa de"
        r" (?:nadie|ustedes|ellos|mis \w+)) ?(?:fault)?)\b",
        r"\b(?:take care of (?:yourself|yourselves|each other|everyone|my \w+)|cuida(?:n|te|nse)? (?:a |de )?(?:los"
        r" demas|mi \w+|mis \w+|todos|ustedes)|cuidense)\b",
        r"\b(?:do not|please do not|no me|no) (?:wait for me|look for me|come looking|esperen|busquen)\b",
        r"\b(?:tell|dile|diles|diganle|diganles) (?:a )?(?:my|mi|mis) \w+ (?:that |que )?",
        r"\b(?:sin que (?:lo )?(?:supiera|sepa|sepan|supieran)|(?:does not|do not|did not) know it)\b",
    )
)
_FAREWELLS_WEAK = tuple(
    re.compile(p)
    for p in (
        r"\b(?:goodbye|bye|adios|emo_wave)\b",
        r"\b(?:ya me voy|me voy ya|i am going now|i have to go now|i am leaving now)\b",
        r"\b(?:sorry|lo siento)\b",
        r"\b(?:you were|fuiste) (?:a |the |un |una )?(?:good|great|best|buen|buena|gran)\b",
    )
)
_CONTINUES = re.compile(
    r"\b(?:see you|see ya|nos vemos|talk (?:soon|later|tomorrow)|hasta (?:luego|pronto|manana|la proxima)|next"
    r" (?:week|time|check ?in)|la proxima|ttyl|until next|tomorrow|manana|party|fiesta|trip|viaje|vacation"
    r"|vacaciones|graduat\w*|retir\w*|moving|new job|wedding|boda)\b"
)
_FAREWELL_MOOD_MAX = 4.5


def _farewell_findings(norm: _Text, mood: float | None) -> list[_Finding]:
    if (mood is not None and mood > _FAREWELL_MOOD_MAX) or _CONTINUES.search(norm.text):
        return []
    strong = [m for m in (p.search(norm.text) for p in _FAREWELLS_STRONG) if m]
    weak = [m for m in (p.search(norm.text) for p in _FAREWELLS_WEAK) if m]
    if len(strong) >= 2 or (strong and len(strong) + len(weak) >= 3):
        first = min(strong, key=lambda m: m.start())
        return [_Finding(Level.CRISIS, Reason("crisis.goodbye", norm.source(first.start(), first.end())))]
    return []


# --------------------------------------------------------------------------------------------------
# Mood, baseline and negative wording
# --------------------------------------------------------------------------------------------------

_VERY_LOW_MOOD = 2.5  # 1-2 pages; a "2-3" range is treated as the lower, safer reading
_LOW_MOOD = 4.5  # 3-4 is moderate; "4-5" stays moderate for the same reason
_BASELINE_DROP = 3.0
_BASELINE_MIN_HISTORY = 3

_NEGATIVE_WORDS = _rule(
    "mood.negative_words",
    Level.MODERATE,
    r"awful|terrible|horrible|horrid|miserable|depress(?:ed|ing|ion)|sad|sadness|crappy|shitty|lousy"
    r"|rough (?:day|week|night|time)",
    r"(?:bad|hard|tough|crap|shit|worst) (?:day|week|night|time|morning)",
    r"struggling",
    r"anxious|anxiety|panic(?:king| attack)?",
    r"overwhelmed|lonely|crying|cried|stressed(?: out)?|upset|empty|numb|broken|hopeless|heartbroken"
    r"|devastated|grief|grieving",
    r"(?:feeling|feel|felt|so|really|pretty|kind of|bit|very) (?:down|low|blue|bad|like crap|like shit|off"
    r"|sad|rough)",
    r"down (?:today|lately|again)",
    r"hate (?:my life|everything|myself|today)",
    r"(?:i am|feeling|feel) (?:so )?(?:lost|alone)",
    r"not (?:good|great|okay|well|doing well|doing good|fine|so good|too good)",
    r"worst",
    r"(?:muy )?triste|tristeza|mal|fatal|horrible|terrible|deprimid[oa]|depre|bajonead[oa]|de bajon"
    r"|sin animo|desanimad[oa]",
    r"agobiad[oa]|ansios[oa]|ansiedad|estresad[oa]|llorando|llore|vaci[oa]|no (?:muy )?bien|no estoy bien"
    r"|peor|pesim[oa]",
    r"(?:me siento|estoy) (?:sol[oa]|mal|fatal|horrible|perdid[oa])|angustiad[oa]|hart[oa]|destrozad[oa]",
    past_sensitive=False,
)


def _fmt(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def _mood_findings(mood: float | None, history: Sequence[float | None]) -> list[_Finding]:
    if mood is None:
        return []
    findings: list[_Finding] = []
    if mood <= _VERY_LOW_MOOD:
        findings.append(_Finding(Level.HIGH, Reason("mood.very_low", f"mood {_fmt(mood)}")))
    elif mood <= _LOW_MOOD:
        findings.append(_Finding(Level.MODERATE, Reason("mood.low", f"mood {_fmt(mood)}")))
    earlier = [h for h in history if h is not None]
    if len(earlier) >= _BASELINE_MIN_HISTORY:
        median = statistics.median(earlier)
        if median - mood >= _BASELINE_DROP - 1e-9:
            drop = Reason("baseline.drop", f"mood {_fmt(mood)} vs median {_fmt(median)}")
            findings.append(_Finding(Level.HIGH, drop))
    return findings


# --------------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------------


def _idiom_spans(norm: _Text) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _IDIOMS.finditer(norm.text)]


def _one_per_rule(reasons: Iterable[Reason]) -> tuple[Reason, ...]:
    """Keep the first (most severe) reason for each rule id so the coach sees a short list."""
    first: dict[str, Reason] = {}
    for reason in reasons:
        first.setdefault(reason.rule, reason)
    return tuple(first.values())


def assess_reply(text: str, history: Sequence[float | None] = ()) -> Assessment:
    """Triage one SMS reply: parse the mood, look for risk language, compare with the client's baseline."""
    norm = _normalise(text)
    idioms = _idiom_spans(norm)
    findings, past = _apply(_RULES, norm, idioms)
    text_risk = any(f.level.rank >= Level.HIGH.rank for f in findings)
    mood = parse_mood(text)
    mood_findings = _mood_findings(mood, history)
    very_low = any(f.reason.rule == "mood.very_low" for f in mood_findings)
    findings += _context_findings(norm, idioms, has_text_risk=text_risk, has_other_risk=text_risk or very_low)
    findings += _farewell_findings(norm, mood)
    findings += mood_findings
    if mood is None:
        findings += _apply([_NEGATIVE_WORDS], norm, idioms)[0]
    level = max((f.level for f in findings), key=lambda lvl: lvl.rank, default=Level.LOW)
    ordered = sorted(findings, key=lambda f: -f.level.rank)
    return Assessment(level, mood, _one_per_rule([f.reason for f in ordered] + past))
