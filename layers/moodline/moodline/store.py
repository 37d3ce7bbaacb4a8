"""Data access: the PynamoDB models and every read and write Moodline makes.

Access patterns (DESIGN.md) and what serves each:

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

Key schemas here must match ``template.yaml``; ``tests/infra`` checks that they do.
"""

from __future__ import annotations

import secrets
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from moodline.schedule import CheckinTime, to_iso
from moodline.settings import Settings

ACTIVE = "active"
STOPPED = "stopped"  # texted STOP (or Twilio reported 21610): no probes until START
UNREACHABLE = "unreachable"  # the number cannot receive SMS (Twilio 21211 / 21614)


def new_id(prefix: str, at: datetime | None = None) -> str:
    """A time-sortable opaque id such as ``al_18c1f2a3b4c_9f2e1d``."""
    millis = int((at or datetime.now(UTC)).timestamp() * 1000)
    return f"{prefix}_{millis:011x}_{secrets.token_hex(4)}"


def shard_of(client_id: str, shards: int) -> int:
    """The due-index shard of a client: stable, evenly spread (crc32, not Python's salted hash)."""
    return zlib.crc32(client_id.encode()) % shards


class ByPhone(GlobalSecondaryIndex["Client"]):
    class Meta:
        index_name = "by_phone"
        projection = KeysOnlyProjection()

    phone_hash = UnicodeAttribute(hash_key=True)


class ByCoach(GlobalSecondaryIndex["Client"]):
    class Meta:
        index_name = "by_coach"
        projection = AllProjection()

    coach_id = UnicodeAttribute(hash_key=True)
    client_id = UnicodeAttribute(range_key=True)


class Due(GlobalSecondaryIndex["Client"]):
    """Sparse: only clients that should be probed carry ``due_shard`` / ``next_probe_at``."""

    class Meta:
        index_name = "due"
        projection = IncludeProjection(["timezone", "checkin_time"])

    due_shard = NumberAttribute(hash_key=True)
    next_probe_at = UnicodeAttribute(range_key=True)


class Client(Model):
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
    status = UnicodeAttribute(default=ACTIVE)
    consented_at = UnicodeAttribute(null=True)
    enrolled_at = UnicodeAttribute()
    due_shard = NumberAttribute(null=True)
    next_probe_at = UnicodeAttribute(null=True)
    last_probe_date = UnicodeAttribute(null=True)
    open_alert_id = UnicodeAttribute(null=True)

    by_phone = ByPhone()
    by_coach = ByCoach()
    due = Due()

    @property
    def checkin(self) -> CheckinTime:
        return CheckinTime.parse(self.checkin_time, self.timezone)

    @property
    def probing(self) -> bool:
        """Whether this client should receive check-ins: active and consenting."""
        return self.status == ACTIVE and self.consented_at is not None


class BySid(GlobalSecondaryIndex["Message"]):
    class Meta:
        index_name = "by_sid"
        projection = KeysOnlyProjection()

    sid = UnicodeAttribute(hash_key=True)


class Message(Model):
    """One SMS in or out. Inbound replies keep their text (needed to re-score); outbound keep a kind only."""

    class Meta:
        table_name = "MessagesTable"

    client_id = UnicodeAttribute(hash_key=True)
    at = UnicodeAttribute(range_key=True)  # "<ISO UTC>#<Twilio SID>": time-ordered and unique
    sid = UnicodeAttribute()
    direction = UnicodeAttribute()  # "inbound" | "outbound"
    kind = UnicodeAttribute()  # probe | reply | keyword | resources | notice
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

    by_sid = BySid()

    @property
    def received_at(self) -> datetime:
        return datetime.fromisoformat(self.at.split("#", 1)[0].replace("Z", "+00:00"))


class TimelineEntry(MapAttribute[str, Any]):
    at = UnicodeAttribute()
    event = UnicodeAttribute()  # raised | appended | paged | acknowledged | escalated | resolved | ...
    detail = UnicodeAttribute(default="")


class AlertsByClient(GlobalSecondaryIndex["Alert"]):
    class Meta:
        index_name = "by_client"
        projection = AllProjection()

    client_id = UnicodeAttribute(hash_key=True)
    opened_at = UnicodeAttribute(range_key=True)


