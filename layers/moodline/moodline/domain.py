"""The values the use cases work on: clients, messages, alerts, coaches, shifts, SMS in and out, pages.

Plain frozen dataclasses, free of any storage or provider: the DynamoDB adapter maps its rows to
and from them, the Twilio adapter parses its webhooks into them, and the fakes in ``tests/`` keep
them in dictionaries. Instants that are stored (``opened_at``, ``escalate_at``…) stay ISO-8601
UTC strings, as stored: they sort and compare as text, which the key schemas rely on.
"""

from __future__ import annotations

import re
import secrets
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from moodline.crisis_lines import country_of
from moodline.schedule import CheckinTime, from_iso, to_iso
from moodline.triage.model import Level
from moodline.vocabulary import (
    AlertEvent,
    AlertStatus,
    ClientStatus,
    DeliveryStatus,
    Direction,
    MessageKind,
    Outcome,
    Refusal,
    Rota,
)


@dataclass(frozen=True)
class Client:
    """An enrolled client. The phone number is stored once, with the client, in a KMS-encrypted table."""

    client_id: str
    coach_id: str
    display_name: str  # first name or initials: minimal PII
    phone_e164: str
    phone_hash: str
    timezone: str
    checkin_time: str  # "HH:MM" local
    enrolled_at: str
    locale: str = "en-US"
    status: ClientStatus = ClientStatus.ACTIVE
    consented_at: str | None = None
    due_shard: int | None = None
    next_probe_at: str | None = None
    last_probe_date: str | None = None
    open_alert_id: str | None = None
    # Consent (double opt-in): how it was given. By SMS: the YES's MessageSid and text; on file:
    # ops' note of who took it and how. The welcome asking for it is sent at most twice.
    consent_sid: str | None = None
    consent_text: str | None = None
    consent_note: str | None = None
    welcomes_sent: int = 0
    welcomed_at: str | None = None
    country: str | None = None  # ISO 3166 alpha-2, for crisis lines; None: from the E.164 number
    review_all: bool = False  # a language triage cannot read: every reply goes to a human

    @property
    def checkin(self) -> CheckinTime:
        return CheckinTime.parse(self.checkin_time, self.timezone)


def country_for(client: Client) -> str | None:
    """The client's country for crisis lines: the explicit field, else the E.164 number's."""
    return client.country or country_of(client.phone_e164)


def in_due_index(status: ClientStatus, consented_at: str | None) -> bool:
    """Whether a client in ``status`` belongs in the due index: probing, or waiting for the YES to a welcome."""
    return (status is ClientStatus.ACTIVE and consented_at is not None) or status is ClientStatus.PENDING_CONSENT


def message_key(at: datetime, sid: str) -> str:
    """The sort key of a message: sortable time, then the provider's SID for uniqueness."""
    return f"{to_iso(at)}#{sid}"


def inbound_sid_key(sid: str) -> str:
    """The claim an inbound MessageSid holds once received: a provider's retry of it collides there."""
    return f"inbound#{sid}"


@dataclass(frozen=True)
class Message:
    """One SMS in or out. Inbound replies keep their text (needed to re-score); outbound keep a kind only."""

    client_id: str
    at: str  # message_key(): "<ISO UTC>#<SID>", time-ordered and unique
    sid: str
    direction: Direction
    kind: MessageKind
    local_date: str
    body: str | None = None  # inbound text only
    status: DeliveryStatus | None = None  # delivery status of outbound messages
    status_rank: int | None = None  # position of ``status`` in the provider's lifecycle (never goes back)
    error_code: int | None = None
    reply_sent: str | None = None  # what the webhook answered: an InboundOutcome
    mood: float | None = None
    level: Level | None = None
    reasons: tuple[str, ...] = ()
    alert_id: str | None = None
    expires_at: datetime | None = None
    coach_id: str | None = None  # who sent it, for a coach's text (kind ``coach``)
    review: bool = False  # triage says a coach should read this reply today

    @property
    def received_at(self) -> datetime:
        return from_iso(self.at.split("#", 1)[0])


@dataclass(frozen=True)
class TimelineEntry:
    at: str
    event: AlertEvent
    detail: str = ""


