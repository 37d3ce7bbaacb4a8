"""Daily probes: find who is due in this 15-minute slot, queue one request each, and send them."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from moodline.domain import DUE_SHARDS_MAX, Client, Message, SentSms, SmsSendError, message_key
from moodline.observability import logger, metrics
from moodline.ports import Clients, Messages, Queue, SmsSender
from moodline.schedule import (
    MAX_LATENESS,
    CheckinTime,
    InvalidSchedule,
    from_iso,
    is_stale,
    latest_delivery,
    slot_end,
    to_iso,
    within_sending_hours,
)
from moodline.texts import text_for, welcome_text
from moodline.vocabulary import ClientStatus, DeliveryStatus, Direction, MessageKind

WELCOME_RETRY_AFTER = timedelta(hours=48)  # no YES: the welcome goes once more, then the client is no_consent
WELCOMES_MAX = 2


class InvalidProbeRequest(ValueError):
    """An SQS body that is not a probe request (it will land in the DLQ after its retries)."""


@dataclass(frozen=True)
class ProbeRequest:
    """One client's check-in for one local date. ``client_id + local_date`` is its idempotency key."""

    client_id: str
    local_date: str
    due_at: str

    @classmethod
    def from_json(cls, body: str) -> ProbeRequest:
        """Parse and validate an SQS message body."""
        try:
            data = json.loads(body)
            request = cls(str(data["client_id"]), str(data["local_date"]), str(data["due_at"]))
            date.fromisoformat(request.local_date)
            from_iso(request.due_at)
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidProbeRequest("not a probe request") from exc
        return request

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))


@dataclass(frozen=True)
class SchedulingRun:
    """What one scheduler tick did."""

    slot_end: str
    queued: int
    stale_skipped: int
    invalid: int


def plan_probe(client: Client, now: datetime) -> tuple[ProbeRequest | None, datetime, bool]:
    """For a due client: the request to queue (None if nothing is due now), the next due instant,
    and whether a missed probe was skipped as too late to send (a scheduler outage, say).
    """
    checkin = CheckinTime.parse(client.checkin_time, client.timezone)
    due_at = from_iso(client.next_probe_at or to_iso(now))
    skipped = False
    if is_stale(due_at, now):
        # Too late for that one; today's may still be ahead, or in this very slot.
        skipped = True
        due_at = checkin.next_after(now - MAX_LATENESS)
        if due_at >= slot_end(now):
            return None, due_at, skipped
    request = ProbeRequest(client.client_id, checkin.local_date_of(due_at).isoformat(), to_iso(due_at))
    return request, checkin.next_after(max(due_at, now)), skipped


QUEUE_BATCH = 10  # SendMessageBatch's limit: one batch and the advances of its clients are a tick's unit of work
# Concurrent units per tick: botocore keeps 10 connections per client, and a thread beyond that would open
# (TLS handshake) and drop a connection on every call. 10 workers × (1 SendMessageBatch + 10 UpdateItems)
# per round: a slot with 30k due is 300 rounds, ~20 s at in-region latencies, in a 60 s timeout.
TICK_WORKERS = 10
# What one more send may take (the provider's HTTP timeout, 10 s) plus the batch's record write and retries.
SEND_RESERVE_SECONDS = 15.0


@dataclass(frozen=True)
class _BatchRun:
    queued: int
    stale_skipped: int
    invalid: int


