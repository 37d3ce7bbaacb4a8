"""Ports: the small interfaces the use cases need from the outside world.

Adapters in :mod:`moodline.adapters` implement them against Twilio, SNS, SES and DynamoDB;
``tests/fakes.py`` implements them in memory, with the same conditional writes and versioning, so
the use cases are tested in milliseconds. See docs/architecture.md for who implements what.

Every repository read a coach workspace needs is here too (client by id, clients of a coach,
messages between two instants, alert by id, open alerts…), so it is built on the same ports.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from moodline.domain import (
    Alert,
    AuditEntry,
    Client,
    Coach,
    InboundAnswer,
    Message,
    Page,
    ReviewMark,
    SentSms,
    Shift,
)
from moodline.triage.model import Level
from moodline.vocabulary import ClientStatus, DeliveryStatus, Rota

F = TypeVar("F", bound=Callable[..., Any])


class AlertConflict(RuntimeError):
    """An alert kept changing under a read-modify-write; the caller retries the whole operation."""


class InboundSidInFlight(RuntimeError):
    """Another delivery of this provider SID is being stored right now: its write holds the SID's claim.

    Not a fault, and nothing to keep: that delivery stores the message, or (if its own write fails)
    buffers it or answers 5xx for the provider to retry. The caller answers as a retry would.
    """


# --- the world outside ------------------------------------------------------------------------


class SmsSender(Protocol):
    def send(self, to: str, body: str, *, valid_for: timedelta | None = None) -> SentSms:
        """Send one SMS; raises :class:`moodline.domain.SmsSendError` with what to do about a refusal.

        ``valid_for``: how long the provider may hold it in its queue before dropping it unsent.
        """
        ...


class AnswerRenderer(Protocol):
    def render(self, answer: InboundAnswer) -> str:
        """The provider's body for the immediate answer to an inbound SMS (TwiML for Twilio)."""
        ...


class Pager(Protocol):
    def publish(self, page: Page) -> str:
        """Deliver one page to its coach (or the team); returns the message id."""
        ...


class Mailer(Protocol):
    def send(self, *, to: str, subject: str, html: str, text: str) -> str:
        """Send one e-mail; returns the message id."""
        ...


class Queue(Protocol):
    def send_all(self, bodies: Sequence[str], *, delay_seconds: int = 0) -> None:
        """Put every body on the queue (at least once); raises if any was refused.

        ``delay_seconds`` (0-900, SQS's bound) keeps them out of a consumer's sight that long.
        """
        ...


class OncePerKey(Protocol):
    def __call__(self, func: F, *, key_prefix: str, data_keyword: str, key_jmespath: str,
                 expires_after_seconds: int) -> F:
        """``func`` wrapped to run once per key drawn (by JMESPath) from its ``data_keyword`` argument.

        A second call with the same key returns the first call's result; a call that raises
        leaves no record, so a retry runs again.
        """
        ...


# --- repositories -----------------------------------------------------------------------------


class Clients(Protocol):
    def get(self, client_id: str) -> Client | None: ...
    def by_phone(self, phone_key: str) -> Client | None:
        """The client whose keyed phone hash is ``phone_key``."""
        ...
    def due(self, shard: int, before: datetime) -> list[Client]:
        """Clients in ``shard`` whose next probe is due before ``before``."""
        ...
    def of_coach(self, coach_id: str) -> list[Client]: ...
    def all(self) -> list[Client]: ...
    def add(self, client: Client) -> bool:
        """Store a new client; False (and nothing written) if the id is taken."""
        ...
    def schedule_next_probe(self, client: Client, next_at: datetime | None, *, shards: int) -> bool:
        """Move the next probe to ``next_at`` (None: out of the due index), conditional on the value read."""
        ...
    def set_status(self, client: Client, status: ClientStatus, *, now: datetime, shards: int) -> None:
        """Change the status and keep the due index in step: only probing clients are in it."""
        ...
    def claim_probe(self, client_id: str, local_date: str) -> Client | None:
        """Take the client's probe for ``local_date`` in one conditional write: refused (None) when the client
        is gone, neither probing nor awaiting consent (the welcome takes the day's probe), or already has that
        day's probe. Returns the client as it was before the claim."""
        ...
    def release_probe(self, client: Client, local_date: str) -> None:
        """Give a claim back (a retryable failure): the redelivered request may then send."""
        ...
    def save(self, client: Client) -> None:
        """Write profile and consent fields (coach, time, locale, consent…); status and due index are untouched."""
        ...
    def delete(self, client_id: str) -> None: ...


