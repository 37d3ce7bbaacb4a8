"""Signed, expiring links in pages: acknowledge or resolve an alert without logging in."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

LINK_LIFETIME = timedelta(hours=24)


class InvalidLink(ValueError):
    """A link whose signature does not match, or that has expired."""


@dataclass(frozen=True)
class AlertLink:
    """What a signed link authorises: ``action`` on ``alert_id`` by ``coach_id`` until ``expires`` (epoch s)."""

    action: str
    alert_id: str
    coach_id: str
    expires: int

    def _signature(self, key: bytes) -> str:
        message = f"{self.action}|{self.alert_id}|{self.coach_id}|{self.expires}".encode()
        digest = hmac.new(key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:18]).decode()

    def url(self, base_url: str, key: bytes) -> str:
        """The full link, e.g. ``https://…/Prod/alerts/al_…/ack?coach=c1&exp=…&sig=…``."""
        query = urlencode({"coach": self.coach_id, "exp": self.expires, "sig": self._signature(key)})
        return f"{base_url}/alerts/{self.alert_id}/{self.action}?{query}"

    @classmethod
    def for_page(cls, action: str, alert_id: str, coach_id: str, now: datetime) -> AlertLink:
        return cls(action, alert_id, coach_id, int((now + LINK_LIFETIME).timestamp()))

    @classmethod
    def verify(cls, key: bytes, *, action: str, alert_id: str, coach_id: str, expires: str, signature: str,
               now: datetime) -> AlertLink:
        """The link, if its signature is ours and it has not expired; else :class:`InvalidLink`."""
        if not expires.isdigit():
            raise InvalidLink("malformed link")
        link = cls(action, alert_id, coach_id, int(expires))
        if not hmac.compare_digest(link._signature(key), signature):
            raise InvalidLink("this link is not valid")
        if now.timestamp() > link.expires:
            raise InvalidLink("this link has expired: text ACK and the code in the page instead")
        return link