@dataclass(frozen=True)
class Alert:
    """One episode of risk for one client: every risky reply, page and acknowledgement on one timeline.

    Changed only by :mod:`moodline.alerting`; ``version`` is the store's optimistic lock, which the
    state machine carries along and never reads.
    """

    alert_id: str
    client_id: str
    coach_id: str  # the client's own coach
    level: Level
    opened_at: str
    ack_code: str
    status: AlertStatus = AlertStatus.OPEN
    reasons: tuple[str, ...] = ()
    replies: tuple[str, ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()
    paged_to: str | None = None
    paged_steps: tuple[str, ...] = ()
    paged_coaches: tuple[str, ...] = ()  # every coach a page went to ("team": no per-coach page): may ACK
    retriggers: tuple[str, ...] = ()
    escalate_at: str | None = None  # set while waiting for an acknowledgement
    escalation_step: int = 0
    acknowledged_by: str | None = None
    acknowledged_at: str | None = None
    resolved_by: str | None = None
    resolved_at: str | None = None
    outcome: Outcome | None = None
    version: int | None = field(default=None, compare=False)

    @property
    def pending(self) -> bool:
        """Waiting for an acknowledgement: the escalation clock runs."""
        return self.escalate_at is not None


@dataclass(frozen=True)
class Shift:
    """A shift of a rota: from ``starts_at`` until ``ends_at``, a primary and an optional backup."""

    rota: Rota
    starts_at: str
    ends_at: str
    primary_coach_id: str
    backup_coach_id: str | None = None


@dataclass(frozen=True)
class Coach:
    """A coach: who gets pages (by SNS subscription on ``coach_id``) and the weekly e-mail."""

    coach_id: str
    name: str
    email: str
    phone_hash: str | None = None  # lets a coach text ACK <code>; the number itself is not kept


@dataclass(frozen=True)
class Page:
    """One page: the step of one alert, to one coach (or the team)."""

    alert_id: str
    step: str
    coach_id: str
    severity: str
    subject: str
    body: str


@dataclass(frozen=True)
class SentSms:
    """What the SMS provider answered for one message."""

    sid: str
    status: DeliveryStatus
    rank: int = -1  # the status's position in the provider's lifecycle


class SmsSendError(Exception):
    """The provider refused a message; ``refusal`` says what to do about it."""

    def __init__(self, message: str, *, refusal: Refusal, code: int | None = None,
                 http_status: int | None = None) -> None:
        super().__init__(message)
        self.refusal = refusal
        self.code = code
        self.http_status = http_status

    @property
    def recipient(self) -> bool:
        """Whether the refusal is about the number (opted out, invalid), not our setup."""
        return self.refusal.about_recipient


@dataclass(frozen=True)
class InboundSms:
    """An inbound SMS: only the fields Moodline uses."""

    message_sid: str
    account_sid: str
    from_number: str
    to_number: str
    body: str


@dataclass(frozen=True)
class DeliveryReport:
    """A delivery status callback for one outbound message, ranked and classified by the provider's adapter."""

    message_sid: str
    status: DeliveryStatus | None  # None: a state Moodline does not track
    rank: int  # position in the provider's lifecycle; a status never moves back
    error_code: int | None = None
    refusal: Refusal | None = None  # for a failed delivery: why, in our terms


@dataclass(frozen=True)
class InboundAnswer:
    """The immediate answer to an inbound SMS: a text, or nothing. The SMS adapter renders it (TwiML)."""

    text: str | None = None


SHOULD_HAVE_PAGED = "should_have_paged"  # the review mark that is a triage miss


@dataclass(frozen=True)
class ReviewMark:
    """A coach's verdict on one reply in the review inbox: seen_fine, follow_up or should_have_paged."""

    client_id: str
    message_key: str  # the reply's ``Message.at``
    mark: str
    coach_id: str
    at: datetime


@dataclass(frozen=True)
class AuditEntry:
    """One view of a client's messages: who, which client, when, and from which page."""

    coach_id: str
    client_id: str
    at: datetime
    what: str  # alert | thread | inbox


def new_id(prefix: str, at: datetime | None = None) -> str:
    """A time-sortable opaque id such as ``al_18c1f2a3b4c_9f2e1d``."""
    millis = int((at or datetime.now(UTC)).timestamp() * 1000)
    return f"{prefix}_{millis:011x}_{secrets.token_hex(4)}"


def id_time(identifier: str) -> datetime | None:
    """When :func:`new_id` made ``identifier`` (to the millisecond); None for an id of another shape."""
    parts = identifier.split("_")
    if len(parts) != 3 or len(parts[1]) != 11:
        return None
    try:
        return datetime.fromtimestamp(int(parts[1], 16) / 1000, UTC)
    except ValueError:
        return None


# The due index's shards are 0 .. DUE_SHARDS_MAX - 1 whatever DUE_SHARDS is: the scheduler reads all of
# them every tick, so a client written under any allowed count is read, and changing DUE_SHARDS is safe.
# Raising this is safe (it widens what the scheduler reads); lowering it could strand clients.
DUE_SHARDS_MAX = 16


def shard_of(client_id: str, shards: int) -> int:
    """The due-index shard of a client: stable, evenly spread (crc32, not Python's salted hash)."""
    if not 1 <= shards <= DUE_SHARDS_MAX:
        raise ValueError(f"shards must be 1..{DUE_SHARDS_MAX}, got {shards}")
    return zlib.crc32(client_id.encode()) % shards


# --- the review inbox ------------------------------------------------------------------------------

_BARE_RATING = re.compile(r"\s*(?:mood\s*)?(?:10|\d)(?:[.,]\d)?\s*(?:/\s*10|/\s*5)?\s*[.!]*\s*", re.IGNORECASE)


def has_words(body: str | None) -> bool:
    """Whether a reply carries anything beyond a bare rating ("4", " 3.5 ", "2/5")."""
    return bool(body and body.strip()) and not _BARE_RATING.fullmatch(body or "")


def awaits_review(message: Message) -> bool:
    """What the review inbox holds until a coach marks it: a reply with words, or one triage flagged."""
    return (message.direction is Direction.INBOUND and message.kind is MessageKind.REPLY
            and (message.review or has_words(message.body)))


# Replies awaiting review are indexed under REVIEW_SHARDS keys (by client), so the replies of a check-in
# slot spread over several index partitions; a reader reads them all. Fixed: changing it strands replies.
REVIEW_SHARDS = 8


def review_shard(client_id: str) -> int:
    return shard_of(client_id, REVIEW_SHARDS)
