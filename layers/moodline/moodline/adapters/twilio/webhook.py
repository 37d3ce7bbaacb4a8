"""Twilio webhooks behind API Gateway: the signature check, the form parsed into domain values, TwiML out.

The check, in order (issue 8 §1, §2, §4):

1. HTTP basic auth, when the secret configures it (Twilio first calls without credentials and
   expects a 401 challenge, then repeats the call with them);
2. the signature: ``X-Twilio-Signature`` over the URL exactly as Twilio called it plus the sorted
   form, HMAC-SHA1 with the auth token - or, when ``X-Twilio-Webhooks-Signature-Settings`` names
   ``HMAC_SHA256`` (a Webhooks Rule), with the rule's shared key. During a rotation the previous
   token is accepted until ``previous_valid_until``;
3. the form's ``AccountSid`` is the configured account.

Every rejection names its cause (:class:`RejectCause`), never a phone number, a text or a key:
enough to tell a rotated token (``stale_token``) from a wrong PublicBaseUrl (``bad_signature``).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import itertools
import math
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from twilio.request_validator import HMAC_SHA1, HMAC_SHA256, RequestValidator, get_signature_algorithm
from twilio.twiml.messaging_response import MessagingResponse

from moodline.adapters.twilio.codes import rank_of, refusal_of, status_of
from moodline.credentials import TwilioWebhookCredentials
from moodline.domain import DeliveryReport, InboundAnswer, InboundSms
from moodline.events import BadEvent, form_of, request_url


class BadWebhook(BadEvent):
    """A request that is not a well-formed Twilio webhook: answered 4xx, never 5xx (Twilio would retry)."""


class RejectCause(StrEnum):
    """Why a webhook was refused: logged (no PII) so ops can tell a rotation from a misconfiguration."""

    MISSING_HEADER = "missing_header"  # no X-Twilio-Signature: not Twilio, or a proxy strips it
    BAD_SIGNATURE = "bad_signature"  # no key signs this URL + form: wrong PublicBaseUrl, a new token, a forgery
    STALE_TOKEN = "stale_token"  # noqa: S105 - signed with the previous token after its grace period: finish the rotation
    WRONG_ACCOUNT = "wrong_account"  # genuinely signed, but for another Twilio account
    MALFORMED_CREDENTIALS = "malformed_credentials"  # our secret holds a placeholder: fail closed (503)
    # Signed with HMAC-SHA256 (a Webhooks Rule), and the secret holds no shared key: a forgery that names the
    # algorithm, or a rule whose key ops have not added. 403 either way: anyone can send the header, so it
    # must not buy a 5xx; the rejection alarm tells ops, and this cause names the fix.
    NO_SHARED_KEY = "no_shared_key"
    BAD_BASIC_AUTH = "bad_basic_auth"  # wrong user or password in the webhook URL


class InvalidSignature(BadWebhook):
    """The request is not one Twilio signed for this account and URL: answered 403 (503 if our secret is a
    placeholder)."""

    def __init__(self, cause: RejectCause) -> None:
        super().__init__(f"webhook rejected: {cause.value}")
        self.cause = cause

    @property
    def status_code(self) -> int:
        # Our own misconfiguration is a 503: Twilio retries (connection overrides) and tries the
        # Fallback URL, and nothing signed with a key anyone can read is ever trusted.
        if self.cause is RejectCause.MALFORMED_CREDENTIALS:
            return 503
        return 401 if self.cause is RejectCause.BAD_BASIC_AUTH else 403


class AuthChallenge(BadWebhook):
    """Basic auth is configured and the request carries none: Twilio's first call, answered 401 + challenge."""


# Twilio's message SIDs are "SM" or "MM" and 32 hex digits; bounded here, loosely, because a SID is a
# DynamoDB key (at most 1,024 bytes in a sort key) and goes into logs: anything else is not Twilio's, 400.
_MESSAGE_SID = re.compile(r"(?:SM|MM)[0-9A-Za-z]{1,62}")


def parse_inbound(form: Mapping[str, str]) -> InboundSms:
    """Validate the fields of an inbound-message webhook."""
    sid = form.get("MessageSid") or form.get("SmsMessageSid") or ""
    sender = form.get("From") or ""
    if not _MESSAGE_SID.fullmatch(sid) or not sender:
        raise BadWebhook("not an inbound message webhook (MessageSid and From are required)")
    if not sender.isascii():
        # Twilio sends E.164 or an ASCII sender id; full-width digits (５５５…) are not a phone number.
        raise BadWebhook("From is not an ASCII phone number or sender id")
    return InboundSms(sid, form.get("AccountSid", ""), sender, form.get("To", ""), form.get("Body", ""))


