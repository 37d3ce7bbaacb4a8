"""Signed, expiring, single-use links in pages: acknowledge an alert in one tap, without signing in.

A link names the alert, the coach it was sent to and the page *round* (how many times the episode
was re-triggered when the page went out): a link from the first page cannot acknowledge a later
re-trigger, and a team page carries one link per coach, so the acknowledger is that coach. Crisis
links live an hour; each page is a fresh link anyway (escalation pages again every few minutes).
Resolving needs a signed-in coach: pages link to the workspace for that, never to a signed resolve.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

LINK_LIFETIME = timedelta(hours=24)
CRISIS_LINK_LIFETIME = timedelta(hours=1)

# What a link of ours can hold, checked before anything is parsed or signed: ``[0-9]``, never ``str.isdigit``
# or ``\d`` (both accept '²' and other Unicode digits, which int() then refuses or reads), and lengths far
# below CPython's 4,300-digit int limit. An expiry is epoch seconds (10 digits until 2286); a round counts
# re-triggers of one episode. Ids are ours (``new_id``, the roster's coach ids): ASCII, so the signed message
# always encodes; a signature is 18 bytes in unpadded base64url, which ``compare_digest`` needs in ASCII.
_EXPIRES = re.compile(r"[0-9]{1,10}")
_ROUND = re.compile(r"[0-9]{1,6}")
_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")
_SIGNATURE = re.compile(r"[A-Za-z0-9_-]{24}")


class InvalidLink(ValueError):
    """A link whose signature does not match, that has expired, or that was already used."""


def link_lifetime(severity: str) -> timedelta:
    """How long a page's link acts: an hour for a crisis (a forwarded page must not act for a day)."""
    return CRISIS_LINK_LIFETIME if severity == "crisis" else LINK_LIFETIME


def workspace_root(base_url: str) -> str:
    """Where the coach workspace lives under the API's base URL (custom domain or execute-api + stage)."""
    return f"{base_url}/coach"


def workspace_alert_url(base_url: str, alert_id: str) -> str:
    """The alert's page in the coach workspace (sign-in required): where resolving happens."""
    return f"{workspace_root(base_url)}/alerts/{alert_id}"


@dataclass(frozen=True)
class AlertLink:
    """What a signed link authorises: ``action`` on ``alert_id`` by ``coach_id`` for page round ``round``
    until ``expires`` (epoch s)."""

    action: str
    alert_id: str
    coach_id: str
    round: int
    expires: int

    def _signature(self, key: bytes) -> str:
        message = f"v2|{self.action}|{self.alert_id}|{self.coach_id}|{self.round}|{self.expires}".encode()
        digest = hmac.new(key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:18]).decode()

    def use_key(self, key: bytes) -> str:
        """The key a use of this link is recorded under (single use): its signature, never guessable."""
        return f"link#{self._signature(key)}"

    def url(self, base_url: str, key: bytes) -> str:
        """The full link, e.g. ``https://…/Prod/alerts/al_…/ack?coach=c1&round=0&exp=…&sig=…``."""
        query = urlencode({"coach": self.coach_id, "round": self.round, "exp": self.expires,
                           "sig": self._signature(key)})
        return f"{base_url}/alerts/{self.alert_id}/{self.action}?{query}"

    @classmethod
    def for_page(cls, action: str, alert_id: str, coach_id: str, now: datetime, *, round: int = 0,
                 lifetime: timedelta = LINK_LIFETIME) -> AlertLink:
        return cls(action, alert_id, coach_id, round, int((now + lifetime).timestamp()))

    @classmethod
    def verify(cls, key: bytes, *, action: str, alert_id: str, coach_id: str, round: str, expires: str,
               signature: str, now: datetime) -> AlertLink:
        """The link, if its signature is ours and it has not expired; else :class:`InvalidLink`.

        A value no link of ours could carry is refused as not valid, like a tampered one: the caller learns
        nothing more, and nothing is parsed that could raise.
        """
        if not (_EXPIRES.fullmatch(expires) and _ROUND.fullmatch(round) and _ID.fullmatch(action)
                and _ID.fullmatch(alert_id) and _ID.fullmatch(coach_id) and _SIGNATURE.fullmatch(signature)):
            raise InvalidLink("this link is not valid")
        link = cls(action, alert_id, coach_id, int(round), int(expires))
        if not hmac.compare_digest(link._signature(key), signature):
            raise InvalidLink("this link is not valid")
        if now.timestamp() > link.expires:
            raise InvalidLink("this link has expired: text ACK and the code in the page instead")
        return link
