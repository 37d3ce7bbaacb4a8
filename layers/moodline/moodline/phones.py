"""Phone numbers: E.164 normalisation and the keyed hash that indexes clients by phone."""

from __future__ import annotations

import hashlib
import hmac
import re

# ASCII digits only: \d (and str.isdigit) also match full-width and other Unicode digits, which
# would pass here and then fail to hash (issue 8 §11).
_E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
_SEPARATORS = re.compile(r"[\s().\-]")


class InvalidPhoneNumber(ValueError):
    """The text is not a phone number Moodline can text (E.164, or a 10-digit US number)."""


def normalize_e164(raw: str, *, default_country_code: str = "1") -> str:
    """Return ``raw`` as E.164 (``+15555550123``); a bare 10-digit number is taken as North American."""
    compact = _SEPARATORS.sub("", raw.strip())
    if not compact.isascii():
        raise InvalidPhoneNumber("not an E.164 phone number (ASCII digits only)")
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not compact.startswith("+"):
        if len(compact) == 10 and compact.isdigit():
            compact = f"+{default_country_code}{compact}"
        elif len(compact) == 11 and compact.startswith("1") and compact.isdigit():
            compact = "+" + compact
    if not _E164.match(compact):
        raise InvalidPhoneNumber("not an E.164 phone number")
    return compact


def phone_hash(key: bytes, e164: str) -> str:
    """Keyed hash of an E.164 number: the lookup key, so a table dump alone cannot be reversed by brute force."""
    return hmac.new(key, e164.encode("ascii"), hashlib.sha256).hexdigest()


def redact(e164: str) -> str:
    """A form safe to show an operator: country code and last two digits only."""
    return e164[:2] + "…" + e164[-2:] if len(e164) > 4 else "…"