class Messages(Protocol):
    def record(self, message: Message, *, retention_days: int) -> Message:
        """Store a message once; a second write of the same (client, at) is refused, not duplicated."""
        ...
    def record_many(self, messages: Sequence[Message], *, retention_days: int) -> list[Message]:
        """Store new messages in as few calls as the store takes (25 a call), retrying what it left unwritten;
        returns the messages still unwritten. Unconditional: only for keys nobody else writes (a fresh SID)."""
        ...

    def record_inbound(self, message: Message, *, retention_days: int, sid_kept: timedelta) -> str | None:
        """Store an inbound message once per provider SID: the message and its SID's claim, in one write.

        Returns None when stored now; else the ``reply_sent`` of the message already stored with
        that SID (a provider's retry, or the buffered copy of a reply stored after all), which is
        then not stored again. The SID is remembered for ``sid_kept``. Raises
        :class:`InboundSidInFlight` when only the SID's claim collided with a write in progress (a
        concurrent delivery of the same SID); any other failure propagates as a fault.
        """
        ...
    def inbound_answered(self, sid: str) -> str | None:
        """The ``reply_sent`` of the inbound message stored with ``sid`` (strongly consistent), if any."""
        ...
    def get(self, client_id: str, at: str) -> Message | None: ...
    def between(self, client_id: str, start: datetime, end: datetime) -> list[Message]:
        """A client's messages with ``start <= at < end``, oldest first."""
        ...
    def by_sid(self, sid: str) -> Message | None: ...
    def advance_delivery_status(self, message: Message, status: DeliveryStatus, rank: int,
                                error_code: int | None) -> bool:
        """Record a status unless the stored one is as far or further along; returns whether it changed."""
        ...
    def link_alert(self, client_id: str, at: str, alert_id: str) -> None:
        """Name the alert a stored reply led to, unless it names one already; nothing else of it changes."""
        ...
    def save_assessment(self, message: Message, *, mood: float | None, level: Level, reasons: list[str],
                        alert_id: str | None, review: bool = False) -> bool:
        """Store triage's verdict; ``review``: a coach should read this reply today (the review inbox).

        False, and nothing written, when the message no longer exists (its client was erased)."""
        ...
    def unscored_replies(self, since: datetime) -> list[Message]:
        """Replies since ``since`` that have no level yet (ops, after a scoring outage: may scan)."""
        ...
    def delete_of_client(self, client_id: str) -> int: ...


class Alerts(Protocol):
    def get(self, alert_id: str) -> Alert | None: ...
    def get_many(self, alert_ids: Sequence[str]) -> list[Alert]:
        """The alerts with these ids, in batches (eventually consistent); ids not found are left out."""
        ...
    def open_episode(self, alert: Alert, *, replacing: str | None = None) -> bool:
        """Create ``alert`` and point its client at it, atomically; False if another episode is open.

        ``replacing`` is a resolved alert the client may still point at (a resolve that died before
        it released the pointer): the new episode may take its place.
        """
        ...
    def update(self, alert_id: str, change: Callable[[Alert], Alert | None]) -> Alert | None:
        """Read, apply ``change`` (None: nothing to change), save conditional on the version read; retry.

        Returns the alert as saved (or as read when nothing changed), None if it does not exist;
        raises :class:`AlertConflict` if it keeps changing under us.
        """
        ...
    def close_episode(self, alert: Alert) -> None:
        """Release the client's pointer to ``alert`` (only if it still points at it)."""
        ...
    def pending(self) -> list[Alert]:
        """Every alert waiting for an acknowledgement (the sparse escalation index, whole alerts)."""
        ...
    def unresolved(self) -> list[Alert]:
        """Every open or acknowledged alert (an index of them: cost ∝ unresolved alerts, not the history)."""
        ...
    def resolved_between(self, start: datetime, end: datetime) -> list[Alert]:
        """Alerts resolved in ``[start, end)``, by resolve time (an index: cost ∝ those alerts)."""
        ...
    def resolved(self) -> Iterable[Alert]:
        """Every resolved alert (ops: replay; may scan)."""
        ...
    def of_client(self, client_id: str, start: datetime, end: datetime) -> list[Alert]:
        """Alerts of one client opened in ``[start, end)``, oldest first."""
        ...
    def delete_of_client(self, client_id: str) -> int: ...