class PendingEscalation(GlobalSecondaryIndex["Alert"]):
    """Sparse: only alerts waiting for an acknowledgement carry ``pending`` / ``escalate_at``.

    The ACK code is projected so ``ACK <code>`` and a new alert's code are answered from the index.
    """

    class Meta:
        index_name = "pending_escalation"
        projection = IncludeProjection(["ack_code"])

    pending = UnicodeAttribute(hash_key=True)
    escalate_at = UnicodeAttribute(range_key=True)


class Alert(Model):
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
    timeline = ListAttribute[TimelineEntry](of=TimelineEntry, default=list)
    paged_to = UnicodeAttribute(null=True)
    paged_steps = ListAttribute[str](of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
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

    by_client = AlertsByClient()
    pending_escalation = PendingEscalation()


class OnCallShift(Model):
    """A shift of a rota: from ``starts_at`` until ``ends_at``, a primary and an optional backup."""

    class Meta:
        table_name = "OnCallTable"

    rota = UnicodeAttribute(hash_key=True)  # "override" beats "primary"
    starts_at = UnicodeAttribute(range_key=True)
    ends_at = UnicodeAttribute()
    primary_coach_id = UnicodeAttribute()
    backup_coach_id = UnicodeAttribute(null=True)


class CoachByPhone(GlobalSecondaryIndex["Coach"]):
    class Meta:
        index_name = "by_phone"
        projection = AllProjection()

    phone_hash = UnicodeAttribute(hash_key=True)


class Coach(Model):
    """A coach: who gets pages (by SNS subscription on ``coach_id``) and the weekly e-mail."""

    class Meta:
        table_name = "CoachesTable"

    coach_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    email = UnicodeAttribute()
    phone_hash = UnicodeAttribute(null=True)  # lets a coach text ACK <code>; the number itself is not kept

    by_phone = CoachByPhone()


def bind_tables(settings: Settings) -> None:
    """Point every model at the table names from ``settings`` (called once at cold start)."""
    names = {
        Client: settings.clients_table,
        Message: settings.messages_table,
        Alert: settings.alerts_table,
        OnCallShift: settings.oncall_table,
        Coach: settings.coaches_table,
    }
    for model, table_name in names.items():
        model.Meta.table_name = table_name
        # PynamoDB caches the connection with the old name; drop it so the new name takes effect.
        model._connection = None


# --- clients -------------------------------------------------------------------------------------


def get_client(client_id: str) -> Client | None:
    """The client with ``client_id``, or None."""
    try:
        return Client.get(client_id, consistent_read=True)
    except DoesNotExist:
        return None


def find_client_by_phone(phone_key: str) -> Client | None:
    """The client whose keyed phone hash is ``phone_key`` (pattern 1), or None."""
    for keys in Client.by_phone.query(phone_key, limit=1):
        return get_client(keys.client_id)
    return None


def find_due_clients(shard: int, before: datetime) -> Iterator[Client]:
    """Clients in ``shard`` whose next probe is due before ``before`` (pattern 2; projected attributes only)."""
    yield from Client.due.query(shard, Client.next_probe_at < to_iso(before))


def clients_of_coach(coach_id: str) -> list[Client]:
    """Every client of one coach (pattern 4)."""
    return list(Client.by_coach.query(coach_id))


def schedule_next_probe(client: Client, next_at: datetime | None, *, shards: int) -> bool:
    """Move the client's next probe to ``next_at`` (None removes it from the due index).

    Conditional on the value we read, so two overlapping scheduler runs cannot both advance it.
    """
    expected = client.next_probe_at
    condition = (
        Client.next_probe_at == expected if expected is not None else Client.next_probe_at.does_not_exist()
    )
    actions: list[Action] = (
        [Client.next_probe_at.set(to_iso(next_at)), Client.due_shard.set(shard_of(client.client_id, shards))]
        if next_at is not None
        else [Client.next_probe_at.remove(), Client.due_shard.remove()]
    )
    try:
        Client(client_id=client.client_id).update(actions=actions, condition=condition)
    except UpdateError as exc:
        if _conditional_failure(exc):
            return False
        raise
    return True


def set_client_status(client: Client, status: str, *, now: datetime, shards: int) -> None:
    """Change a client's status and keep the due index in step: only probing clients are in it."""
    actions: list[Any] = [Client.status.set(status)]
    if status == ACTIVE and client.consented_at is not None:
        next_at = client.checkin.next_after(now)
        actions += [
            Client.next_probe_at.set(to_iso(next_at)),
            Client.due_shard.set(shard_of(client.client_id, shards)),
        ]
    else:
        actions += [Client.next_probe_at.remove(), Client.due_shard.remove()]
    client.update(actions=actions)


def mark_probed(client_id: str, local_date: str) -> None:
    """Remember the local date of the last probe sent (shown by ``moodline client show``)."""
    Client(client_id=client_id).update(actions=[Client.last_probe_date.set(local_date)])


# --- messages ------------------------------------------------------------------------------------


def message_key(at: datetime, sid: str) -> str:
    """The range key of a message: sortable time, then the SID for uniqueness."""
    return f"{to_iso(at)}#{sid}"


def record_message(message: Message, *, retention_days: int) -> Message:
    """Store a message once; a second write of the same (client, at) is refused, not duplicated."""
    message.expires_at = message.received_at + timedelta(days=retention_days)
    try:
        message.save(condition=Message.at.does_not_exist())
    except PutError as exc:
        if not _conditional_failure(exc):
            raise
    return message


def messages_between(client_id: str, start: datetime, end: datetime) -> list[Message]:
    """A client's messages with ``start <= at < end``, oldest first (pattern 3)."""
    return list(Message.query(client_id, Message.at.between(to_iso(start), to_iso(end) + "~")))


BASELINE_DAYS = 14


def mood_history(reply: Message, *, days: int = BASELINE_DAYS) -> list[float]:
    """The client's rated moods in the ``days`` before ``reply``, oldest first: the triage baseline."""
    at = reply.received_at
    return [
        float(m.mood)
        for m in messages_between(reply.client_id, at - timedelta(days=days), at)
        if m.direction == "inbound" and m.mood is not None and m.at != reply.at
    ]


def find_message_by_sid(sid: str) -> Message | None:
    """The message Twilio knows as ``sid`` (pattern 7), or None."""
    for keys in Message.by_sid.query(sid, limit=1):
        try:
            return Message.get(keys.client_id, keys.at, consistent_read=True)
        except DoesNotExist:
            return None
    return None


# Twilio delivery states in order; callbacks can arrive out of order, and a status never moves back.
_STATUS_ORDER = {"accepted": 0, "queued": 1, "sending": 2, "sent": 3, "delivered": 4,
                 "undelivered": 4, "failed": 4, "read": 5}


def update_delivery_status(message: Message, status: str, error_code: int | None) -> bool:
    """Record a delivery status unless it would move the message backwards; returns whether it changed.

    Conditional on the stored rank, so two callbacks racing ("sent" and "delivered" arrive together)
    cannot leave the earlier status last.
    """
    rank = _STATUS_ORDER.get(status, -1)
    if rank <= _STATUS_ORDER.get(message.status or "", -1):
        return False
    actions: list[Any] = [Message.status.set(status), Message.status_rank.set(rank)]
    if error_code is not None:
        actions.append(Message.error_code.set(error_code))
    try:
        message.update(actions=actions,
                       condition=Message.status_rank.does_not_exist() | (Message.status_rank < rank))
    except UpdateError as exc:
        if _conditional_failure(exc):
            return False
        raise
    return True


def save_assessment(message: Message, *, mood: float | None, level: str, reasons: list[str],
                    alert_id: str | None) -> None:
    """Write the triage result back onto the reply (a MODIFY, which the scoring stream filter ignores)."""
    actions: list[Any] = [Message.level.set(level), Message.reasons.set(reasons)]
    actions.append(Message.mood.set(mood) if mood is not None else Message.mood.remove())
    if alert_id:
        actions.append(Message.alert_id.set(alert_id))
    message.update(actions=actions)


# --- alerts --------------------------------------------------------------------------------------


def get_alert(alert_id: str) -> Alert | None:
    """The alert with ``alert_id``, or None."""
    try:
        return Alert.get(alert_id, consistent_read=True)
    except DoesNotExist:
        return None


def open_alert(alert: Alert, client_id: str, *, replacing: str | None = None) -> bool:
    """Create ``alert`` as the client's one open episode; False if another episode is already open.

    ``replacing`` is a resolved alert the client still points at (a resolve that died before it
    released the pointer): the new episode may take its place.
    """
    free = Client.open_alert_id.does_not_exist()
    if replacing is not None:
        free = free | (Client.open_alert_id == replacing)
    try:
        with TransactWrite(connection=Connection()) as transaction:
            transaction.save(alert, condition=Alert.alert_id.does_not_exist())
            transaction.update(
                Client(client_id=client_id),
                actions=[Client.open_alert_id.set(alert.alert_id)],
                condition=free,
            )
    except TransactWriteError as exc:
        if "ConditionalCheckFailed" in str(exc.cause_response_code) or "TransactionCanceled" in str(
            exc.cause_response_code
        ):
            return False
        raise
    return True


PENDING = "PENDING"


def update_alert(alert_id: str, change: Callable[[Alert], bool], *, attempts: int = 5) -> Alert | None:
    """Read the alert, apply ``change`` (which returns whether it changed anything), save; retry on conflict.

    Returns the alert as saved (or as read, when nothing changed), or None if it does not exist.
    """
    for _ in range(attempts):
        alert = get_alert(alert_id)
        if alert is None or not change(alert):
            return alert
        try:
            alert.save()
        except PutError as exc:
            if _conditional_failure(exc):
                continue  # someone else wrote first: re-read and re-apply
            raise
        return alert
    raise RuntimeError(f"alert {alert_id} kept changing under us; retry")


def find_due_escalations(now: datetime) -> list[Alert]:
    """Unacknowledged alerts whose next escalation is due at ``now`` (sparse index: cost ∝ pending alerts)."""
    keys = Alert.pending_escalation.query(PENDING, Alert.escalate_at <= to_iso(now))
    return [alert for key in keys if (alert := get_alert(key.alert_id)) is not None]


def pending_ack_codes() -> dict[str, str]:
    """The ACK code of every alert still waiting for an acknowledgement: code → alert id (one query)."""
    return {alert.ack_code: alert.alert_id for alert in Alert.pending_escalation.query(PENDING)}


def close_episode(alert: Alert) -> None:
    """Release the client's episode pointer so the next risky reply opens a new alert."""
    try:
        Client(client_id=alert.client_id).update(
            actions=[Client.open_alert_id.remove()], condition=Client.open_alert_id == alert.alert_id
        )
    except UpdateError as exc:
        if not _conditional_failure(exc):
            raise


def find_coach_by_phone(phone_key: str) -> Coach | None:
    """The coach whose keyed phone hash is ``phone_key``, or None."""
    return next(iter(Coach.by_phone.query(phone_key, limit=1)), None)


def alerts_of_client(client_id: str, start: datetime, end: datetime) -> list[Alert]:
    """Alerts of one client opened in ``[start, end)`` (pattern 5, history)."""
    return list(Alert.by_client.query(client_id, Alert.opened_at.between(to_iso(start), to_iso(end))))


# --- on call and coaches -------------------------------------------------------------------------


def find_shift(rota: str, at: datetime) -> OnCallShift | None:
    """The shift of ``rota`` covering ``at``: the latest start at or before it, if it has not ended (pattern 6)."""
    for shift in OnCallShift.query(
        rota, OnCallShift.starts_at <= to_iso(at), scan_index_forward=False, limit=1
    ):
        return shift if shift.ends_at > to_iso(at) else None
    return None


def get_coach(coach_id: str) -> Coach | None:
    """The coach with ``coach_id``, or None."""
    try:
        return Coach.get(coach_id)
    except DoesNotExist:
        return None


def all_coaches() -> list[Coach]:
    """Every coach. A scan, deliberately: the coaches table is small and read once a week."""
    return list(Coach.scan())


def _conditional_failure(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"
