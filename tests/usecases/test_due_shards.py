"""DUE_SHARDS can be changed safely, and a tick queues and advances its due clients in concurrent batches."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from moodline.admin import Roster
from moodline.domain import DUE_SHARDS_MAX, Client, shard_of
from moodline.probes import ProbeRequest, ProbeScheduler, ProbeSender
from moodline.settings import Settings, SettingsError
from tests.fakes import FakeClients, FakeQueue, World
from tests.usecases.conftest import coach, enrol

SLOT = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)  # 09:00 in New York: every client below is due


@dataclass
class Deployment:
    """What a deploy with another DueShards gives every function: the same tables, a new count."""

    roster: Roster
    scheduler: ProbeScheduler
    sender: ProbeSender


def deploy(world: World, shards: int) -> Deployment:
    settings = Settings(clients_table="c", messages_table="m", alerts_table="a", coaches_table="co",
                        oncall_table="o", idempotency_table="i", due_shards=shards)
    return Deployment(
        Roster(clients=world.clients, coaches=world.coaches, on_call=world.on_call, messages=world.messages,
               alerts=world.alerts, claims=world.claims, settings=settings),
        ProbeScheduler(clients=world.clients, queue=world.queue, shards=shards),
        ProbeSender(clients=world.clients, messages=world.messages, sms=world.sms, requeue=world.queue,
                    retention_days=400,
                    shards=shards, clock=lambda: world.now))


def enrol_many(world: World, count: int) -> list[Client]:
    coach(world, "c1")
    return [enrol(world, f"C{i}", f"+1555010{i:04d}") for i in range(count)]


def indexed(world: World) -> dict[str, int]:
    """Client id -> due shard, for every client in the due index."""
    return {c.client_id: c.due_shard for c in world.clients.rows.values()
            if c.next_probe_at is not None and c.due_shard is not None}


@pytest.mark.parametrize("new_count", [8, 2, 1, DUE_SHARDS_MAX])
def test_after_changing_due_shards_every_due_client_is_probed_exactly_once_in_the_next_slot(new_count):
    # Given 60 clients enrolled (and so indexed) with 4 shards, all due at 09:00 New York
    world = World(now=SLOT, shards=4)
    clients = enrol_many(world, 60)
    assert set(indexed(world).values()) == {0, 1, 2, 3}

    # When DueShards changes and the next slot's tick runs (twice: the schedule may retry), then send_probe
    after = deploy(world, new_count)
    after.scheduler.queue_due_probes(SLOT)
    after.scheduler.queue_due_probes(SLOT)
    requests = world.queue.drain()
    world.now = SLOT + timedelta(minutes=1)
    outcomes = [after.sender.send(ProbeRequest(**r))["outcome"] for r in requests]

    # Then each client was queued once and got exactly one SMS
    assert Counter(r["client_id"] for r in requests) == Counter({c.client_id: 1 for c in clients})
    assert outcomes == ["sent"] * 60
    assert all(len(world.sms.to(f"+1555010{i:04d}")) == 1 for i in range(60))
    # And the tick's advance moved each client to its shard under the new count
    assert indexed(world) == {c.client_id: shard_of(c.client_id, new_count) for c in clients}


@pytest.mark.parametrize("new_count", [8, 2])
def test_reshard_leaves_no_client_on_a_shard_at_or_above_the_new_count(new_count):
    # Given 40 clients indexed under 4 shards
    world = World(now=SLOT, shards=4)
    clients = enrol_many(world, 40)
    when_due = {c.client_id: world.clients.get(c.client_id).next_probe_at for c in clients}

    # When DueShards changes and ops run `moodline reshard`
    report = deploy(world, new_count).roster.reshard()

    # Then every indexed client is on its shard under the new count, due at the same instant as before
    assert indexed(world) == {c.client_id: shard_of(c.client_id, new_count) for c in clients}
    assert {cid: world.clients.get(cid).next_probe_at for cid in when_due} == when_due
    assert report.leftover == 0 and sum(report.per_shard.values()) == 40
    assert max(report.per_shard) < new_count
    assert report.moved == sum(shard_of(c.client_id, 4) != shard_of(c.client_id, new_count) for c in clients)
    # And running it again moves nobody
    assert deploy(world, new_count).roster.reshard().moved == 0


def test_reshard_loses_to_a_concurrent_advance_and_the_advance_moves_the_client():
    # Given a client on shard 3 under 4 shards, that the scheduler advances between reshard's read and write
    world = World(now=SLOT, shards=4)
    enrol_many(world, 40)
    mover = next(c for c in world.clients.rows.values() if c.due_shard == 3)
    after = deploy(world, 2)
    real_due = world.clients.due

    def due_then_advance(shard: int, before: datetime) -> list[Client]:
        found = real_due(shard, before)
        if shard == 3 and before.year == 9999 and world.clients.get(mover.client_id).due_shard == 3:
            after.scheduler.queue_due_probes(SLOT)  # the tick advances everyone due, mover included
        return found

    world.clients.due = due_then_advance  # type: ignore[method-assign]

    # When reshard runs (its reads are "due before the year 9999")
    report = after.roster.reshard()

    # Then its stale write was refused, the advance put the client on its new shard, and nobody is left over
    assert report.raced >= 1 and report.leftover == 0
    assert world.clients.get(mover.client_id).due_shard == shard_of(mover.client_id, 2)
    assert world.clients.get(mover.client_id).next_probe_at.startswith("2026-12-01T14:00")


class RecordingClients(FakeClients):
    def __init__(self) -> None:
        super().__init__()
        self.shards_read: list[int] = []

    def due(self, shard: int, before: datetime) -> list[Client]:
        self.shards_read.append(shard)
        return super().due(shard, before)


@pytest.mark.parametrize("shards", [1, 4, DUE_SHARDS_MAX])
def test_a_tick_reads_every_shard_any_allowed_count_can_write(shards):
    # Given a scheduler under any allowed count
    clients = RecordingClients()
    scheduler = ProbeScheduler(clients=clients, queue=FakeQueue(), shards=shards)

    # When it ticks
    scheduler.queue_due_probes(SLOT)

    # Then it read every shard a client can be on under any count the settings accept: none is unread
    assert sorted(clients.shards_read) == list(range(DUE_SHARDS_MAX))
    assert {shard_of(f"cl_{i}", n) for i in range(500) for n in range(1, DUE_SHARDS_MAX + 1)} \
        <= set(clients.shards_read)


def test_a_count_above_what_the_scheduler_reads_is_refused_at_cold_start():
    env = dict.fromkeys(("CLIENTS_TABLE", "MESSAGES_TABLE", "ALERTS_TABLE", "COACHES_TABLE", "ONCALL_TABLE",
                         "IDEMPOTENCY_TABLE"), "t")
    assert Settings.from_env({**env, "DUE_SHARDS": str(DUE_SHARDS_MAX)}).due_shards == DUE_SHARDS_MAX
    with pytest.raises(SettingsError, match="DUE_SHARDS must be at most"):
        Settings.from_env({**env, "DUE_SHARDS": str(DUE_SHARDS_MAX + 1)})
    with pytest.raises(ValueError, match="shards must be"):
        shard_of("cl_1", DUE_SHARDS_MAX + 1)


class BatchQueue(FakeQueue):
    """Records each SendMessageBatch-sized call; refuses the one holding ``refuse``."""

    def __init__(self, clients: FakeClients, refuse: str | None = None) -> None:
        super().__init__()
        self.calls: list[list[str]] = []
        self.advanced_before_queued: list[str] = []
        self._clients = clients
        self._refuse = refuse

    def send_all(self, bodies: Sequence[str]) -> None:
        ids = [ProbeRequest.from_json(body).client_id for body in bodies]
        self.calls.append(ids)
        # Nobody in this batch may have been advanced yet: the advance follows the queueing.
        self.advanced_before_queued += [cid for cid in ids
                                        if self._clients.rows[cid].next_probe_at >= "2026-12-01"]
        if self._refuse in ids:
            raise RuntimeError("SQS refused 1 messages")
        super().send_all(bodies)


def test_a_tick_queues_in_batches_of_ten_each_before_its_clients_are_advanced():
    # Given 95 clients due in this slot
    world = World(now=SLOT)
    enrol_many(world, 95)
    queue = BatchQueue(world.clients)

    # When the scheduler ticks
    run = ProbeScheduler(clients=world.clients, queue=queue, shards=4).queue_due_probes(SLOT)

    # Then 10 batches of at most ten went to the queue, each queued before any of its clients moved on
    assert run.queued == 95 and sorted(len(ids) for ids in queue.calls) == [5] + [10] * 9
    assert queue.advanced_before_queued == []
    assert all(c.next_probe_at.startswith("2026-12-01") for c in world.clients.rows.values())


def test_a_refused_batch_fails_the_tick_but_not_the_others_and_its_clients_are_read_again():
    # Given 95 due clients, and SQS refusing the batch that holds one of them
    world = World(now=SLOT)
    clients = enrol_many(world, 95)
    victim = clients[42].client_id
    queue = BatchQueue(world.clients, refuse=victim)

    # When the scheduler ticks, the tick fails (the Errors alarm) ...
    with pytest.raises(RuntimeError, match="SQS refused"):
        ProbeScheduler(clients=world.clients, queue=queue, shards=4).queue_due_probes(SLOT)

    # ... the other batches were queued and advanced; the refused one's clients were not
    [refused] = [ids for ids in queue.calls if victim in ids]
    queued = {r["client_id"] for r in queue.drain()}
    assert queued == {c.client_id for c in clients} - set(refused)
    assert {cid for cid, c in world.clients.rows.items() if c.next_probe_at < "2026-12-01"} == set(refused)

    # And the schedule's retry queues exactly those
    retry = BatchQueue(world.clients)
    ProbeScheduler(clients=world.clients, queue=retry, shards=4).queue_due_probes(SLOT + timedelta(minutes=2))
    assert {r["client_id"] for r in retry.drain()} == set(refused)


def test_a_client_due_far_ahead_is_not_read_by_a_tick_but_is_moved_by_reshard():
    # Given a client awaiting consent: the welcome's retry is 48 h ahead, so no tick advances (moves) it today
    world = World(now=SLOT, shards=4)
    coach(world, "c1")
    waiting = enrol(world, "Wes", "+15550100999", consent=False)
    world.scheduler.queue_due_probes(SLOT)
    world.now = SLOT + timedelta(minutes=1)
    [request] = world.queue.drain()
    assert world.sender.send(ProbeRequest(**request))["outcome"] == "welcomed"
    due_at = world.clients.get(waiting.client_id).next_probe_at
    assert due_at is not None and due_at.startswith("2026-12-02")
    # A count that puts this client on another shard: fewer shards when one does (ids are random, and for one
    # id in 12 every count under 4 gives the same shard as 4), else more.
    counts = [*range(3, 0, -1), *range(5, DUE_SHARDS_MAX + 1)]
    new_count = next(n for n in counts if shard_of(waiting.client_id, n) != shard_of(waiting.client_id, 4))

    # When DueShards changes: tomorrow's ticks do not touch it, reshard moves it, and the retry slot finds it
    after = deploy(world, new_count)
    after.scheduler.queue_due_probes(SLOT + timedelta(days=1))
    assert world.queue.drain() == [] and indexed(world)[waiting.client_id] == shard_of(waiting.client_id, 4)
    assert after.roster.reshard().moved == 1
    assert indexed(world)[waiting.client_id] == shard_of(waiting.client_id, new_count) < new_count
    after.scheduler.queue_due_probes(from_iso_slot(due_at))
    assert [r["client_id"] for r in world.queue.drain()] == [waiting.client_id]


def from_iso_slot(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))