class OnCall(Protocol):
    def shift_at(self, rota: Rota, at: datetime) -> Shift | None:
        """The shift of ``rota`` covering ``at``: the latest start at or before it, if not yet ended."""
        ...
    def put(self, shift: Shift) -> None: ...


class Coaches(Protocol):
    def get(self, coach_id: str) -> Coach | None: ...
    def by_phone(self, phone_key: str) -> Coach | None: ...
    def all(self) -> list[Coach]: ...
    def put(self, coach: Coach) -> None: ...
    def delete(self, coach_id: str) -> None: ...


class Reviews(Protocol):
    """Coaches' marks on replies in the review inbox (the human net behind triage)."""

    def mark(self, mark: ReviewMark) -> bool:
        """Record a mark; the first mark of a reply wins (False: it was already marked).

        Either way the reply leaves :meth:`waiting`."""
        ...
    def waiting(self, since: datetime, clients: Collection[str] | None = None) -> list[tuple[str, str]]:
        """(client id, message key) of every reply received since ``since`` that awaits a review
        (:func:`moodline.domain.awaits_review`) and has no mark, oldest first; cost ∝ those replies.

        ``clients``: only theirs (one coach's inbox), and only their marks are read."""
        ...
    def of_client(self, client_id: str, since: datetime) -> list[ReviewMark]:
        """Marks of replies of one client received since ``since``."""
        ...
    def with_mark(self, mark: str, since: datetime) -> list[ReviewMark]:
        """Every mark of one kind made since ``since`` (``should_have_paged``: the triage misses)."""
        ...


class AuditLog(Protocol):
    def record(self, entries: Sequence[AuditEntry]) -> None: ...
    def of_client(self, client_id: str) -> list[AuditEntry]: ...


class CoachSends(Protocol):
    """One SMS per workspace form submission (a double tap, a resubmitted form send once)."""

    def claim(self, submission_id: str, *, coach_id: str, client_id: str, at: datetime) -> bool:
        """Claim a submission; False if it was already claimed."""
        ...
    def release(self, submission_id: str) -> None:
        """Forget a claim whose send failed, so the same form can be tried again."""
        ...


class Claims(Protocol):
    """Unique keys held by one owner, claimed with a conditional write (never a read-then-write).

    ACK codes (``ack#<code>`` → alert id), single-use links (``link#<signature>``), one role per
    phone (``phone#<hash>`` → ``client:<id>`` / ``coach:<id>``), and counters of bad ACK codes.
    A claim with ``expires_at`` is free again once that instant has passed (TTL removes it later).
    """

    def claim(self, key: str, owner: str, *, now: datetime, expires_at: datetime | None = None) -> bool:
        """Hold ``key`` for ``owner``; False (nothing written) if a live claim already holds it."""
        ...
    def owner(self, key: str, *, now: datetime) -> str | None:
        """Who holds ``key`` now (strongly consistent), if anyone."""
        ...
    def release(self, key: str, owner: str) -> None:
        """Free ``key`` if ``owner`` still holds it."""
        ...
    def tally(self, key: str, *, now: datetime, window: timedelta) -> int:
        """Add one to the counter ``key`` (a fresh one lives ``window`` from now); returns the new count."""
        ...
    def count(self, key: str, *, now: datetime) -> int:
        """The counter ``key`` now (0 once its window is over)."""
        ...


class PagerSubscriptions(Protocol):
    def confirmed_coaches(self) -> set[str]:
        """Coach ids that a confirmed pager subscription delivers their own pages to (by its filter)."""
        ...


class DeadLetters(Protocol):
    def receive(self, limit: int) -> list[tuple[str, str]]:
        """Up to ``limit`` dead letters as (receipt, body), hidden from other readers for a while."""
        ...
    def delete(self, receipts: Sequence[str]) -> None:
        """Remove dead letters that were dealt with."""
        ...


class RepositoryHolder(Protocol):
    """Anything that holds every repository (the composition root, the test World)."""

    @property
    def clients(self) -> Clients: ...
    @property
    def messages(self) -> Messages: ...
    @property
    def alerts(self) -> Alerts: ...
    @property
    def on_call(self) -> OnCall: ...
    @property
    def coaches(self) -> Coaches: ...
    @property
    def claims(self) -> Claims: ...
