"""What the workspace needs from the rest of Moodline, and nothing more.

Plain frozen values go in and out, so the views never see a repository: ``moodline.workspace.adapters``
implements these over the ports of :mod:`moodline.ports` (built by the composition root). Tests use
in-memory fakes of these two (``tests/workspace_fakes.py``) or the adapters over ``tests/fakes.py``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from moodline.domain import AuditEntry, ReviewMark, has_words
from moodline.vocabulary import Direction, MessageKind

REVIEW_MARKS = ("seen_fine", "follow_up", "should_have_paged")
OUTCOMES = ("true_alarm", "false_alarm", "follow_up")


@dataclass(frozen=True)
class ClientView:
    """A client as the workspace shows them. ``phone`` is only ever rendered after sign-in."""

    client_id: str
    coach_id: str
    name: str
    phone: str
    timezone: str
    status: str  # active | stopped | unreachable
    open_alert_id: str | None = None


@dataclass(frozen=True)
class MessageView:
    """One SMS in or out. ``key`` is the message's sort key (unique per client)."""

    client_id: str
    key: str
    at: datetime
    direction: str  # inbound | outbound
    kind: str  # probe | reply | keyword | resources | notice | coach
    body: str | None = None
    mood: float | None = None
    level: str | None = None
    reasons: tuple[str, ...] = ()
    review: bool = False  # triage says a coach should read this today
    alert_id: str | None = None
    coach_id: str | None = None  # who sent it, for kind == coach
    reply_sent: str | None = None  # what the webhook answered an inbound message with (crisis, ack, ...)

    @property
    def awaits_review(self) -> bool:
        """Whether the review inbox holds it until a mark: :func:`moodline.domain.awaits_review` on a view."""
        return (self.direction == Direction.INBOUND and self.kind == MessageKind.REPLY
                and (self.review or has_words(self.body)))


@dataclass(frozen=True)
class TimelineView:
    at: datetime
    event: str
    detail: str


@dataclass(frozen=True)
class AlertView:
    alert_id: str
    client_id: str
    coach_id: str  # the client's own coach
    level: str
    status: str  # open | acknowledged | resolved
    opened_at: datetime
    reasons: tuple[str, ...]
    replies: tuple[str, ...]  # message keys of the replies that raised it
    timeline: tuple[TimelineView, ...] = ()
    paged_to: tuple[str, ...] = ()  # every coach (or "team") this alert paged
    acknowledged_by: str | None = None
    outcome: str | None = None


@dataclass(frozen=True)
class CoachView:
    coach_id: str
    name: str




@dataclass(frozen=True)
class Sent:
    """The outcome of texting a client: sent (or already sent for this submission), or refused."""

    ok: bool
    duplicate: bool = False
    error: str = ""
    message: MessageView | None = None


@dataclass
class Identity:
    """The signed-in coach, from a verified ID token."""

    coach_id: str
    email: str
    admin: bool = False
    expires_at: int = 0
    groups: tuple[str, ...] = field(default_factory=tuple)


class WorkspaceData(Protocol):
    """Reads and the workspace's own records (audit, review marks)."""

    def alert(self, alert_id: str) -> AlertView | None: ...
    def open_alerts(self) -> list[AlertView]: ...
    def client(self, client_id: str) -> ClientView | None: ...
    def clients_of(self, coach_id: str) -> list[ClientView]: ...
    def all_coaches(self) -> list[CoachView]: ...
    def alerts_of_client(self, client_id: str, since: datetime, until: datetime) -> list[AlertView]: ...
    def messages(self, client_id: str, since: datetime, until: datetime) -> list[MessageView]: ...
    def awaiting_review(self, since: datetime, clients: Collection[str] | None = None) -> list[tuple[str, str]]:
        """(client id, message key) of every reply received since ``since`` that waits for a coach's mark
        (of ``clients`` only, when given), at a cost that follows the replies waiting, not the clients."""
        ...
    def record_audit(self, entries: list[AuditEntry]) -> None: ...
    def record_review(self, mark: ReviewMark) -> bool: ...


class WorkspaceActions(Protocol):
    """The use cases a coach triggers from the workspace."""

    def acknowledge(self, alert_id: str, *, by: str, at: datetime) -> AlertView: ...
    def resolve(self, alert_id: str, *, by: str, outcome: str, note: str, at: datetime) -> AlertView: ...
    def text_client(self, client: ClientView, body: str, *, by: str, submission_id: str,
                    at: datetime) -> Sent: ...
    def should_have_paged(self, client: ClientView, message: MessageView, *, by: str,
                          at: datetime) -> AlertView: ...


class ActionError(ValueError):
    """An action that cannot apply (unknown alert, bad outcome); shown to the coach, never a 500."""
