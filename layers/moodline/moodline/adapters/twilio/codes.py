"""Twilio's error codes and delivery statuses, in Moodline's terms. Pure: no ``twilio`` import."""

from __future__ import annotations

from moodline.vocabulary import DeliveryStatus, Refusal

# The recipient opted out at the carrier: stop the client.
OPTED_OUT_CODES = frozenset({21610})
# The number cannot take our SMS: invalid 'To' (21211), unreachable carrier route (21612), not a
# mobile number (21614), unknown destination handset (30005), landline or unreachable carrier (30006).
UNREACHABLE_CODES = frozenset({21211, 21612, 21614, 30005, 30006})
# Throttling and queue pressure: worth retrying after a pause (RapidPro marks these retryable too).
RETRYABLE_CODES = frozenset({20429, 30001, 63018})

DESCRIPTIONS = {
    21211: "invalid 'To' number",
    21610: "recipient opted out",
    21612: "unreachable carrier route",
    21614: "not a mobile number",
}


def refusal_of(code: int | None, http_status: int | None = None) -> Refusal:
    """What a Twilio error means for us.

    Anything not about the recipient and not transient (bad credentials 20003, bad sender 21606,
    region not enabled 21408) is our configuration: it must alarm, never unenrol clients.
    """
    if code in OPTED_OUT_CODES:
        return Refusal.OPTED_OUT
    if code in UNREACHABLE_CODES:
        return Refusal.UNREACHABLE
    if code in RETRYABLE_CODES or http_status is None or http_status == 429 or http_status >= 500:
        return Refusal.RETRYABLE
    return Refusal.CONFIGURATION


# Twilio delivery states in order; callbacks can arrive out of order, and a status never moves back.
STATUS_ORDER: dict[DeliveryStatus, int] = {
    DeliveryStatus.ACCEPTED: 0,
    DeliveryStatus.QUEUED: 1,
    DeliveryStatus.SENDING: 2,
    DeliveryStatus.SENT: 3,
    DeliveryStatus.DELIVERED: 4,
    DeliveryStatus.UNDELIVERED: 4,
    DeliveryStatus.FAILED: 4,
    DeliveryStatus.READ: 5,
}


def status_of(raw: str) -> DeliveryStatus | None:
    """The delivery status Twilio names ``raw``, or None for one Moodline does not track."""
    try:
        return DeliveryStatus(raw.lower())
    except ValueError:
        return None


def rank_of(status: DeliveryStatus | None) -> int:
    return STATUS_ORDER.get(status, -1) if status is not None else -1
