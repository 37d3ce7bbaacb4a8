"""DueShards changed under a running stack, on moto: the next tick probes every due client once, reshard rebalances."""

from __future__ import annotations

from datetime import UTC, datetime

from moodline.adapters.dynamodb import ClientRow
from moodline.domain import DUE_SHARDS_MAX, shard_of
from tests.integration.test_aws_calls import counting

MONDAY = datetime(2026, 11, 30, tzinfo=UTC)


def _load(count: int, *, shards: int, next_probe_at: str) -> list[str]:
    """Clients as a stack with ``shards`` shards indexed them (bulk-written: enrolling one by one is slow on moto)."""
    ids = [f"cl_{i:04d}" for i in range(count)]
    with ClientRow.batch_write() as batch:
        for i, cid in enumerate(ids):
            batch.save(ClientRow(client_id=cid, coach_id="c1", display_name=f"C{i}", phone_e164=f"+1555020{i:04d}",
                                 phone_hash=f"h{i}", timezone="America/New_York", checkin_time="09:00",
                                 status="active", consented_at="2026-11-01T00:00:00.000Z",
                                 enrolled_at="2026-11-01T00:00:00.000Z", due_shard=shard_of(cid, shards),
                                 next_probe_at=next_probe_at))
    return ids


def _shards() -> dict[str, int]:
    return {row.client_id: int(row.due_shard) for row in ClientRow.scan() if row.due_shard is not None}


def test_clients_indexed_under_8_shards_are_each_probed_once_by_a_stack_running_4(stack, clock):
    # Given 40 clients due at 09:00 New York, indexed under 8 shards (half of them on shards 4-7)
    stack.roster.add_coach("c1", "Casey", "casey@practice.example")
    ids = _load(40, shards=8, next_probe_at="2026-11-30T14:00:00.000Z")
    assert stack.settings().due_shards == 4 and max(_shards().values()) >= 4

    # When the stack (DueShards 4) ticks at 14:00 UTC, twice, and send_probe drains the queue
    clock.now = MONDAY.replace(hour=14, minute=1)
    with counting() as calls:
        stack.runtime.invoke("ScheduleProbesFunction", {"scheduled_time": MONDAY.replace(hour=14).isoformat()})
    stack.runtime.invoke("ScheduleProbesFunction", {"scheduled_time": MONDAY.replace(hour=14).isoformat()})
    stack.settle()

    # Then every client got exactly one probe, in batches of ten, and each advance moved its client to shard < 4
    assert all(len(stack.twilio.messages_to(f"+1555020{i:04d}")) == 1 for i in range(40))
    assert dict(calls) == {"dynamodb:Query": DUE_SHARDS_MAX, "dynamodb:UpdateItem": 40, "sqs:SendMessageBatch": 4}
    assert _shards() == {cid: shard_of(cid, 4) for cid in ids}


def test_reshard_moves_clients_no_tick_reaches_today_onto_the_stacks_count(stack):
    # Given clients indexed under 8 shards and due in two days (a welcome's retry): no tick moves them today
    stack.roster.add_coach("c1", "Casey", "casey@practice.example")
    ids = _load(30, shards=8, next_probe_at="2026-12-02T14:00:00.000Z")

    # When ops run reshard against the stack (DueShards 4)
    report = stack.roster.reshard()

    # Then none is left on a shard at or above 4, and each is still due at the same instant
    assert report.leftover == 0 and report.moved == sum(shard_of(c, 8) != shard_of(c, 4) for c in ids)
    assert _shards() == {cid: shard_of(cid, 4) for cid in ids}
    assert {row.next_probe_at for row in ClientRow.scan()} == {"2026-12-02T14:00:00.000Z"}
