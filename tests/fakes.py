"""In-memory fakes of every port in moodline.ports, and the use cases wired on them.

They behave like the real adapters where the use cases depend on it: a message is written once
per (client, at), an alert save is conditional on the version read (a stale write raises and the
repository re-reads), the client's episode pointer is claimed atomically with the alert, the
due index holds only clients with a next probe, and ``once`` remembers results per key and
forgets a call that raised. ``tests/integration/test_repository_contract.py`` runs one contract on
both these fakes and the DynamoDB adapter (on moto).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import jmespath

from moodline.admin import Roster
from moodline.alerting import EscalationPolicy
from moodline.domain import (
    Alert,
    AuditEntry,
    Client,
    Coach,
    Message,
    Page,
    ReviewMark,
    SentSms,
    Shift,
    SmsSendError,
    awaits_review,
    in_due_index,
    shard_of,
)
from moodline.inbound import DeliveryStatuses, InboundSmsService
from moodline.paging import AlertActions, AlertDesk, PagerCheck
from moodline.ports import AlertConflict
from moodline.probes import ProbeScheduler, ProbeSender
from moodline.redrive import ScoringRedrive
from moodline.schedule import from_iso, to_iso
from moodline.scoring import ReplyScorer
from moodline.settings import Settings
from moodline.triage.engine import assess_reply
from moodline.triage.model import Level
from moodline.vocabulary import AlertStatus, ClientStatus, DeliveryStatus, MessageKind, Refusal, Rota
from moodline.weekly import WeeklySummaries, WeeklyTick

F = TypeVar("F", bound=Callable[..., Any])


# --- the world outside ------------------------------------------------------------------------


@dataclass
class FakeSms:
    """Records every SMS; ``refuse`` makes the next sends fail as the provider would."""

    sent: list[tuple[str, str]] = field(default_factory=list)
    refusals: list[SmsSendError] = field(default_factory=list)
    valid_for: list[timedelta | None] = field(default_factory=list)  # per sent SMS, in order
    _sids: Iterable[int] = field(default_factory=itertools.count)

    def refuse(self, refusal: Refusal, code: int | None = None, times: int = 1) -> None:
        self.refusals += [SmsSendError(f"refused: {refusal}", refusal=refusal, code=code) for _ in range(times)]

    def send(self, to: str, body: str, *, valid_for: timedelta | None = None) -> SentSms:
        if self.refusals:
            raise self.refusals.pop(0)
        self.sent.append((to, body))
        self.valid_for.append(valid_for)
        return SentSms(sid=f"SM{next(iter(self._sids)):032x}", status=DeliveryStatus.QUEUED, rank=1)

    def to(self, number: str) -> list[str]:
        return [body for to, body in self.sent if to == number]


@dataclass
class FakePager:
    """Records pages; ``down`` makes publishing fail like an SNS outage."""

    pages: list[Page] = field(default_factory=list)
    down: bool = False

    def publish(self, page: Page) -> str:
        if self.down:
            raise ConnectionError("pager unreachable")
        self.pages.append(page)
        return f"msg-{len(self.pages)}"

    def targets(self) -> list[str]:
        return [page.coach_id for page in self.pages]


@dataclass
class FakeMailer:
    sent: list[dict[str, str]] = field(default_factory=list)

    def send(self, *, to: str, subject: str, html: str, text: str) -> str:
        self.sent.append({"to": to, "subject": subject, "html": html, "text": text})
        return f"mail-{len(self.sent)}"


@dataclass
class FakeQueue:
    bodies: list[str] = field(default_factory=list)
    delay_of: dict[str, int] = field(default_factory=dict)  # the SQS delay each body was sent with, in s

    def send_all(self, bodies: Sequence[str], *, delay_seconds: int = 0) -> None:
        if not 0 <= delay_seconds <= 900:
            raise ValueError(f"an SQS delay is 0-900 s, not {delay_seconds}")
        self.bodies.extend(bodies)
        self.delay_of.update(dict.fromkeys(bodies, delay_seconds))

    def drain(self) -> list[dict[str, Any]]:
        drained, self.bodies = self.bodies, []
        return [json.loads(body) for body in drained]

    def take(self) -> list[tuple[str, int]]:
        """Every body with its delay, as the consumer receives them once their delays have passed."""
        taken, self.bodies = self.bodies, []
        return [(body, self.delay_of.get(body, 0)) for body in taken]


class FakeOnce:
    """Powertools idempotency in memory: one result per key, nothing remembered for a call that raised."""

    def __init__(self) -> None:
        self.results: dict[str, Any] = {}

    def __call__(self, func: F, *, key_prefix: str, data_keyword: str, key_jmespath: str,
                 expires_after_seconds: int) -> F:
        def once(**kwargs: Any) -> Any:
            key = f"{key_prefix}#{json.dumps(jmespath.search(key_jmespath, kwargs[data_keyword]), sort_keys=True)}"
            if key not in self.results:
                self.results[key] = func(**kwargs)  # an exception propagates and records nothing
            return self.results[key]

        return once  # type: ignore[return-value]


# --- repositories -----------------------------------------------------------------------------


class FakeClients:
    def __init__(self) -> None:
        self.rows: dict[str, Client] = {}

    def get(self, client_id: str) -> Client | None:
        return self.rows.get(client_id)

    def by_phone(self, phone_key: str) -> Client | None:
        return next((c for c in self.rows.values() if c.phone_hash == phone_key), None)

    def due(self, shard: int, before: datetime) -> list[Client]:
        return sorted((c for c in self.rows.values() if c.due_shard == shard and c.next_probe_at is not None
                       and c.next_probe_at < to_iso(before)), key=lambda c: c.next_probe_at or "")

    def of_coach(self, coach_id: str) -> list[Client]:
        return sorted((c for c in self.rows.values() if c.coach_id == coach_id), key=lambda c: c.client_id)

    def all(self) -> list[Client]:
        return list(self.rows.values())

    def add(self, client: Client) -> bool:
        if client.client_id in self.rows:
            return False
        self.rows[client.client_id] = client
        return True

    def schedule_next_probe(self, client: Client, next_at: datetime | None, *, shards: int) -> bool:
        stored = self.rows.get(client.client_id)
        if stored is None or stored.next_probe_at != client.next_probe_at:  # conditional on the value read
            return False
        self.rows[client.client_id] = replace(
            stored, next_probe_at=to_iso(next_at) if next_at else None,
            due_shard=shard_of(client.client_id, shards) if next_at else None)
        return True

    def set_status(self, client: Client, status: ClientStatus, *, now: datetime, shards: int) -> None:
        stored = self.rows[client.client_id]
        probing = in_due_index(status, stored.consented_at)
        self.rows[client.client_id] = replace(
            stored, status=status,
            next_probe_at=to_iso(stored.checkin.next_after(now)) if probing else None,
            due_shard=shard_of(client.client_id, shards) if probing else None)

    def claim_probe(self, client_id: str, local_date: str) -> Client | None:
        stored = self.rows.get(client_id)
        if stored is None or not in_due_index(stored.status, stored.consented_at) \
                or stored.last_probe_date == local_date:
            return None
        self.rows[client_id] = replace(stored, last_probe_date=local_date)
        return stored

    def release_probe(self, client: Client, local_date: str) -> None:
        stored = self.rows.get(client.client_id)
        if stored is not None and stored.last_probe_date == local_date:
            self.rows[client.client_id] = replace(stored, last_probe_date=client.last_probe_date)

    def save(self, client: Client) -> None:
        stored = self.rows[client.client_id]  # the due index, probe date and alert pointer are kept
        self.rows[client.client_id] = replace(
            client, status=stored.status, due_shard=stored.due_shard, next_probe_at=stored.next_probe_at,
            last_probe_date=stored.last_probe_date, open_alert_id=stored.open_alert_id)

    def delete(self, client_id: str) -> None:
        self.rows.pop(client_id, None)


class FakeMessages:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], Message] = {}
        self.unwritable = 0  # how many messages the next record_many calls leave unwritten
        self.batch_writes = 0
        self.inbound_sids: dict[str, tuple[str, datetime]] = {}  # the SID claims: sid -> (reply_sent, expires)

    def record(self, message: Message, *, retention_days: int) -> Message:
        key = (message.client_id, message.at)
        if key not in self.rows:  # written once: a second write of the same key is refused
            self.rows[key] = replace(message, expires_at=message.received_at + timedelta(days=retention_days))
        return self.rows[key]

    def record_many(self, messages: Sequence[Message], *, retention_days: int) -> list[Message]:
        """Writes all but the first ``unwritable`` messages of this call (the store's retries gave up on them)."""
        refused, self.unwritable = list(messages[:self.unwritable]), max(0, self.unwritable - len(messages))
        for message in messages[len(refused):]:
            self.rows[(message.client_id, message.at)] = replace(
                message, expires_at=message.received_at + timedelta(days=retention_days))
        self.batch_writes += 1
        return refused

    def record_inbound(self, message: Message, *, retention_days: int, sid_kept: timedelta) -> str | None:
        # The message and its SID's claim, both or neither, as the table's transaction writes them.
        first = self.inbound_sids.get(message.sid)
        if first is not None and first[1] > message.received_at:
            return first[0]
        if (message.client_id, message.at) in self.rows:
            return self.rows[(message.client_id, message.at)].reply_sent or ""
        self.record(message, retention_days=retention_days)
        self.inbound_sids[message.sid] = (message.reply_sent or "", message.received_at + sid_kept)
        return None

    def inbound_answered(self, sid: str) -> str | None:
        first = self.inbound_sids.get(sid)
        return first[0] if first is not None else None

    def get(self, client_id: str, at: str) -> Message | None:
        return self.rows.get((client_id, at))

    def between(self, client_id: str, start: datetime, end: datetime) -> list[Message]:
        low, high = to_iso(start), to_iso(end) + "~"
        return sorted((m for (cid, at), m in self.rows.items() if cid == client_id and low <= at <= high),
                      key=lambda m: m.at)

    def by_sid(self, sid: str) -> Message | None:
        return next((m for m in self.rows.values() if m.sid == sid), None)

    def advance_delivery_status(self, message: Message, status: DeliveryStatus, rank: int,
                                error_code: int | None) -> bool:
        stored = self.rows.get((message.client_id, message.at))
        if stored is None or (stored.status_rank is not None and stored.status_rank >= rank):
            return False
        self.rows[(message.client_id, message.at)] = replace(
            stored, status=status, status_rank=rank,
            error_code=error_code if error_code is not None else stored.error_code)
        return True

    def link_alert(self, client_id: str, at: str, alert_id: str) -> None:
        stored = self.rows.get((client_id, at))
        if stored is not None and stored.alert_id is None:
            self.rows[(client_id, at)] = replace(stored, alert_id=alert_id)

    def save_assessment(self, message: Message, *, mood: float | None, level: Level, reasons: list[str],
                        alert_id: str | None, review: bool = False) -> bool:
        key = (message.client_id, message.at)
        stored = self.rows.get(key)
        if stored is None:  # as DynamoDB's conditional update: a message that is gone stays gone
            return False
        self.rows[key] = replace(stored, mood=mood, level=level, reasons=tuple(reasons),
                                 alert_id=alert_id or stored.alert_id, review=review)
        return True

    def unscored_replies(self, since: datetime) -> list[Message]:
        return [m for m in self.rows.values()
                if m.kind is MessageKind.REPLY and m.level is None and m.at >= to_iso(since)]

    def delete_of_client(self, client_id: str) -> int:
        keys = [key for key in self.rows if key[0] == client_id]
        for key in keys:
            del self.rows[key]
        return len(keys)


class FakeAlerts:
    """Versioned like the DynamoDB table: a save on a stale version is refused, and ``update`` re-reads."""

    def __init__(self, clients: FakeClients, *, attempts: int = 5) -> None:
        self.rows: dict[str, Alert] = {}
        self._clients = clients
        self._attempts = attempts
        # Test seam: called between the read and the write of an update, to simulate a concurrent writer.
        self.before_write: Callable[[str], None] | None = None

    def get(self, alert_id: str) -> Alert | None:
        return self.rows.get(alert_id)

    def get_many(self, alert_ids: Sequence[str]) -> list[Alert]:
        return [self.rows[a] for a in dict.fromkeys(alert_ids) if a in self.rows]

    def save(self, alert: Alert) -> Alert:
        """A conditional put, as PynamoDB's VersionAttribute makes it."""
        stored = self.rows.get(alert.alert_id)
        if (stored.version if stored else None) != alert.version:
            raise AlertConflict("version changed")
        saved = replace(alert, version=(alert.version or 0) + 1)
        self.rows[alert.alert_id] = saved
        return saved

    def open_episode(self, alert: Alert, *, replacing: str | None = None) -> bool:
        client = self._clients.get(alert.client_id)
        if alert.alert_id in self.rows or client is None:
            return False
        if client.open_alert_id is not None and client.open_alert_id != replacing:
            return False
        self.save(alert)
        self._clients.rows[client.client_id] = replace(client, open_alert_id=alert.alert_id)
        return True

    def update(self, alert_id: str, change: Callable[[Alert], Alert | None]) -> Alert | None:
        for _ in range(self._attempts):
            current = self.rows.get(alert_id)
            if current is None:
                return None
            changed = change(current)
            if changed is None:
                return current
            if self.before_write is not None:
                self.before_write(alert_id)
            try:
                return self.save(changed)
            except AlertConflict:
                continue
        raise AlertConflict(f"alert {alert_id} kept changing under us; retry")

    def close_episode(self, alert: Alert) -> None:
        client = self._clients.get(alert.client_id)
        if client is not None and client.open_alert_id == alert.alert_id:
            self._clients.rows[client.client_id] = replace(client, open_alert_id=None)

    def pending(self) -> list[Alert]:
        return [a for a in self.rows.values() if a.escalate_at is not None]

    def unresolved(self) -> list[Alert]:
        return [a for a in self.rows.values() if a.status is not AlertStatus.RESOLVED]

    def resolved(self) -> list[Alert]:
        return [a for a in self.rows.values() if a.status is AlertStatus.RESOLVED]

    def resolved_between(self, start: datetime, end: datetime) -> list[Alert]:
        return sorted((a for a in self.resolved() if a.resolved_at and start <= from_iso(a.resolved_at) < end),
                      key=lambda a: a.resolved_at or "")

    def of_client(self, client_id: str, start: datetime, end: datetime) -> list[Alert]:
        return sorted((a for a in self.rows.values()
                       if a.client_id == client_id and to_iso(start) <= a.opened_at <= to_iso(end)),
                      key=lambda a: a.opened_at)

    def delete_of_client(self, client_id: str) -> int:
        ids = [a.alert_id for a in self.rows.values() if a.client_id == client_id]
        for alert_id in ids:
            del self.rows[alert_id]
        return len(ids)


class FakeOnCall:
    def __init__(self) -> None:
        self.shifts: list[Shift] = []

    def shift_at(self, rota: Rota, at: datetime) -> Shift | None:
        started = [s for s in self.shifts if s.rota is rota and s.starts_at <= to_iso(at)]
        latest = max(started, key=lambda s: s.starts_at, default=None)
        return latest if latest is not None and latest.ends_at > to_iso(at) else None

    def put(self, shift: Shift) -> None:
        self.shifts = [s for s in self.shifts if (s.rota, s.starts_at) != (shift.rota, shift.starts_at)] + [shift]


class FakeCoaches:
    def __init__(self) -> None:
        self.rows: dict[str, Coach] = {}

    def get(self, coach_id: str) -> Coach | None:
        return self.rows.get(coach_id)

    def by_phone(self, phone_key: str) -> Coach | None:
        return next((c for c in self.rows.values() if c.phone_hash == phone_key), None)

    def all(self) -> list[Coach]:
        return list(self.rows.values())

    def put(self, coach: Coach) -> None:
        self.rows[coach.coach_id] = coach

    def delete(self, coach_id: str) -> None:
        self.rows.pop(coach_id, None)


# --- the coach workspace's own repositories ----------------------------------------------------


class FakeReviews:
    """First mark of a reply wins, as the conditional put on ``ReviewTable`` makes it; ``waiting`` reads the
    replies of ``messages`` as the sparse index holds them (awaiting a review, not marked)."""

    def __init__(self, messages: FakeMessages | None = None) -> None:
        self.rows: dict[tuple[str, str], ReviewMark] = {}
        self.messages = messages if messages is not None else FakeMessages()

    def waiting(self, since: datetime, clients: Collection[str] | None = None) -> list[tuple[str, str]]:
        return sorted(((cid, at) for (cid, at), m in self.messages.rows.items()
                       if at >= to_iso(since) and awaits_review(m) and (cid, at) not in self.rows
                       and (clients is None or cid in clients)),
                      key=lambda ref: (ref[1], ref[0]))

    def mark(self, mark: ReviewMark) -> bool:
        if (mark.client_id, mark.message_key) in self.rows:
            return False
        self.rows[(mark.client_id, mark.message_key)] = mark
        return True

    def of_client(self, client_id: str, since: datetime) -> list[ReviewMark]:
        return [m for (cid, key), m in sorted(self.rows.items()) if cid == client_id and key >= to_iso(since)]

    def with_mark(self, mark: str, since: datetime) -> list[ReviewMark]:
        return sorted((m for m in self.rows.values() if m.mark == mark and m.at >= since), key=lambda m: m.at)


class FakeAudit:
    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    def record(self, entries: Sequence[AuditEntry]) -> None:
        self.entries.extend(entries)

    def of_client(self, client_id: str) -> list[AuditEntry]:
        return [e for e in self.entries if e.client_id == client_id]


class FakeCoachSends:
    def __init__(self) -> None:
        self.claims: dict[str, tuple[str, str]] = {}

    def claim(self, submission_id: str, *, coach_id: str, client_id: str, at: datetime) -> bool:
        if submission_id in self.claims:
            return False
        self.claims[submission_id] = (coach_id, client_id)
        return True

    def release(self, submission_id: str) -> None:
        self.claims.pop(submission_id, None)


class FakeClaims:
    """Claims as the table holds them: a claim is refused while a live one holds the key."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[str | None, int, datetime | None]] = {}  # key -> (owner, hits, expires)

    def _live(self, key: str, now: datetime) -> tuple[str | None, int, datetime | None] | None:
        row = self.rows.get(key)
        return row if row is not None and (row[2] is None or row[2] > now) else None

    def claim(self, key: str, owner: str, *, now: datetime, expires_at: datetime | None = None) -> bool:
        if self._live(key, now) is not None:
            return False
        self.rows[key] = (owner, 0, expires_at)
        return True

    def owner(self, key: str, *, now: datetime) -> str | None:
        row = self._live(key, now)
        return row[0] if row is not None else None

    def release(self, key: str, owner: str) -> None:
        if key in self.rows and self.rows[key][0] == owner:
            del self.rows[key]

    def tally(self, key: str, *, now: datetime, window: timedelta) -> int:
        row = self._live(key, now)
        hits = row[1] + 1 if row is not None else 1
        self.rows[key] = (None, hits, row[2] if row is not None else now + window)
        return hits

    def count(self, key: str, *, now: datetime) -> int:
        row = self._live(key, now)
        return row[1] if row is not None else 0


@dataclass
class FakePagerSubscriptions:
    """Coach ids with a confirmed, filtered pager subscription."""

    confirmed: set[str] = field(default_factory=set)

    def confirmed_coaches(self) -> set[str]:
        return set(self.confirmed)


@dataclass
class FakeDeadLetters:
    """A DLQ: ``letters`` are (receipt, body); ``deleted`` the receipts removed."""

    letters: list[tuple[str, str]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    def receive(self, limit: int) -> list[tuple[str, str]]:
        return [letter for letter in self.letters if letter[0] not in self.deleted][:limit]

    def delete(self, receipts: Sequence[str]) -> None:
        self.deleted += list(receipts)


# --- the use cases, wired on the fakes ---------------------------------------------------------

PHONE_KEY = b"k" * 32
LINK_KEY = b"l" * 32


def crisis_text(locale: str, country: str | None = None) -> str:
    """The composition root's crisis text on the default lines: by country (US when unknown), then language."""
    return Settings(clients_table="c", messages_table="m", alerts_table="a", coaches_table="co",
                    oncall_table="o", idempotency_table="i").crisis_text(locale, country)


@dataclass
class World:
    """Every use case on in-memory fakes: what the composition root builds, minus AWS and Twilio."""

    now: datetime = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
    shards: int = 4
    policy: EscalationPolicy = field(default_factory=EscalationPolicy)
    clients: FakeClients = field(default_factory=FakeClients)
    messages: FakeMessages = field(default_factory=FakeMessages)
    coaches: FakeCoaches = field(default_factory=FakeCoaches)
    on_call: FakeOnCall = field(default_factory=FakeOnCall)
    sms: FakeSms = field(default_factory=FakeSms)
    pager: FakePager = field(default_factory=FakePager)
    mailer: FakeMailer = field(default_factory=FakeMailer)
    queue: FakeQueue = field(default_factory=FakeQueue)
    weekly_queue: FakeQueue = field(default_factory=FakeQueue)
    once: FakeOnce = field(default_factory=FakeOnce)
    reviews: FakeReviews = field(default_factory=FakeReviews)
    audit: FakeAudit = field(default_factory=FakeAudit)
    coach_sends: FakeCoachSends = field(default_factory=FakeCoachSends)
    claims: FakeClaims = field(default_factory=FakeClaims)
    subscriptions: FakePagerSubscriptions = field(default_factory=FakePagerSubscriptions)
    dead_letters: FakeDeadLetters = field(default_factory=FakeDeadLetters)

    def __post_init__(self) -> None:
        self.alerts = FakeAlerts(self.clients)
        self.reviews.messages = self.messages  # the review index lives on the messages table
        self.roster = Roster(clients=self.clients, coaches=self.coaches, on_call=self.on_call,
                             messages=self.messages, alerts=self.alerts, claims=self.claims)
        self.actions = AlertActions(self.alerts, self.claims)
        self.desk = AlertDesk(alerts=self.alerts, clients=self.clients, on_call=self.on_call, pager=self.pager,
                              once=self.once, claims=self.claims, coaches=self.coaches, policy=self.policy, public_base_url="https://moodline.example",
                              link_key=lambda: LINK_KEY)
        self.scorer = ReplyScorer(assess=assess_reply, clients=self.clients, messages=self.messages, desk=self.desk,
                                  sms=self.sms, once=self.once, crisis_text=crisis_text, retention_days=400)
        self.inbound = InboundSmsService(
            clients=self.clients, messages=self.messages, coaches=self.coaches, actions=self.actions,
            claims=self.claims, assess=assess_reply, phone_key=lambda: PHONE_KEY, crisis_text=crisis_text,
            retention_days=400, shards=self.shards, pager=self.pager)
        self.delivery = DeliveryStatuses(clients=self.clients, messages=self.messages, shards=self.shards)
        self.scheduler = ProbeScheduler(clients=self.clients, queue=self.queue, shards=self.shards)
        self.sender = ProbeSender(clients=self.clients, messages=self.messages, sms=self.sms, requeue=self.queue,
                                  retention_days=400, shards=self.shards, clock=lambda: self.now)
        self.weekly = WeeklySummaries(clients=self.clients, messages=self.messages, alerts=self.alerts,
                                      coaches=self.coaches, mailer=self.mailer, once=self.once,
                                      practice_timezone="America/New_York")
        self.weekly_tick = WeeklyTick(coaches=self.coaches, alerts=self.alerts, queue=self.weekly_queue,
                                      practice_timezone="America/New_York")
        self.pager_check = PagerCheck(self.coaches, self.subscriptions)
        self.redrive = ScoringRedrive(self.dead_letters, self.scorer.rescore_unscored)

    def settle(self) -> None:
        """What the messages stream does: score every reply stored and not yet scored."""
        for reply in self.messages.unscored_replies(datetime(2000, 1, 1, tzinfo=UTC)):
            self.scorer.score(reply)