class ProbeScheduler:
    """Turns the due index into queued probe requests; one tick costs O(clients due), never a scan.

    A tick reads every shard the index can hold (``DUE_SHARDS_MAX``), not only the ``shards`` it
    writes to: a client put on a shard under an earlier ``DUE_SHARDS`` is still read, so changing
    the setting never strands anyone. Each advance moves its client to the shard of the current
    count; ``Roster.reshard`` (``moodline reshard``) moves the rest at once.
    """

    def __init__(self, *, clients: Clients, queue: Queue, shards: int, workers: int = TICK_WORKERS) -> None:
        if not 1 <= shards <= DUE_SHARDS_MAX:
            raise ValueError(f"shards must be 1..{DUE_SHARDS_MAX}, got {shards}")
        self._clients = clients
        self._queue = queue
        self._shards = shards
        self._workers = workers

    def queue_due_probes(self, now: datetime) -> SchedulingRun:
        """Queue a probe for every client due before the end of ``now``'s slot, then advance them."""
        end = slot_end(now)
        with ThreadPoolExecutor(max_workers=self._workers) as pool:
            # The shards are independent partitions of the due index: read them concurrently...
            due = [client for shard in pool.map(lambda shard: self._clients.due(shard, end), range(DUE_SHARDS_MAX))
                   for client in shard]
            # ...then queue and advance ten at a time, concurrently: the tick costs due / 10 / workers
            # rounds of one SendMessageBatch and ten UpdateItems, not one round trip per client in a row.
            batches = [pool.submit(self._queue_batch, due[i : i + QUEUE_BATCH], now)
                       for i in range(0, len(due), QUEUE_BATCH)]
        failures = [exc for batch in batches if (exc := batch.exception()) is not None]
        runs = [batch.result() for batch in batches if batch.exception() is None]
        queued = sum(run.queued for run in runs)
        stale = sum(run.stale_skipped for run in runs)
        invalid = sum(run.invalid for run in runs)
        metrics.add_metric(name="ProbesQueued", unit="Count", value=queued)
        if stale:
            logger.warning("late probes skipped", count=stale)
            metrics.add_metric(name="ProbesSkippedStale", unit="Count", value=stale)
        if failures:
            # The other batches are queued and advanced; these clients are not advanced, so the next
            # tick (or the schedule's retry) reads them again, and send_probe's claim drops any duplicate.
            logger.error("probe batches failed", failed=len(failures), batches=len(batches))
            raise failures[0]
        return SchedulingRun(to_iso(end), queued, stale, invalid)

    def _queue_batch(self, due_clients: list[Client], now: datetime) -> _BatchRun:
        planned: list[tuple[Client, ProbeRequest | None, datetime | None]] = []
        invalid = stale = 0
        for client in due_clients:
            try:
                request, next_at, skipped = plan_probe(client, now)
            except InvalidSchedule:
                # A bad schedule must not block everyone else in the slot; take it out of the index.
                logger.warning("client has an invalid schedule", client_id=client.client_id)
                planned.append((client, None, None))
                invalid += 1
                continue
            stale += skipped
            planned.append((client, request, next_at))
        requests = [request.to_json() for _, request, _ in planned if request is not None]
        self._queue.send_all(requests)
        for client, _, advance_to in planned:
            # Advance only after the requests are on the queue: a crash before this point re-queues
            # them next tick, and send_probe's claim drops the duplicates. The advance also moves the
            # client to its shard under the current count.
            self._clients.schedule_next_probe(client, advance_to, shards=self._shards)
        return _BatchRun(len(requests), stale, invalid)


