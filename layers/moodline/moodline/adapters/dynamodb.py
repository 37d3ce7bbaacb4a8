"""The DynamoDB adapter: PynamoDB rows and the repositories of :mod:`moodline.ports` over them.

The only code that imports PynamoDB. Rows map to and from :mod:`moodline.domain` values here and
nowhere else. Access patterns (docs/architecture.md) and what serves each:

1. inbound SMS → client by phone ............ ``Client.by_phone`` GSI (keyed hash of E.164)
2. clients due in a 15-minute slot .......... ``Client.due`` sparse GSI (due_shard, next_probe_at)
3. a client's messages over N days .......... ``Message`` table key (client_id, at)
4. a coach's clients ........................ ``Client.by_coach`` GSI
5. the open alert of a client ............... ``Client.open_alert_id`` pointer (strongly consistent)
                                              and ``Alert.by_client`` GSI for history
6. who is on call at time T ................. ``OnCallShift`` key (rota, starts_at): latest start ≤ T
7. an outbound message by Twilio SID ........ ``Message.by_sid`` GSI (keys only)
8. idempotency records ...................... the Powertools table (``id``), see ``moodline.idempotency``
9. alerts waiting to escalate ............... ``Alert.pending_escalation`` sparse GSI (pending, escalate_at)
10. a coach texting ACK, by phone ........... ``Coach.by_phone`` GSI (keyed hash)
11. unique keys: ACK codes, used links,
    one role per phone, bad-code counters .... ``ClaimRow`` key (``claim``), TTL ``expires_at``
14. unresolved alerts; alerts resolved
    between two instants ...................... ``Alert.listed`` sparse GSI (listed, listed_at), overloaded
15. replies waiting for a coach's review ..... ``Message.unreviewed`` sparse GSI (shard, at)

Key schemas here must match ``template.yaml``; ``tests/infra`` checks that they do.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import suppress
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.connection import Connection
from pynamodb.constants import ALL_OLD
from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import BatchWrite, Model
from pynamodb.transactions import TransactWrite

from moodline import domain
from moodline.domain import shard_of
from moodline.ports import AlertConflict, InboundSidInFlight
from moodline.schedule import from_iso, to_iso
from moodline.settings import Settings
from moodline.triage.model import Level
from moodline.vocabulary import (
    AlertEvent,
    AlertStatus,
    ClientStatus,
    DeliveryStatus,
    Direction,
    MessageKind,
    Outcome,
    Rota,
)

if TYPE_CHECKING:
    import botocore.session

PENDING = "PENDING"  # the hash key of the sparse escalation index
LISTED_OPEN = "open"  # the ``listed`` key of every unresolved alert; resolved ones move to "resolved#<UTC week>"


class ByPhone(GlobalSecondaryIndex["ClientRow"]):
    class Meta:
        index_name = "by_phone"
        projection = KeysOnlyProjection()

    phone_hash = UnicodeAttribute(hash_key=True)


class ByCoach(GlobalSecondaryIndex["ClientRow"]):
    class Meta:
        index_name = "by_coach"
        projection = AllProjection()

    coach_id = UnicodeAttribute(hash_key=True)
    client_id = UnicodeAttribute(range_key=True)


class Due(GlobalSecondaryIndex["ClientRow"]):
    """Sparse: only clients that should be probed carry ``due_shard`` / ``next_probe_at``."""

    class Meta:
        index_name = "due"
        projection = IncludeProjection(["timezone", "checkin_time"])

    due_shard = NumberAttribute(hash_key=True)
    next_probe_at = UnicodeAttribute(range_key=True)


class ClientRow(Model):
    """An enrolled client. The phone number is stored once, here, in a KMS-encrypted table."""

    class Meta:
        table_name = "ClientsTable"

    client_id = UnicodeAttribute(hash_key=True)
    coach_id = UnicodeAttribute()
    display_name = UnicodeAttribute()  # first name or initials: minimal PII
    phone_e164 = UnicodeAttribute()
    phone_hash = UnicodeAttribute()
    timezone = UnicodeAttribute()
    checkin_time = UnicodeAttribute()  # "HH:MM" local
    locale = UnicodeAttribute(default="en-US")
    status = UnicodeAttribute(default=ClientStatus.ACTIVE.value)
    consented_at = UnicodeAttribute(null=True)
    enrolled_at = UnicodeAttribute()
    due_shard = NumberAttribute(null=True)
    next_probe_at = UnicodeAttribute(null=True)
    last_probe_date = UnicodeAttribute(null=True)
    open_alert_id = UnicodeAttribute(null=True)
    consent_sid = UnicodeAttribute(null=True)
    consent_text = UnicodeAttribute(null=True)
    consent_note = UnicodeAttribute(null=True)
    welcomes_sent = NumberAttribute(default=0)
    welcomed_at = UnicodeAttribute(null=True)
    country = UnicodeAttribute(null=True)
    review_all = BooleanAttribute(default=False)

    by_phone = ByPhone()
    by_coach = ByCoach()
    due = Due()


class BySid(GlobalSecondaryIndex["MessageRow"]):
    class Meta:
        index_name = "by_sid"
        projection = KeysOnlyProjection()

    sid = UnicodeAttribute(hash_key=True)


class Unreviewed(GlobalSecondaryIndex["MessageRow"]):
    """Sparse: only replies awaiting a coach's mark carry ``unreviewed`` (their review shard)."""

    class Meta:
        index_name = "unreviewed"
        projection = KeysOnlyProjection()

    unreviewed = NumberAttribute(hash_key=True)
    at = UnicodeAttribute(range_key=True)


