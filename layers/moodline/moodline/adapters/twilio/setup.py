"""Twilio's side of the webhook, set and checked from code (issue 8 §3): ``moodline twilio configure|check``.

Twilio does not retry an inbound-SMS webhook by default, so redelivery is part of the setup, not a
README suggestion: the inbound URL carries connection overrides (``#rc=…&rp=…``: retry on connect
and read timeouts and on 5xx), and a Fallback URL gets one more chance after those. Both are set
on the Messaging Service when there is one (and the service's webhook is made to win over the
number's), else on the sender number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Retry twice (rc, at most 5) on connect timeouts, read timeouts and 5xx (rp); fail fast on a dead
# connection (ct, ms) and leave a cold start room to answer (rt, ms). Twilio caps it all at 15 s.
CONNECTION_OVERRIDES = "#ct=2000&rt=6000&rc=2&rp=ct,rt,5xx"


@dataclass(frozen=True)
class InboundWebhook:
    """What Twilio should call for an inbound SMS."""

    url: str
    fallback_url: str
    method: str = "POST"


def desired(public_base_url: str) -> InboundWebhook:
    """The inbound webhook and its fallback for the API at ``public_base_url`` (stage included)."""
    base = public_base_url.rstrip("/")
    if not base.startswith("https://") and not base.startswith("http://127.0.0.1"):
        raise ValueError("the public base URL must be https")
    inbound = f"{base}/twilio/inbound"
    return InboundWebhook(url=inbound + CONNECTION_OVERRIDES, fallback_url=f"{inbound}?attempt=fallback")


def _number(client: Any, from_number: str) -> Any:
    numbers = client.incoming_phone_numbers.list(phone_number=from_number, limit=1)
    if not numbers:
        raise LookupError("the sender number is not in this Twilio account")
    return client.incoming_phone_numbers(numbers[0].sid)


def configure(client: Any, want: InboundWebhook, *, messaging_service_sid: str = "", from_number: str = "") -> str:
    """Set the webhook, the fallback and the retries on Twilio; returns what was configured."""
    if messaging_service_sid:
        client.messaging.v1.services(messaging_service_sid).update(
            inbound_request_url=want.url, inbound_method=want.method, fallback_url=want.fallback_url,
            fallback_method=want.method, use_inbound_webhook_on_number=False)
        return f"messaging service {messaging_service_sid}"
    number = _number(client, from_number)
    number.update(sms_url=want.url, sms_method=want.method, sms_fallback_url=want.fallback_url,
                  sms_fallback_method=want.method)
    return "sender number"


def check(client: Any, want: InboundWebhook, *, messaging_service_sid: str = "", from_number: str = "") -> list[str]:
    """What differs between Twilio's configuration and ``want`` (empty: all is as it should be)."""
    if messaging_service_sid:
        service = client.messaging.v1.services(messaging_service_sid).fetch()
        found = {"inbound URL": service.inbound_request_url, "inbound method": service.inbound_method,
                 "fallback URL": service.fallback_url, "fallback method": service.fallback_method,
                 "service webhook wins over the number's": not service.use_inbound_webhook_on_number}
    else:
        number = _number(client, from_number).fetch()
        found = {"inbound URL": number.sms_url, "inbound method": number.sms_method,
                 "fallback URL": number.sms_fallback_url, "fallback method": number.sms_fallback_method,
                 "service webhook wins over the number's": True}
    expected = {"inbound URL": want.url, "inbound method": want.method, "fallback URL": want.fallback_url,
                "fallback method": want.method, "service webhook wins over the number's": True}
    return [f"{name}: is {found[name]!r}, should be {value!r}" for name, value in expected.items()
            if str(found[name]).upper() != str(value).upper()]