def parse_status(form: Mapping[str, str]) -> DeliveryReport:
    """Validate a status callback, and rank and classify it in Moodline's terms."""
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    raw_status = (form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
    if not _MESSAGE_SID.fullmatch(sid) or not raw_status:
        raise BadWebhook("not a status callback (MessageSid and MessageStatus are required)")
    raw_code = form.get("ErrorCode") or ""
    # Twilio's error codes are five digits; a longer "number" is no code (and int() refuses 4,300+ digits).
    code = int(raw_code) if raw_code.isascii() and raw_code.isdigit() and len(raw_code) <= 9 else None
    status = status_of(raw_status)
    refusal = refusal_of(code) if code is not None and status is not None and status.failed else None
    return DeliveryReport(sid, status, rank_of(status), code,
                          refusal if refusal is not None and refusal.about_recipient else None)


def verified_form(event: Mapping[str, Any], credentials: TwilioWebhookCredentials, public_base_url: str = "",
                  *, now: datetime) -> dict[str, str]:
    """The form of a webhook request once basic auth, the signature and the account are checked.

    Raises :class:`AuthChallenge` (401, no alarm: Twilio's first call) or :class:`InvalidSignature`
    with its cause.
    """
    headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}
    if credentials.basic_auth is not None:
        _check_basic_auth(headers.get("authorization"), credentials.basic_auth)
    form = form_of(event)
    signature = headers.get("x-twilio-signature")
    if not signature:
        raise InvalidSignature(RejectCause.MISSING_HEADER)
    algorithm = get_signature_algorithm(headers.get("x-twilio-webhooks-signature-settings"))
    urls = list(signed_url_candidates(event, public_base_url, credentials.basic_auth))
    if algorithm.upper() == HMAC_SHA256:
        if not credentials.shared_key_secret:
            raise InvalidSignature(RejectCause.NO_SHARED_KEY)
        if not _signed_by(credentials.shared_key_secret, urls, form, signature, HMAC_SHA256):
            raise InvalidSignature(RejectCause.BAD_SIGNATURE)
    elif not _signed_by(credentials.auth_token, urls, form, signature, algorithm):
        previous = credentials.previous_auth_token
        if not previous or not _signed_by(previous, urls, form, signature, algorithm):
            raise InvalidSignature(RejectCause.BAD_SIGNATURE)
        if credentials.previous_valid_until is None or now > credentials.previous_valid_until:
            raise InvalidSignature(RejectCause.STALE_TOKEN)
    account = form.get("AccountSid", "")
    if not account:
        raise BadWebhook("not a Twilio webhook (AccountSid is required)")  # signed, but malformed: 400
    if not hmac.compare_digest(account.encode(), credentials.account_sid.encode()):
        raise InvalidSignature(RejectCause.WRONG_ACCOUNT)
    return form


def _check_basic_auth(authorization: str | None, expected: tuple[str, str]) -> None:
    if not authorization:
        raise AuthChallenge("basic auth required")
    scheme, _, encoded = authorization.partition(" ")
    try:
        user, _, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        user = password = ""
    # Both halves compared in constant time, and both always compared.
    good = hmac.compare_digest(user.encode(), expected[0].encode()) & hmac.compare_digest(
        password.encode(), expected[1].encode())
    if scheme.lower() != "basic" or not good:
        raise InvalidSignature(RejectCause.BAD_BASIC_AUTH)


def _signed_by(key: str, urls: list[str], form: Mapping[str, str], signature: str, algorithm: str) -> bool:
    validator = RequestValidator(key)
    return any(validator.validate(url, dict(form), signature, algorithm) for url in urls)


def signature_is_valid(auth_token: str, url: str, form: Mapping[str, str], signature: str | None,
                       algorithm: str = HMAC_SHA1) -> bool:
    """Twilio's own check (HMAC over URL + sorted params, constant-time compare) for one URL."""
    if not signature:
        return False
    return bool(RequestValidator(auth_token).validate(url, dict(form), signature, algorithm))


# --- the URL Twilio called ------------------------------------------------------------------------

UNRESERVED = "-._~"
# What a hand-written URL usually leaves literal in a query value (RFC 3986 sub-delims and pchar
# extras), minus the separators '&', '=', '#' and the ambiguous '+'.
LITERAL = UNRESERVED + "!$'()*,;:@/?"
MAX_CANDIDATES = 256