class MessageRow(Model):
    """One SMS in or out. Inbound replies keep their text (needed to re-score); outbound keep a kind only."""

    class Meta:
        table_name = "MessagesTable"

    client_id = UnicodeAttribute(hash_key=True)
    at = UnicodeAttribute(range_key=True)  # "<ISO UTC>#<Twilio SID>": time-ordered and unique
    sid = UnicodeAttribute()
    direction = UnicodeAttribute()  # "inbound" | "outbound"
    kind = UnicodeAttribute()  # probe | reply | keyword | resources | notice | coach
    local_date = UnicodeAttribute()
    body = UnicodeAttribute(null=True)  # inbound text only
    status = UnicodeAttribute(null=True)  # Twilio delivery status of outbound messages
    status_rank = NumberAttribute(null=True)  # position of ``status`` in Twilio's lifecycle (never goes back)
    error_code = NumberAttribute(null=True)
    reply_sent = UnicodeAttribute(null=True)  # what the webhook answered: "ack" | "resources" | ...
    mood = NumberAttribute(null=True)
    level = UnicodeAttribute(null=True)
    reasons = ListAttribute[str](of=UnicodeAttribute, null=True)  # type: ignore[arg-type]
    alert_id = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)
    coach_id = UnicodeAttribute(null=True)  # who sent a coach's text (kind "coach")
    review = BooleanAttribute(null=True)  # triage: a coach should read this reply today
    # The review shard while the reply awaits a coach's mark (domain.awaits_review), removed by the mark.
    unreviewed = NumberAttribute(null=True)

    by_sid = BySid()
    unreviewed_replies = Unreviewed()


class TimelineEntryMap(MapAttribute[str, Any]):
    at = UnicodeAttribute()
    event = UnicodeAttribute()  # raised | appended | paged | acknowledged | escalated | resolved | ...
    detail = UnicodeAttribute(default="")


class AlertsByClient(GlobalSecondaryIndex["AlertRow"]):
    class Meta:
        index_name = "by_client"
        projection = AllProjection()

    client_id = UnicodeAttribute(hash_key=True)
    opened_at = UnicodeAttribute(range_key=True)


class PendingEscalation(GlobalSecondaryIndex["AlertRow"]):
    """Sparse: only alerts waiting for an acknowledgement carry ``pending`` / ``escalate_at``.

    The ACK code is projected so ``ACK <code>`` and a new alert's code are answered from the index.
    """

    class Meta:
        index_name = "pending_escalation"
        projection = IncludeProjection(["ack_code"])

    pending = UnicodeAttribute(hash_key=True)
    escalate_at = UnicodeAttribute(range_key=True)


class Listed(GlobalSecondaryIndex["AlertRow"]):
    """Sparse and overloaded, one index for two reads (CloudFormation adds one GSI per table per update):
    ``listed`` = "open" while unresolved (``listed_at`` = opened_at), "resolved#<UTC ISO week>" once resolved
    (``listed_at`` = resolved_at). Written by the same versioned save that changes the alert's status."""

    class Meta:
        index_name = "listed"
        projection = AllProjection()

    listed = UnicodeAttribute(hash_key=True)
    listed_at = UnicodeAttribute(range_key=True)