class ProbeSender:
    """Sends one probe SMS per client per local day, however often the request is delivered.

    A batch costs one conditional claim per probe and one BatchWriteItem per 25 sent probes for their
    records: 12 AWS calls for 10 probes with the cached secret read, where a PutItem each made 21.
    """

    def __init__(self, *, clients: Clients, messages: Messages, sms: SmsSender, requeue: Queue,
                 retention_days: int, shards: int, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 practice_name: str = "Moodline") -> None:
        self._practice_name = practice_name
        self._clients = clients
        self._messages = messages
        self._sms = sms
        self._requeue = requeue  # the probes queue: where a record the store would not take goes to be retried
        self._now = clock
        self._retention_days = retention_days
        self._shards = shards

    def send(self, request: ProbeRequest) -> dict[str, Any]:
        """One request on its own (ops, tests): what :meth:`send_all` does for it, raising what it raised."""
        outcome, sent = self._claim_and_send(request)
        self._record([sent] if sent else [])
        return outcome

    def send_all(self, work: Mapping[str, ProbeRequest | SentProbe],
                 seconds_left: Callable[[], float] | None = None) -> ProbeBatch:
        """Send every request of a batch (keyed by queue item), then record the probes sent, 25 a write.

        A request that raised is returned as failed, for SQS to redeliver; a retryable refusal gave its claim
        back first, so the redelivery sends. The others of the batch go on and are recorded.

        ``seconds_left`` (the invocation's remaining time): when a slow provider leaves too little for one
        more send and the records, the rest of the batch is not claimed and is returned as failed, so SQS
        redelivers it - a timeout must never kill the batch before its records are written.
        """
        outcomes: dict[str, dict[str, Any]] = {}
        failed: list[str] = []
        sent: list[SentProbe] = []
        for item, request in work.items():
            if seconds_left is not None and seconds_left() < SEND_RESERVE_SECONDS:
                failed.append(item)  # not claimed: the redelivery sends it
                continue
            try:
                if isinstance(request, SentProbe):
                    outcomes[item] = self._record_again(request)
                    continue
                outcomes[item], probe = self._claim_and_send(request)
            except Exception as exc:  # one request's failure is its own retry, not the batch's
                logger.warning("probe request failed", item=item, error=type(exc).__name__)
                failed.append(item)
                continue
            if probe is not None:
                sent.append(probe)
        self._record(sent)
        return ProbeBatch(outcomes, failed)

    def _claim_and_send(self, request: ProbeRequest) -> tuple[dict[str, Any], SentProbe | None]:
        """Send the probe of ``request`` unless this client's probe for that local date already went out;
        returns the outcome and the probe to record (None: nothing sent, or the welcome, recorded already).

        Once per client per local day is one conditional claim on the client's row (``Clients.claim_probe``):
        it reads the client, refuses a duplicate delivery and marks the day in a single write, where a
        read, two idempotency writes and a mark used to be four calls.
        """
        client = self._clients.claim_probe(request.client_id, request.local_date)
        if client is None:
            # Opted out or paused after the tick queued it (the latest state wins), or already sent today.
            return {"outcome": "skipped"}, None
        if client.status is ClientStatus.PENDING_CONSENT:
            return self._ask_consent(client, request), None
        if not within_sending_hours(client.timezone, self._now()):
            # Retries or a backlog pushed it into the client's night: a check-in at 23:40 is worse
            # than none. The next day's probe is already scheduled.
            logger.info("probe skipped: outside sending hours", client_id=client.client_id)
            metrics.add_metric(name="ProbesSkippedQuietHours", unit="Count", value=1)
            return {"outcome": "quiet_hours"}, None
        # Twilio queues what exceeds the sender's rate; past the lateness limit or into the client's
        # evening the probe must be dropped there, not delivered (a backlog must not text at 23:40).
        valid_for = latest_delivery(client.timezone, from_iso(request.due_at)) - self._now()
        if valid_for <= timedelta(0):
            logger.info("probe skipped: too late to deliver", client_id=client.client_id)
            metrics.add_metric(name="ProbesSkippedStale", unit="Count", value=1)
            return {"outcome": "stale"}, None
        try:
            sent = self._sms.send(client.phone_e164, text_for("probe", client.locale, name=client.display_name),
                                  valid_for=valid_for)
        except SmsSendError as exc:
            status = exc.refusal.client_status
            if status is None:
                # Throttling or an outage (retryable), or our own configuration (bad token, bad
                # sender): the claim is given back, SQS redelivers, and the DLQ alarms.
                self._clients.release_probe(client, request.local_date)
                raise
            self._clients.set_status(client, status, now=from_iso(request.due_at), shards=self._shards)
            if status is ClientStatus.STOPPED:
                metrics.add_metric(name="OptOuts", unit="Count", value=1)
            logger.warning("probe refused permanently", client_id=client.client_id, sms_error_code=exc.code)
            metrics.add_metric(name="ProbesRefused", unit="Count", value=1)
            return {"outcome": "refused", "code": exc.code}, None
        metrics.add_metric(name="ProbesSent", unit="Count", value=1)
        return {"outcome": "sent", "sid": sent.sid}, SentProbe(request, sent)

    def _record(self, sent: Sequence[SentProbe]) -> None:
        """Record the probes sent, in as few writes as the store takes.

        The SMS has left and the claim holds the client's day, so a redelivered request would neither
        send again nor record: reporting it failed would help nothing. A record the store still refuses
        after its retries goes back on the probes queue as a record to write (retried there, then the
        DLQ, which alarms and can be redriven), and is counted (``ProbeRecordFailed``). If even the
        queue refuses it, the log line (ids only) is what is left to rebuild it, and ``ProbeRecordLost``
        alarms; the claim still stops a second SMS.
        """
        if not sent:
            return
        by_key = {(probe.request.client_id, probe.message().at): probe for probe in sent}
        try:
            unwritten = self._messages.record_many([probe.message() for probe in sent],
                                                   retention_days=self._retention_days)
        except Exception as exc:  # the store is down: every record takes the queue path below
            logger.warning("probe records not written", count=len(sent), error=type(exc).__name__)
            unwritten = [probe.message() for probe in sent]
        if not unwritten:
            return
        left = [by_key[(message.client_id, message.at)] for message in unwritten]
        metrics.add_metric(name="ProbeRecordFailed", unit="Count", value=len(left))
        try:
            self._requeue.send_all([probe.to_json() for probe in left])
        except Exception as exc:  # nothing else can hold the record now: say so loudly, keep going
            for probe in left:
                logger.error("probe sent and its record lost", error=type(exc).__name__, extra=probe.ids())
            metrics.add_metric(name="ProbeRecordLost", unit="Count", value=len(left))
            return
        for probe in left:
            logger.warning("probe sent, record queued to be written again", extra=probe.ids())

    def _record_again(self, probe: SentProbe) -> dict[str, Any]:
        """A record that missed its batch: written once and conditionally, since a delivery callback may
        have found it in the meantime (a write that raised is retried by SQS, then dead-lettered)."""
        self._messages.record(probe.message(), retention_days=self._retention_days)
        logger.info("probe recorded late", extra=probe.ids())
        return {"outcome": "recorded", "sid": probe.sms.sid}

    def _ask_consent(self, client: Client, request: ProbeRequest) -> dict[str, Any]:
        """Double opt-in: the welcome instead of a check-in, at most twice 48 h apart, then ``no_consent``."""
        now = self._now()
        last = from_iso(client.welcomed_at) if client.welcomed_at else None
        if last is not None and now - last < WELCOME_RETRY_AFTER:
            return {"outcome": "awaiting_consent"}
        if client.welcomes_sent >= WELCOMES_MAX:
            self._clients.set_status(client, ClientStatus.NO_CONSENT, now=now, shards=self._shards)
            logger.info("no consent after two welcomes", client_id=client.client_id)
            metrics.add_metric(name="ConsentNotGiven", unit="Count", value=1)
            return {"outcome": "no_consent"}
        if not within_sending_hours(client.timezone, now):
            return {"outcome": "quiet_hours"}
        # The welcome obeys the same last moment as a check-in: never left in the provider's queue into the night.
        valid_for = latest_delivery(client.timezone, from_iso(request.due_at)) - now
        if valid_for <= timedelta(0):
            return {"outcome": "stale"}
        try:
            sent = self._sms.send(client.phone_e164, welcome_text(self._practice_name, client.locale),
                                  valid_for=valid_for)
        except SmsSendError as exc:
            status = exc.refusal.client_status
            if status is None:
                self._clients.release_probe(client, request.local_date)  # retryable: SQS redelivers
                raise
            self._clients.set_status(client, status, now=now, shards=self._shards)
            if status is ClientStatus.STOPPED:
                metrics.add_metric(name="OptOuts", unit="Count", value=1)
            return {"outcome": "refused", "code": exc.code}
        metrics.add_metric(name="WelcomesSent", unit="Count", value=1)
        welcomed = replace(client, welcomes_sent=client.welcomes_sent + 1, welcomed_at=to_iso(now))
        self._clients.save(welcomed)
        self._messages.record(
            Message(client_id=client.client_id, at=message_key(now, sent.sid), sid=sent.sid,
                    direction=Direction.OUTBOUND, kind=MessageKind.NOTICE, local_date=request.local_date,
                    status=sent.status, status_rank=sent.rank),
            retention_days=self._retention_days,
        )
        # The next look is exactly 48 h on: the retry, or (after the second) the move to no_consent.
        fresh = self._clients.get(client.client_id)
        if fresh is not None:
            self._clients.schedule_next_probe(fresh, now + WELCOME_RETRY_AFTER, shards=self._shards)
        return {"outcome": "welcomed", "sid": sent.sid}