def signed_url_candidates(event: Mapping[str, Any], public_base_url: str = "",
                          basic_auth: tuple[str, str] | None = None) -> Iterator[str]:
    """Every spelling of the URL Twilio may have signed for this request, most likely first.

    Twilio signs the URL as configured, query encoding included; API Gateway's REST event gives the
    query only decoded (``multiValueQueryStringParameters``), so ``%20`` and ``+`` (and ``+`` and
    ``%2B``) cannot be told apart. A raw query, when the event has one (``rawQueryString``), is used
    as is; otherwise each ambiguous character is tried both ways. Every candidate decodes to the
    same parameters, so accepting any of them accepts nothing a forger could choose: the HMAC
    still needs the key.
    """
    base = request_url(dict(event, multiValueQueryStringParameters=None), public_base_url)
    bases = [base]
    if basic_auth is not None:  # whether Twilio signs the credentials in the URL is not documented
        parts = urlsplit(base)
        netloc = f"{quote(basic_auth[0], safe='')}:{quote(basic_auth[1], safe='')}@{parts.netloc}"
        bases.append(urlunsplit(parts._replace(netloc=netloc)))
    raw = event.get("rawQueryString")
    if isinstance(raw, str):
        queries: list[str] = [raw] if raw else [""]
    else:
        queries = list(_query_spellings(event.get("multiValueQueryStringParameters") or {}))
    seen: set[str] = set()
    for query in queries:
        for prefix in bases:
            url = prefix + (f"?{query}" if query else "")
            if url not in seen:
                seen.add(url)
                yield url


def _query_spellings(query: Mapping[str, Any]) -> Iterator[str]:
    pairs = [(str(k), str(v)) for k, values in query.items() for v in (values or [])]
    if not pairs:
        yield ""
        return
    # Uniform spellings first (what a URL built by one tool looks like), each also as tools that write
    # lower-case hex (.NET's UrlEncode) and that escape "~" (encoders before RFC 3986) spell it...
    uniform = ["&".join(f"{_enc(k, safe, space)}={_enc(v, safe, space)}" for k, v in pairs)
               for safe, space in ((UNRESERVED, "%20"), (LITERAL, "%20"), (UNRESERVED, "+"), (LITERAL + "+", "%20"))]
    spellings = uniform + [query.replace("~", "%7E") for query in uniform]
    yield from dict.fromkeys(spellings + [_lower_hex(query) for query in spellings])
    # ...then every character the decoded event cannot tell apart, each both ways, across the whole
    # query: with up to log2(MAX_CANDIDATES) = 8 of them every spelling is tried. A mix of spellings
    # in one value is real: quote_plus("+ ") is "%2B+", which a plus-keeping decoder shows as "++".
    choices: list[tuple[str, ...]] = []
    for index, (key, value) in enumerate(pairs):
        if index:
            choices.append(("&",))
        choices.extend(_char_spellings(ch) for ch in key)
        choices.append(("=",))
        choices.extend(_char_spellings(ch) for ch in value)
    # Beyond that the search would be the sender's to size: the uniform spellings above are all.
    if math.prod(len(c) for c in choices) <= MAX_CANDIDATES:
        yield from ("".join(spelling) for spelling in itertools.product(*choices))


def _char_spellings(ch: str) -> tuple[str, ...]:
    """How one decoded character may have been written in the URL Twilio signed."""
    if ch == " ":
        return ("%20", "+")
    if ch == "+":
        return ("+", "%2B")
    if ch in LITERAL and ch not in UNRESERVED:
        return (ch, quote(ch, safe=""))
    return (quote(ch, safe=UNRESERVED),)


def ambiguous_characters(text: str) -> int:
    """How many characters of a decoded query have more than one spelling (see ``_char_spellings``)."""
    return sum(len(_char_spellings(ch)) > 1 for ch in text)


def _lower_hex(query: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda escape: escape.group(0).lower(), query)


def _enc(text: str, safe: str, space: str) -> str:
    return quote(text, safe=safe).replace("%20", space)


class TwimlRenderer:
    """:class:`moodline.ports.AnswerRenderer` for Twilio: the answer as a TwiML ``<Response>``."""

    content_type = "application/xml"

    def render(self, answer: InboundAnswer) -> str:
        reply = MessagingResponse()
        if answer.text:
            reply.message(answer.text)
        return str(reply)