class AlertRow(Model):
    """One episode of risk for one client: every risky reply, page and acknowledgement on one timeline."""

    class Meta:
        table_name = "AlertsTable"

    alert_id = UnicodeAttribute(hash_key=True)
    client_id = UnicodeAttribute()
    coach_id = UnicodeAttribute()  # the client's own coach
    level = UnicodeAttribute()
    status = UnicodeAttribute(default="open")  # open | acknowledged | resolved
    opened_at = UnicodeAttribute()
    ack_code = UnicodeAttribute()
    reasons = ListAttribute[str](of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    replies = ListAttribute[str](of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    timeline = ListAttribute[TimelineEntryMap](of=TimelineEntryMap, default=list)
    paged_to = UnicodeAttribute(null=True)
    paged_steps = ListAttribute[str](of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    paged_coaches = ListAttribute[str](of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    retriggers = ListAttribute[str](of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    pending = UnicodeAttribute(null=True)  # PENDING while unacknowledged: the escalation index key
    escalate_at = UnicodeAttribute(null=True)
    escalation_step = NumberAttribute(default=0)
    acknowledged_by = UnicodeAttribute(null=True)
    acknowledged_at = UnicodeAttribute(null=True)
    resolved_by = UnicodeAttribute(null=True)
    resolved_at = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute(null=True)  # true_alarm | false_alarm | follow_up
    # Optimistic locking: every save is conditional on the version read, so an acknowledgement
    # and an escalation running at the same moment cannot overwrite each other.
    version = VersionAttribute()
    listed = UnicodeAttribute(null=True)  # see Listed; absent only on alerts saved before it (backfill_indexes)
    listed_at = UnicodeAttribute(null=True)

    by_client = AlertsByClient()
    pending_escalation = PendingEscalation()
    listed_index = Listed()


class ShiftRow(Model):
    """A shift of a rota: from ``starts_at`` until ``ends_at``, a primary and an optional backup."""

    class Meta:
        table_name = "OnCallTable"

    rota = UnicodeAttribute(hash_key=True)  # "override" beats "primary"
    starts_at = UnicodeAttribute(range_key=True)
    ends_at = UnicodeAttribute()
    primary_coach_id = UnicodeAttribute()
    backup_coach_id = UnicodeAttribute(null=True)


class CoachByPhone(GlobalSecondaryIndex["CoachRow"]):
    class Meta:
        index_name = "by_phone"
        projection = AllProjection()

    phone_hash = UnicodeAttribute(hash_key=True)


class CoachRow(Model):
    """A coach: who gets pages (by SNS subscription on ``coach_id``) and the weekly e-mail."""

    class Meta:
        table_name = "CoachesTable"

    coach_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    email = UnicodeAttribute()
    phone_hash = UnicodeAttribute(null=True)  # lets a coach text ACK <code>; the number itself is not kept

    by_phone = CoachByPhone()

class ClaimRow(Model):
    """A unique key held by one owner (ACK code, used link, phone role) or a counter, until ``expires_at``."""

    class Meta:
        table_name = "ClaimsTable"

    claim = UnicodeAttribute(hash_key=True)  # "ack#<code>", "link#<sig>", "phone#<hash>", "ackfail#<coach>"
    owner = UnicodeAttribute(null=True)
    hits = NumberAttribute(null=True)  # counters only
    expires_at = TTLAttribute(null=True)  # free again after this (DynamoDB deletes it later)

# --- the coach workspace's own tables (access patterns in docs/workspace.md) ---------------------


class AuditRow(Model):
    """Every view of a client's messages: who, which client, when (kept six years)."""

    class Meta:
        table_name = "AuditTable"

    client_id = UnicodeAttribute(hash_key=True)
    at = UnicodeAttribute(range_key=True)  # "<ISO UTC>#<coach_id>#<random>"
    coach_id = UnicodeAttribute()
    what = UnicodeAttribute()  # alert | thread | inbox
    expires_at = TTLAttribute(null=True)


class ByMark(GlobalSecondaryIndex["ReviewRow"]):
    class Meta:
        index_name = "by_mark"
        projection = AllProjection()

    mark = UnicodeAttribute(hash_key=True)
    at = UnicodeAttribute(range_key=True)


class ReviewRow(Model):
    """A coach's mark on one reply; ``by_mark`` finds the triage misses ("should have paged")."""

    class Meta:
        table_name = "ReviewTable"

    client_id = UnicodeAttribute(hash_key=True)
    message_key = UnicodeAttribute(range_key=True)
    mark = UnicodeAttribute()  # seen_fine | follow_up | should_have_paged
    coach_id = UnicodeAttribute()
    at = UnicodeAttribute()

    by_mark = ByMark()


class CoachSendRow(Model):
    """One claimed workspace form submission (a coach's text), forgotten after two days."""

    class Meta:
        table_name = "CoachSendsTable"

    submission_id = UnicodeAttribute(hash_key=True)
    coach_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    at = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)


class SharedConnection(Connection):
    """One PynamoDB connection, so one botocore client, for every table and transaction, on a given session.

    PynamoDB otherwise gives each model its own connection, each with a session and a client of its own:
    five sessions and five clients for the same service, 60-120 ms CPU apiece on a cold start.
    """

    def __init__(self, session: botocore.session.Session | None = None) -> None:
        super().__init__()
        self._shared_session = session

    @property
    def session(self) -> botocore.session.Session:
        return self._shared_session if self._shared_session is not None else super().session


_shared: list[SharedConnection] = []  # the connection bind_tables made: transactions use it too


def _connection() -> Connection:
    # The shared one while the models are still bound to it (a test may have rebound them since).
    bound = ClientRow._connection
    if _shared and bound is not None and bound.connection is _shared[0]:
        return _shared[0]
    return Connection()


def bind_tables(settings: Settings, session: botocore.session.Session | None = None) -> SharedConnection:
    """Point every row model at the table names from ``settings``, all on one connection over ``session``.

    Returns that connection: its ``client`` is the container's one DynamoDB client (idempotency uses it too).
    """
    shared = SharedConnection(session)
    names: dict[type[Model], str] = {
        ClientRow: settings.clients_table,
        MessageRow: settings.messages_table,
        AlertRow: settings.alerts_table,
        ShiftRow: settings.oncall_table,
        CoachRow: settings.coaches_table,
        **{model: name for model, name in ((ReviewRow, settings.review_table), (AuditRow, settings.audit_table),
                                           (CoachSendRow, settings.coach_sends_table),
                                           (ClaimRow, settings.claims_table)) if name},
    }
    for model, table_name in names.items():
        model.Meta.table_name = table_name
        # PynamoDB caches the connection with the old name; drop it so the new name takes effect.
        model._connection = None
        table = model._get_connection()
        with suppress(ValueError):  # two models on one table name (a test's environment): one meta is enough
            shared.add_meta_table(table.get_meta_table())
        table.connection = shared
    _shared[:] = [shared]
    return shared


def _conditional_failure(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


# --- rows ↔ domain ------------------------------------------------------------------------------


def client_of(row: ClientRow) -> domain.Client:
    return domain.Client(
        client_id=row.client_id, coach_id=row.coach_id, display_name=row.display_name,
        phone_e164=row.phone_e164, phone_hash=row.phone_hash, timezone=row.timezone,
        checkin_time=row.checkin_time, enrolled_at=row.enrolled_at, locale=row.locale,
        status=ClientStatus(row.status), consented_at=row.consented_at,
        due_shard=int(row.due_shard) if row.due_shard is not None else None,
        next_probe_at=row.next_probe_at, last_probe_date=row.last_probe_date, open_alert_id=row.open_alert_id,
        consent_sid=row.consent_sid, consent_text=row.consent_text, consent_note=row.consent_note,
        welcomes_sent=int(row.welcomes_sent or 0), welcomed_at=row.welcomed_at, country=row.country,
        review_all=bool(row.review_all),
    )


def client_row(client: domain.Client) -> ClientRow:
    return ClientRow(
        client_id=client.client_id, coach_id=client.coach_id, display_name=client.display_name,
        phone_e164=client.phone_e164, phone_hash=client.phone_hash, timezone=client.timezone,
        checkin_time=client.checkin_time, enrolled_at=client.enrolled_at, locale=client.locale,
        status=client.status.value, consented_at=client.consented_at, due_shard=client.due_shard,
        next_probe_at=client.next_probe_at, last_probe_date=client.last_probe_date,
        open_alert_id=client.open_alert_id, consent_sid=client.consent_sid, consent_text=client.consent_text,
        consent_note=client.consent_note, welcomes_sent=client.welcomes_sent, welcomed_at=client.welcomed_at,
        country=client.country, review_all=client.review_all,
    )


def message_of(row: MessageRow) -> domain.Message:
    return domain.Message(
        client_id=row.client_id, at=row.at, sid=row.sid, direction=Direction(row.direction),
        kind=MessageKind(row.kind), local_date=row.local_date, body=row.body,
        status=DeliveryStatus(row.status) if row.status in DeliveryStatus.__members__.values() else None,
        status_rank=int(row.status_rank) if row.status_rank is not None else None,
        error_code=int(row.error_code) if row.error_code is not None else None,
        reply_sent=row.reply_sent, mood=float(row.mood) if row.mood is not None else None,
        level=Level(row.level) if row.level else None, reasons=tuple(row.reasons or ()),
        alert_id=row.alert_id, expires_at=row.expires_at, coach_id=row.coach_id, review=bool(row.review),
    )


def message_row(message: domain.Message) -> MessageRow:
    return MessageRow(
        client_id=message.client_id, at=message.at, sid=message.sid, direction=message.direction.value,
        kind=message.kind.value, local_date=message.local_date, body=message.body,
        status=message.status.value if message.status else None, status_rank=message.status_rank,
        error_code=message.error_code, reply_sent=message.reply_sent, mood=message.mood,
        level=message.level.value if message.level else None,
        reasons=list(message.reasons) if message.reasons else None, alert_id=message.alert_id,
        expires_at=message.expires_at, coach_id=message.coach_id, review=message.review or None,
        unreviewed=domain.review_shard(message.client_id) if domain.awaits_review(message) else None,
    )


def message_from_stream_image(new_image: dict[str, Any]) -> domain.Message:
    """The message in a DynamoDB stream record's ``NewImage`` (DynamoDB JSON)."""
    return message_of(MessageRow.from_raw_data(new_image))


def alert_of(row: AlertRow) -> domain.Alert:
    return domain.Alert(
        alert_id=row.alert_id, client_id=row.client_id, coach_id=row.coach_id, level=Level(row.level),
        opened_at=row.opened_at, ack_code=row.ack_code, status=AlertStatus(row.status),
        reasons=tuple(row.reasons), replies=tuple(row.replies),
        timeline=tuple(domain.TimelineEntry(e.at, AlertEvent(e.event), e.detail) for e in row.timeline),
        paged_to=row.paged_to, paged_steps=tuple(row.paged_steps), paged_coaches=tuple(row.paged_coaches or ()),
        retriggers=tuple(row.retriggers), escalate_at=row.escalate_at if row.pending else None,
        escalation_step=int(row.escalation_step),
        acknowledged_by=row.acknowledged_by, acknowledged_at=row.acknowledged_at,
        resolved_by=row.resolved_by, resolved_at=row.resolved_at,
        outcome=Outcome(row.outcome) if row.outcome else None, version=row.version,
    )


def alert_row(alert: domain.Alert) -> AlertRow:
    row = AlertRow(
        alert_id=alert.alert_id, client_id=alert.client_id, coach_id=alert.coach_id, level=alert.level.value,
        opened_at=alert.opened_at, ack_code=alert.ack_code, status=alert.status.value,
        reasons=list(alert.reasons), replies=list(alert.replies),
        timeline=[TimelineEntryMap(at=e.at, event=e.event.value, detail=e.detail) for e in alert.timeline],
        paged_to=alert.paged_to, paged_steps=list(alert.paged_steps), paged_coaches=list(alert.paged_coaches),
        retriggers=list(alert.retriggers),
        # The sparse index holds exactly the alerts on the escalation clock.
        pending=PENDING if alert.escalate_at is not None else None, escalate_at=alert.escalate_at,
        escalation_step=alert.escalation_step, acknowledged_by=alert.acknowledged_by,
        acknowledged_at=alert.acknowledged_at, resolved_by=alert.resolved_by, resolved_at=alert.resolved_at,
        outcome=alert.outcome.value if alert.outcome else None,
    )
    row.listed, row.listed_at = listed_keys(alert.status.value, alert.opened_at, alert.resolved_at)
    if alert.version is not None:  # a new alert has none: its first save writes version 1
        row.version = alert.version
    return row


def listed_keys(status: str, opened_at: str, resolved_at: str | None) -> tuple[str, str]:
    """The ``Listed`` index keys of an alert in ``status``."""
    if status != AlertStatus.RESOLVED.value:
        return LISTED_OPEN, opened_at
    at = resolved_at or opened_at
    return resolved_week_key(from_iso(at)), at


def resolved_week_key(at: datetime) -> str:
    year, week, _ = at.astimezone(UTC).isocalendar()
    return f"resolved#{year}-W{week:02d}"


def shift_of(row: ShiftRow) -> domain.Shift:
    return domain.Shift(Rota(row.rota), row.starts_at, row.ends_at, row.primary_coach_id, row.backup_coach_id)


def coach_of(row: CoachRow) -> domain.Coach:
    return domain.Coach(row.coach_id, row.name, row.email, row.phone_hash)


# --- repositories -------------------------------------------------------------------------------


class DynamoClients:
    """:class:`moodline.ports.Clients` on ``ClientsTable`` (patterns 1, 2 and 4)."""

    def get(self, client_id: str) -> domain.Client | None:
        try:
            return client_of(ClientRow.get(client_id, consistent_read=True))
        except DoesNotExist:
            return None

    def by_phone(self, phone_key: str) -> domain.Client | None:
        for keys in ClientRow.by_phone.query(phone_key, limit=1):
            return self.get(keys.client_id)
        return None

    def due(self, shard: int, before: datetime) -> list[domain.Client]:
        """Projected attributes only (timezone, check-in time, next probe): enough to plan a probe."""
        return [
            domain.Client(client_id=row.client_id, coach_id="", display_name="", phone_e164="", phone_hash="",
                          timezone=row.timezone, checkin_time=row.checkin_time, enrolled_at="",
                          due_shard=int(row.due_shard), next_probe_at=row.next_probe_at)
            for row in ClientRow.due.query(shard, ClientRow.next_probe_at < to_iso(before))
        ]

    def of_coach(self, coach_id: str) -> list[domain.Client]:
        return [client_of(row) for row in ClientRow.by_coach.query(coach_id)]

    def all(self) -> list[domain.Client]:
        """A scan: the workspace's roster view and ops only."""
        return [client_of(row) for row in ClientRow.scan()]

    def add(self, client: domain.Client) -> bool:
        try:
            client_row(client).save(condition=ClientRow.client_id.does_not_exist())
        except PutError as exc:
            if _conditional_failure(exc):
                return False
            raise
        return True

    def schedule_next_probe(self, client: domain.Client, next_at: datetime | None, *, shards: int) -> bool:
        # Conditional on the value we read, so two overlapping scheduler runs cannot both advance it.
        expected = client.next_probe_at
        condition = (
            ClientRow.next_probe_at == expected if expected is not None else ClientRow.next_probe_at.does_not_exist()
        )
        actions: list[Action] = (
            [ClientRow.next_probe_at.set(to_iso(next_at)),
             ClientRow.due_shard.set(shard_of(client.client_id, shards))]
            if next_at is not None
            else [ClientRow.next_probe_at.remove(), ClientRow.due_shard.remove()]
        )
        try:
            ClientRow(client_id=client.client_id).update(actions=actions, condition=condition)
        except UpdateError as exc:
            if _conditional_failure(exc):
                return False
            raise
        return True

    def save(self, client: domain.Client) -> None:
        """Write the client's profile and consent; never the due index, the probe date or the alert pointer."""
        row = client_row(client)
        skip = {"client_id", "status", "due_shard", "next_probe_at", "last_probe_date", "open_alert_id"}
        actions: list[Any] = []
        for name, attribute in ClientRow.get_attributes().items():
            if name in skip:
                continue
            value = getattr(row, name)
            actions.append(attribute.remove() if value is None else attribute.set(value))
        ClientRow(client_id=client.client_id).update(actions=actions, condition=ClientRow.client_id.exists())

    def set_status(self, client: domain.Client, status: ClientStatus, *, now: datetime, shards: int) -> None:
        actions: list[Any] = [ClientRow.status.set(status.value)]
        if domain.in_due_index(status, client.consented_at):
            actions += [
                ClientRow.next_probe_at.set(to_iso(client.checkin.next_after(now))),
                ClientRow.due_shard.set(shard_of(client.client_id, shards)),
            ]
        else:
            actions += [ClientRow.next_probe_at.remove(), ClientRow.due_shard.remove()]
        ClientRow(client_id=client.client_id).update(actions=actions)

    def claim_probe(self, client_id: str, local_date: str) -> domain.Client | None:
        # One UpdateItem replaces the read, both idempotency writes and the mark: the condition is the rule.
        # Probing, or awaiting consent (the welcome goes instead, and takes the day): domain.in_due_index.
        probing = (ClientRow.status == ClientStatus.ACTIVE.value) & ClientRow.consented_at.exists()
        condition = (ClientRow.client_id.exists()
                     & (probing | (ClientRow.status == ClientStatus.PENDING_CONSENT.value))
                     & (ClientRow.last_probe_date.does_not_exist() | (ClientRow.last_probe_date != local_date)))
        try:
            data = ClientRow._get_connection().update_item(
                client_id, actions=[ClientRow.last_probe_date.set(local_date)], condition=condition,
                return_values="ALL_OLD")
        except UpdateError as exc:
            if _conditional_failure(exc):
                return None
            raise
        return client_of(ClientRow.from_raw_data(data["Attributes"]))

    def release_probe(self, client: domain.Client, local_date: str) -> None:
        previous = client.last_probe_date
        action = ClientRow.last_probe_date.set(previous) if previous else ClientRow.last_probe_date.remove()
        try:
            ClientRow(client_id=client.client_id).update(actions=[action],
                                                         condition=ClientRow.last_probe_date == local_date)
        except UpdateError as exc:
            if not _conditional_failure(exc):
                raise

    def delete(self, client_id: str) -> None:
        ClientRow(client_id=client_id).delete()


BATCH_WRITE = 25  # BatchWriteItem takes at most 25 requests


class DynamoMessages:
    """:class:`moodline.ports.Messages` on ``MessagesTable`` (patterns 3, 7), inbound SIDs on ``ClaimsTable`` (12).

    ``record_many`` retries what BatchWriteItem leaves unprocessed up to ``attempts`` times in all, after
    a full-jitter exponential wait from ``base_delay`` seconds (AWS's advice for UnprocessedItems).
    """

    def __init__(self, *, attempts: int = 5, base_delay: float = 0.05,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._attempts = attempts
        self._base_delay = base_delay
        self._sleep = sleep

    def record_many(self, messages: Sequence[domain.Message], *, retention_days: int) -> list[domain.Message]:
        # A blind put, not a conditional one (BatchWriteItem takes no condition): the caller writes only
        # new keys, and an outbound key holds the provider's SID, so nothing but this message can be there.
        # One put per key: BatchWriteItem refuses a call that names the same key twice.
        by_key = {(message.client_id, message.at): message for message in messages}
        items: list[dict[str, Any]] = []
        for message in by_key.values():
            row = message_row(message)
            row.expires_at = message.received_at + timedelta(days=retention_days)
            items.append(row.serialize())
        unwritten: list[dict[str, Any]] = []
        for start in range(0, len(items), BATCH_WRITE):
            unwritten += self._write_batch(items[start:start + BATCH_WRITE])
        return [by_key[(item["client_id"]["S"], item["at"]["S"])] for item in unwritten]

    def _write_batch(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Put ``items`` (at most 25); returns those still unprocessed after the last attempt."""
        connection = MessageRow._get_connection()
        for attempt in range(self._attempts):
            if attempt:
                self._sleep(random.uniform(0, self._base_delay * 2 ** attempt))  # noqa: S311 - jitter, not a secret
            response = connection.batch_write_item(put_items=items) or {}
            unprocessed = response.get("UnprocessedItems", {}).get(MessageRow.Meta.table_name, [])
            items = [request["PutRequest"]["Item"] for request in unprocessed]
            if not items:
                break
        return items

    def record(self, message: domain.Message, *, retention_days: int) -> domain.Message:
        row = message_row(message)
        row.expires_at = message.received_at + timedelta(days=retention_days)
        try:
            row.save(condition=MessageRow.at.does_not_exist())
        except PutError as exc:
            if not _conditional_failure(exc):
                raise
        return message_of(row)

    def record_inbound(self, message: domain.Message, *, retention_days: int, sid_kept: timedelta) -> str | None:
        # One TransactWriteItems: the message (keyed by time + SID, as pattern 3 reads it) and the
        # SID's claim in ClaimsTable (pattern 12), which a retry with a later request time collides
        # on. ALL_OLD hands back what the first delivery answered, without a read.
        row = message_row(message)
        row.expires_at = message.received_at + timedelta(days=retention_days)
        sid = ClaimRow(claim=domain.inbound_sid_key(message.sid), owner=message.reply_sent,
                       expires_at=message.received_at + sid_kept)
        free = ClaimRow.claim.does_not_exist() | (ClaimRow.expires_at < message.received_at)
        # The token makes botocore's own retry of this very request (a response lost after the commit)
        # succeed instead of failing its conditions and passing for a Twilio retry; a Twilio retry has a
        # later request time, so a token of its own. DynamoDB honours a token for 10 minutes.
        token = hashlib.sha256(f"inbound|{message.at}".encode()).hexdigest()[:36]
        try:
            with TransactWrite(connection=_connection(), client_request_token=token) as transaction:
                transaction.save(row, condition=MessageRow.at.does_not_exist(), return_values=ALL_OLD)
                transaction.save(sid, condition=free, return_values=ALL_OLD)
        except TransactWriteError as exc:
            # One reason per item, in the order written (the message, then the claim); None: no objection.
            codes = [reason.code if reason is not None else None for reason in exc.cancellation_reasons]
            if codes == [None, "TransactionConflict"]:
                # Only the claim collided, with a transaction in progress on it: another delivery of
                # this SID (a stranger's page and TTL expiry are the claim's only other writers, never
                # on a live SID of an enrolled client). That delivery stores the message, or buffers
                # it if its own write fails: nothing to keep here.
                raise InboundSidInFlight(message.sid) from exc
            reasons = [reason for reason in exc.cancellation_reasons if reason is not None]
            if not reasons or any(reason.code != "ConditionalCheckFailed" for reason in reasons):
                raise  # a fault (throttle, a conflict on the message, outage): the caller buffers the reply
            # The claim's owner, else (a message stored before SIDs were claimed) the message's own.
            for reason, name in zip(exc.cancellation_reasons[::-1], ("owner", "reply_sent"), strict=True):
                first = ((reason.raw_item or {}).get(name) or {}).get("S") if reason is not None else None
                if first:
                    return str(first)
            return self.inbound_answered(message.sid) or message.reply_sent or ""
        return None

    def inbound_answered(self, sid: str) -> str | None:
        try:
            return ClaimRow.get(domain.inbound_sid_key(sid), consistent_read=True).owner
        except DoesNotExist:
            return None

    def get(self, client_id: str, at: str) -> domain.Message | None:
        try:
            return message_of(MessageRow.get(client_id, at, consistent_read=True))
        except DoesNotExist:
            return None

    def between(self, client_id: str, start: datetime, end: datetime) -> list[domain.Message]:
        query = MessageRow.query(client_id, MessageRow.at.between(to_iso(start), to_iso(end) + "~"))
        # A row without a direction is no message: verdicts an older version wrote for a reply erased
        # meanwhile (save_assessment is conditional now). Skipped, so it never takes a caseload's views down.
        return [message_of(row) for row in query if row.direction is not None]

    def by_sid(self, sid: str) -> domain.Message | None:
        for keys in MessageRow.by_sid.query(sid, limit=1):
            return self.get(keys.client_id, keys.at)
        return None

    def advance_delivery_status(self, message: domain.Message, status: DeliveryStatus, rank: int,
                                error_code: int | None) -> bool:
        # Conditional on the stored rank, so two callbacks racing ("sent" and "delivered" arrive
        # together) cannot leave the earlier status last.
        actions: list[Any] = [MessageRow.status.set(status.value), MessageRow.status_rank.set(rank)]
        if error_code is not None:
            actions.append(MessageRow.error_code.set(error_code))
        try:
            MessageRow(client_id=message.client_id, at=message.at).update(
                actions=actions,
                condition=MessageRow.at.exists()
                & (MessageRow.status_rank.does_not_exist() | (MessageRow.status_rank < rank)))
        except UpdateError as exc:
            if _conditional_failure(exc):
                return False
            raise
        return True

    def link_alert(self, client_id: str, at: str, alert_id: str) -> None:
        try:
            MessageRow(client_id=client_id, at=at).update(
                actions=[MessageRow.alert_id.set(alert_id)],
                condition=MessageRow.at.exists() & MessageRow.alert_id.does_not_exist())
        except UpdateError as exc:
            # Erased meanwhile, or naming an alert already: nothing to do. Anything else is a fault.
            if not _conditional_failure(exc):
                raise

    def save_assessment(self, message: domain.Message, *, mood: float | None, level: Level, reasons: list[str],
                        alert_id: str | None, review: bool = False) -> bool:
        """A MODIFY, which the scoring stream filter ignores; nothing when the message is gone.

        Conditional on the row existing: an update creates a missing item, so scoring a reply whose client
        was erased meanwhile (or a redrive after the erasure) would otherwise leave a row of verdicts with no
        message behind, health data that outlives the erasure and a row every view must refuse."""
        actions: list[Any] = [MessageRow.level.set(level.value), MessageRow.reasons.set(reasons)]
        actions.append(MessageRow.review.set(True) if review else MessageRow.review.remove())
        actions.append(MessageRow.mood.set(mood) if mood is not None else MessageRow.mood.remove())
        # Triage's flag can put a reply without words in the review inbox (and its index).
        if domain.awaits_review(replace(message, review=review)):
            actions.append(MessageRow.unreviewed.set(domain.review_shard(message.client_id)))
        else:
            actions.append(MessageRow.unreviewed.remove())
        if alert_id:
            actions.append(MessageRow.alert_id.set(alert_id))
        try:
            MessageRow(client_id=message.client_id, at=message.at).update(
                actions=actions, condition=MessageRow.direction.exists())
        except UpdateError as exc:
            if not _conditional_failure(exc):
                raise
            return False
        return True

    def unscored_replies(self, since: datetime) -> list[domain.Message]:
        """A scan: for ops, after an incident, never on a hot path."""
        rows = MessageRow.scan((MessageRow.kind == MessageKind.REPLY.value) & MessageRow.level.does_not_exist()
                               & (MessageRow.at >= to_iso(since)))
        return [message_of(row) for row in rows]

    def delete_of_client(self, client_id: str) -> int:
        rows = list(MessageRow.query(client_id))
        with MessageRow.batch_write() as batch:
            for row in rows:
                batch.delete(row)
        return len(rows)


class DynamoAlerts:
    """:class:`moodline.ports.Alerts` on ``AlertsTable`` (patterns 5 and 9), versioned."""

    def __init__(self, *, attempts: int = 5) -> None:
        self._attempts = attempts

    def get(self, alert_id: str) -> domain.Alert | None:
        try:
            return alert_of(AlertRow.get(alert_id, consistent_read=True))
        except DoesNotExist:
            return None

    def get_many(self, alert_ids: Sequence[str]) -> list[domain.Alert]:
        """One BatchGetItem per 100 ids (PynamoDB asks again for any the table left unprocessed)."""
        if not alert_ids:
            return []
        return [alert_of(row) for row in AlertRow.batch_get(list(dict.fromkeys(alert_ids)))]

    def open_episode(self, alert: domain.Alert, *, replacing: str | None = None) -> bool:
        free = ClientRow.open_alert_id.does_not_exist()
        if replacing is not None:
            free = free | (ClientRow.open_alert_id == replacing)
        try:
            with TransactWrite(connection=_connection()) as transaction:
                transaction.save(alert_row(alert), condition=AlertRow.alert_id.does_not_exist())
                transaction.update(ClientRow(client_id=alert.client_id),
                                   actions=[ClientRow.open_alert_id.set(alert.alert_id)], condition=free)
        except TransactWriteError as exc:
            if "ConditionalCheckFailed" in str(exc.cause_response_code) or "TransactionCanceled" in str(
                exc.cause_response_code
            ):
                return False
            raise
        return True

    def update(self, alert_id: str, change: Callable[[domain.Alert], domain.Alert | None]) -> domain.Alert | None:
        for _ in range(self._attempts):
            current = self.get(alert_id)
            if current is None:
                return None
            changed = change(current)
            if changed is None:
                return current
            row = alert_row(changed)
            try:
                row.save()  # VersionAttribute: conditional on the version read
            except PutError as exc:
                if _conditional_failure(exc):
                    continue  # someone else wrote first: re-read and re-apply
                raise
            return alert_of(row)
        raise AlertConflict(f"alert {alert_id} kept changing under us; retry")

    def close_episode(self, alert: domain.Alert) -> None:
        try:
            ClientRow(client_id=alert.client_id).update(
                actions=[ClientRow.open_alert_id.remove()], condition=ClientRow.open_alert_id == alert.alert_id
            )
        except UpdateError as exc:
            if not _conditional_failure(exc):
                raise

    def pending(self) -> list[domain.Alert]:
        """Sparse index: cost ∝ pending alerts (a few); each read whole, strongly consistent."""
        keys = AlertRow.pending_escalation.query(PENDING)
        return [alert for key in keys if (alert := self.get(key.alert_id)) is not None]

    def unresolved(self) -> list[domain.Alert]:
        """The sparse ``listed`` index under "open": cost ∝ unresolved alerts, whatever the history holds."""
        return [alert_of(row) for row in AlertRow.listed_index.query(LISTED_OPEN)]

    def resolved_between(self, start: datetime, end: datetime) -> list[domain.Alert]:
        """The ``listed`` index, one query per UTC week the span touches: cost ∝ alerts resolved in it."""
        days = max(0, (end - start).days) + 1
        weeks = dict.fromkeys([*(resolved_week_key(start + timedelta(days=d)) for d in range(days)),
                               resolved_week_key(end)])
        found = [alert_of(row) for key in weeks
                 for row in AlertRow.listed_index.query(key, AlertRow.listed_at.between(to_iso(start), to_iso(end)))
                 if from_iso(row.listed_at) < end]
        return sorted(found, key=lambda a: a.resolved_at or "")

    def resolved(self) -> Iterator[domain.Alert]:
        for row in AlertRow.scan(AlertRow.status == AlertStatus.RESOLVED.value):
            yield alert_of(row)

    def of_client(self, client_id: str, start: datetime, end: datetime) -> list[domain.Alert]:
        query = AlertRow.by_client.query(client_id, AlertRow.opened_at.between(to_iso(start), to_iso(end)))
        return [alert_of(row) for row in query]

    def delete_of_client(self, client_id: str) -> int:
        rows = list(AlertRow.by_client.query(client_id))  # ALL projection: whole, versioned items
        for row in rows:
            row.delete()
        return len(rows)


class DynamoOnCall:
    """:class:`moodline.ports.OnCall` on ``OnCallTable`` (pattern 6)."""

    def shift_at(self, rota: Rota, at: datetime) -> domain.Shift | None:
        for row in ShiftRow.query(rota.value, ShiftRow.starts_at <= to_iso(at), scan_index_forward=False, limit=1):
            return shift_of(row) if row.ends_at > to_iso(at) else None
        return None

    def put(self, shift: domain.Shift) -> None:
        ShiftRow(rota=shift.rota.value, starts_at=shift.starts_at, ends_at=shift.ends_at,
                 primary_coach_id=shift.primary_coach_id, backup_coach_id=shift.backup_coach_id).save()


class DynamoCoaches:
    """:class:`moodline.ports.Coaches` on ``CoachesTable`` (pattern 10)."""

    def get(self, coach_id: str) -> domain.Coach | None:
        try:
            return coach_of(CoachRow.get(coach_id))
        except DoesNotExist:
            return None

    def by_phone(self, phone_key: str) -> domain.Coach | None:
        return next((coach_of(row) for row in CoachRow.by_phone.query(phone_key, limit=1)), None)

    def all(self) -> list[domain.Coach]:
        """A scan, deliberately: the coaches table is small and read once a week."""
        return [coach_of(row) for row in CoachRow.scan()]

    def put(self, coach: domain.Coach) -> None:
        CoachRow(coach_id=coach.coach_id, name=coach.name, email=coach.email, phone_hash=coach.phone_hash).save()

    def delete(self, coach_id: str) -> None:
        CoachRow(coach_id=coach_id).delete()


AUDIT_RETENTION_DAYS = 6 * 365  # HIPAA-style: keep access records six years
SEND_CLAIM_DAYS = 2


class DynamoReviews:
    """:class:`moodline.ports.Reviews` on ``ReviewTable``; what awaits a mark on ``MessagesTable``'s
    sparse ``unreviewed`` index (pattern 15), which a mark clears."""

    def mark(self, mark: domain.ReviewMark) -> bool:
        try:
            ReviewRow(client_id=mark.client_id, message_key=mark.message_key, mark=mark.mark, coach_id=mark.coach_id,
                      at=to_iso(mark.at)).save(condition=ReviewRow.message_key.does_not_exist())
        except PutError as exc:
            if not _conditional_failure(exc):
                raise
            self._reviewed(mark)  # already marked: the index may still hold it (a clear that failed)
            return False
        self._reviewed(mark)
        return True

    @staticmethod
    def _reviewed(mark: domain.ReviewMark) -> None:
        # After the mark, not with it: a clear that fails leaves a marked reply in the index, which
        # ``waiting`` leaves out by its mark; conditional, so a reply gone meanwhile is not re-created.
        try:
            MessageRow(client_id=mark.client_id, at=mark.message_key).update(
                actions=[MessageRow.unreviewed.remove()], condition=MessageRow.at.exists())
        except UpdateError as exc:
            if not _conditional_failure(exc):
                raise

    def waiting(self, since: datetime, clients: Collection[str] | None = None) -> list[tuple[str, str]]:
        """One query per review shard, then the marks of each client found: cost ∝ replies waiting."""
        found = [(row.client_id, row.at) for shard in range(domain.REVIEW_SHARDS)
                 for row in MessageRow.unreviewed_replies.query(shard, MessageRow.at >= to_iso(since))
                 if clients is None or row.client_id in clients]
        marked: set[tuple[str, str]] = set()
        for client_id in dict.fromkeys(client_id for client_id, _ in found):
            marked.update((client_id, mark.message_key) for mark in self.of_client(client_id, since))
        return sorted((ref for ref in found if ref not in marked), key=lambda ref: (ref[1], ref[0]))

    def of_client(self, client_id: str, since: datetime) -> list[domain.ReviewMark]:
        # The range key is the message key, which starts with its ISO time: "since" is a key condition.
        return [_review_of(row) for row in ReviewRow.query(client_id, ReviewRow.message_key >= to_iso(since))]

    def with_mark(self, mark: str, since: datetime) -> list[domain.ReviewMark]:
        return [_review_of(row) for row in ReviewRow.by_mark.query(mark, ReviewRow.at >= to_iso(since))]


def _review_of(row: ReviewRow) -> domain.ReviewMark:
    return domain.ReviewMark(row.client_id, row.message_key, row.mark, row.coach_id, from_iso(row.at))


class DynamoAudit:
    """:class:`moodline.ports.AuditLog` on ``AuditTable``: one batch write per page view."""

    def record(self, entries: Sequence[domain.AuditEntry]) -> None:
        if not entries:
            return
        with BatchWrite(AuditRow) as batch:
            for e in entries:
                batch.save(AuditRow(client_id=e.client_id, at=f"{to_iso(e.at)}#{e.coach_id}#{secrets.token_hex(3)}",
                                    coach_id=e.coach_id, what=e.what,
                                    expires_at=e.at + timedelta(days=AUDIT_RETENTION_DAYS)))

    def of_client(self, client_id: str) -> list[domain.AuditEntry]:
        return [domain.AuditEntry(row.coach_id, row.client_id, from_iso(row.at.split("#", 1)[0]), row.what)
                for row in AuditRow.query(client_id)]


class DynamoCoachSends:
    """:class:`moodline.ports.CoachSends` on ``CoachSendsTable`` (TTL two days)."""

    def claim(self, submission_id: str, *, coach_id: str, client_id: str, at: datetime) -> bool:
        try:
            CoachSendRow(submission_id=submission_id, coach_id=coach_id, client_id=client_id, at=to_iso(at),
                         expires_at=at + timedelta(days=SEND_CLAIM_DAYS)).save(
                condition=CoachSendRow.submission_id.does_not_exist())
        except PutError as exc:
            if _conditional_failure(exc):
                return False
            raise
        return True

    def release(self, submission_id: str) -> None:
        CoachSendRow(submission_id=submission_id).delete()


class DynamoClaims:
    """:class:`moodline.ports.Claims` on ``ClaimsTable`` (pattern 11): every claim is a conditional write."""

    def claim(self, key: str, owner: str, *, now: datetime, expires_at: datetime | None = None) -> bool:
        free = ClaimRow.claim.does_not_exist() | (ClaimRow.expires_at < now)
        try:
            ClaimRow(claim=key, owner=owner, expires_at=expires_at).save(condition=free)
        except PutError as exc:
            if _conditional_failure(exc):
                return False
            raise
        return True

    def _live(self, key: str, now: datetime) -> ClaimRow | None:
        try:
            row = ClaimRow.get(key, consistent_read=True)
        except DoesNotExist:
            return None
        return row if row.expires_at is None or row.expires_at > now else None

    def owner(self, key: str, *, now: datetime) -> str | None:
        row = self._live(key, now)
        return row.owner if row is not None else None

    def release(self, key: str, owner: str) -> None:
        try:
            ClaimRow(claim=key).delete(condition=ClaimRow.owner == owner)
        except DeleteError as exc:
            if not _conditional_failure(exc):
                raise

    def tally(self, key: str, *, now: datetime, window: timedelta) -> int:
        # Count within the live window; once it is over, start a fresh one at 1.
        try:
            row = ClaimRow(claim=key)
            row.update(actions=[ClaimRow.hits.add(1)],
                       condition=ClaimRow.claim.exists() & (ClaimRow.expires_at > now))
            return int(row.hits or 0)
        except UpdateError as exc:
            if not _conditional_failure(exc):
                raise
        ClaimRow(claim=key, hits=1, expires_at=now + window).save()
        return 1

    def count(self, key: str, *, now: datetime) -> int:
        row = self._live(key, now)
        return int(row.hits or 0) if row is not None else 0


# --- upgrade: index keys for items written before their index ---------------------------------


def backfill_indexes(now: datetime, *, inbox_days: int) -> dict[str, int]:
    """Give items written before patterns 14 and 15 their index keys: a one-off Scan per table, idempotent.

    Alerts without ``listed`` get it from their status; replies of the last ``inbox_days`` that await a
    review and have no mark get ``unreviewed``. Each write is conditional on the key still being absent
    (and, for an alert, on the version read), so a save by the running code in between is never undone.
    """
    alerts = 0
    for alert in AlertRow.scan(AlertRow.listed.does_not_exist()):
        listed, listed_at = listed_keys(alert.status, alert.opened_at, alert.resolved_at)
        try:
            AlertRow._get_connection().update_item(
                alert.alert_id, actions=[AlertRow.listed.set(listed), AlertRow.listed_at.set(listed_at)],
                condition=AlertRow.listed.does_not_exist() & (AlertRow.version == alert.version))
            alerts += 1
        except UpdateError as exc:
            if not _conditional_failure(exc):
                raise
    replies = 0
    since = to_iso(now - timedelta(days=inbox_days))
    candidates = MessageRow.scan((MessageRow.kind == MessageKind.REPLY.value) & (MessageRow.at >= since)
                                 & MessageRow.unreviewed.does_not_exist())
    for row in candidates:
        if not domain.awaits_review(message_of(row)) or _has_mark(row.client_id, row.at):
            continue
        try:
            row.update(actions=[MessageRow.unreviewed.set(domain.review_shard(row.client_id))],
                       condition=MessageRow.at.exists() & MessageRow.unreviewed.does_not_exist())
            replies += 1
        except UpdateError as exc:
            if not _conditional_failure(exc):
                raise
    return {"alerts": alerts, "replies": replies}


def _has_mark(client_id: str, message_key: str) -> bool:
    try:
        ReviewRow.get(client_id, message_key)
    except DoesNotExist:
        return False
    return True