@dataclass(frozen=True)
class SentProbe:
    """A probe that went out, to be recorded: its request and the provider's answer.

    On the probes queue (``{"record": {...}}``) when its batch write failed; :func:`probe_work` reads it back.
    """

    request: ProbeRequest
    sms: SentSms

    def message(self) -> Message:
        return Message(
            client_id=self.request.client_id,
            at=message_key(from_iso(self.request.due_at), self.sms.sid),
            sid=self.sms.sid,
            direction=Direction.OUTBOUND,
            kind=MessageKind.PROBE,
            local_date=self.request.local_date,
            status=self.sms.status,
            status_rank=self.sms.rank,
        )

    def ids(self) -> dict[str, str]:
        """What a log line may say about it: ids and dates, never the number or the text."""
        return {"client_id": self.request.client_id, "message_sid": self.sms.sid,
                "local_date": self.request.local_date, "due_at": self.request.due_at}

    def to_json(self) -> str:
        record = {**asdict(self.request), "sid": self.sms.sid, "status": self.sms.status.value, "rank": self.sms.rank}
        return json.dumps({"record": record}, separators=(",", ":"))


@dataclass(frozen=True)
class ProbeBatch:
    """What :meth:`ProbeSender.send_all` did: an outcome per queue item, and the items to redeliver."""

    outcomes: dict[str, dict[str, Any]]
    failed: list[str]


def probe_work(body: str) -> ProbeRequest | SentProbe:
    """A probes-queue body: a request to send, or a sent probe whose record is still to be written."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise InvalidProbeRequest("not a probe request") from exc
    if not (isinstance(data, dict) and "record" in data):
        return ProbeRequest.from_json(body)
    try:
        record = data["record"]
        request = ProbeRequest.from_json(json.dumps(record))
        return SentProbe(request, SentSms(str(record["sid"]), DeliveryStatus(record["status"]), int(record["rank"])))
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidProbeRequest("not a probe record") from exc
