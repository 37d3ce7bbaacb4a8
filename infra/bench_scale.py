"""``make bench`` at scale (issue 10 §5): one probe slot with many clients enrolled but few due, against all due.

The claim under test: a scheduler tick and the send that follows cost O(clients due), never O(clients
enrolled), because the tick reads the sparse ``due`` index (pattern 2 in docs/architecture.md) and the
send touches only the clients queued. Two stacks on moto in-process, side by side in one run: ``big``
enrolled with ``due`` of them due at 09:00 New York, and ``due`` enrolled all due. For each phase we
count the function's own DynamoDB and SQS calls and the DynamoDB items read, and print the ratio
big/small (target ≤ 1.05).

Clients are bulk-loaded: enrolment rows are made by the real ``Roster.enroll_client`` (shards, next
probe, status exactly as ops enrol) on ports that collect them, then written 25 at a time with
BatchWriteItem in the Clients adapter's own row shape. Enrolling 100,000 one at a time is O(N²) in moto.

Both phases are driven the way AWS drives them (the scheduler's event to the handler, the queue's
batches to send_probe through the local runtime), so changes inside the functions keep this working.
Call counts, not moto's timings, are the result: moto's index queries walk the whole table, DynamoDB's do not.
"""

from __future__ import annotations

import argparse
import io
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parent.parent
MONDAY = datetime(2026, 11, 30, tzinfo=UTC)
TICK = MONDAY.replace(hour=14)  # 09:00 in New York (EST): the slot everyone due is due in
TIMEZONE = "America/New_York"
# Enrolled at 08:00 that morning, so every next check-in is today's: 09:00 due at the tick, the rest later.
# (Enrolled the evening before, the 19:15-20:45 ones would be overdue and read, and rightly so.)
ENROLLED_AT = TICK - timedelta(hours=1)
TARGET = 1.05
PHASES = ("schedule_probes", "send_probe")
# Reading the queue and the streams is Lambda's poller's work in AWS, not the function's.
POLLER = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:DeleteMessageBatch", "sqs:GetQueueUrl",
          "sqs:ChangeMessageVisibility"}
BATCH = 25  # BatchWriteItem's limit


@dataclass
class Cost:
    """What one phase cost: the function's own calls per service, and DynamoDB items read and written."""

    calls: Counter[str] = field(default_factory=Counter)
    items_read: int = 0
    items_written: int = 0

    @property
    def dynamodb_calls(self) -> int:
        return sum(n for key, n in self.calls.items() if key.startswith("dynamodb:"))

    @property
    def sqs_calls(self) -> int:
        return sum(n for key, n in self.calls.items() if key.startswith("sqs:"))

    def add(self, operation: str, params: dict[str, Any], response: dict[str, Any]) -> None:
        """Count one call and the DynamoDB items it read (billed: ScannedCount) or wrote."""
        self.calls[operation] += 1
        service, name = operation.split(":", 1)
        if service != "dynamodb":
            return
        if name in {"Query", "Scan"}:
            self.items_read += int(response.get("ScannedCount", response.get("Count", 0)))
        elif name == "GetItem":
            self.items_read += "Item" in response
        elif name == "BatchGetItem":
            self.items_read += sum(len(items) for items in response.get("Responses", {}).values())
        elif name in {"PutItem", "UpdateItem", "DeleteItem"}:
            self.items_written += 1
            # A conditional write returning the item is a read of it as well (send_probe's claim).
            self.items_read += "Attributes" in response
        elif name == "BatchWriteItem":
            self.items_written += sum(len(requests) for requests in params.get("RequestItems", {}).values())
        elif name == "TransactWriteItems":
            self.items_written += len(params.get("TransactItems", []))
        elif name == "TransactGetItems":
            self.items_read += sum("Item" in r for r in response.get("Responses", []))


@contextmanager
def counting() -> Iterator[Cost]:
    """Every AWS call botocore makes in this process (boto3 and PynamoDB both go through it), poller's excluded.

    Locked: schedule_probes reads its shards from several threads.
    """
    from botocore.client import BaseClient

    cost = Cost()
    lock = threading.Lock()
    original = BaseClient._make_api_call  # type: ignore[attr-defined]  # botocore's private hook

    def counted(self: Any, operation: str, params: Any) -> Any:
        response = original(self, operation, params)
        key = f"{self.meta.service_model.service_name}:{operation}"
        if key not in POLLER and not key.startswith("dynamodbstreams:"):
            with lock:
                cost.add(key, params, response)
        return response

    setattr(BaseClient, "_make_api_call", counted)  # noqa: B010 - the stubs do not declare it
    try:
        yield cost
    finally:
        setattr(BaseClient, "_make_api_call", original)  # noqa: B010


@contextmanager
def constant_queue_depth() -> Iterator[None]:
    """moto recomputes a queue's depth over every message it holds on each send and each receive
    (retention and deduplication checks read all the queue's attributes): O(n²) for a slot of 1,000,
    most of the simulation's time. Nothing here reads the depth, so it reads 0 while we run.
    Emulator time only: no call, item or message counted changes.
    """
    from moto.sqs.models import Queue

    names = ("approximate_number_of_messages", "approximate_number_of_messages_not_visible",
             "approximate_number_of_messages_delayed")
    saved = {name: Queue.__dict__[name] for name in names if name in Queue.__dict__}
    for name in saved:
        setattr(Queue, name, property(lambda _: 0))
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(Queue, name, value)


# --- bulk enrolment ------------------------------------------------------------------------------


class _CollectedClients:
    """The Clients port for enrolment only: keeps each new row instead of writing it (phones are unique here)."""

    def __init__(self) -> None:
        self.rows: list[Any] = []

    def by_phone(self, phone_key: str) -> None:
        return None

    def add(self, client: Any) -> bool:
        self.rows.append(client)
        return True


class _NoClaims:
    """Phone claims (one role per number) say nothing to the due index: not written for the simulation."""

    def owner(self, key: str, *, now: datetime) -> None:
        return None

    def claim(self, key: str, owner: str, *, now: datetime, **_: Any) -> bool:
        return True

    def release(self, key: str, owner: str) -> bool:
        return True


class _OneCoach:
    def __init__(self, coach: Any) -> None:
        self._coach = coach

    def get(self, coach_id: str) -> Any:
        return self._coach if coach_id == self._coach.coach_id else None

    def by_phone(self, phone_key: str) -> None:
        return None


class _Holder:
    """The stack's repositories for ``Roster.on``, with clients, claims and coaches as above."""

    def __init__(self, ops: Any, clients: _CollectedClients, coach: Any) -> None:
        self.clients, self.claims, self.coaches = clients, _NoClaims(), _OneCoach(coach)
        self.messages, self.alerts, self.on_call = ops.messages, ops.alerts, ops.on_call
        key = ops.phone_key()  # read once: per client it would be a cache lookup 100,000 times
        self.settings, self.phone_key = ops.settings, lambda: key


def checkin_times(count: int, *, due: int) -> Iterator[str]:
    """``due`` clients at 09:00, the rest spread over the later slots of the day (09:15 to 20:45, not due yet)."""
    later = [f"{h:02d}:{m:02d}" for h in range(9, 21) for m in (0, 15, 30, 45)][1:]
    for i in range(count):
        yield "09:00" if i < due else later[i % len(later)]


def bulk_enrol(stack: Any, enrolled: int, due: int, coach_id: str = "c1") -> int:
    """Enrol ``enrolled`` clients as ``Roster.enroll_client`` makes them, written with BatchWriteItem."""
    import boto3

    from moodline.adapters.dynamodb import client_row
    from moodline.admin import Enrolment, Roster
    from moodline.ports import RepositoryHolder

    ops = stack.ops
    coach = ops.coaches.get(coach_id)
    assert coach is not None, f"add coach {coach_id} first"
    collected = _CollectedClients()
    roster = Roster.on(cast(RepositoryHolder, _Holder(ops, collected, coach)))
    for i, checkin in enumerate(checkin_times(enrolled, due=due)):
        roster.enroll_client(Enrolment(coach_id, f"C{i}", f"+1555{i:07d}", TIMEZONE, checkin), now=ENROLLED_AT)
    table = stack.settings().clients_table
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    for start in range(0, len(collected.rows), BATCH):
        pending: list[Any] = [{"PutRequest": {"Item": client_row(c).serialize()}}
                              for c in collected.rows[start:start + BATCH]]
        while pending:
            left = dynamodb.batch_write_item(RequestItems={table: pending}).get("UnprocessedItems", {})
            pending = left.get(table, [])
    return len(collected.rows)


# --- the simulation ------------------------------------------------------------------------------


@dataclass
class Run:
    enrolled: int
    due: int
    queued: int
    sent: int
    costs: dict[str, Cost]
    ms: dict[str, float]


def one_slot(enrolled: int, due: int) -> Run:
    """A fresh stack on moto with ``enrolled`` clients, ``due`` of them due at the tick: tick, then send."""
    from moto import mock_aws

    from moodline_local.stack import LocalStack

    sending_at = TICK + timedelta(minutes=1)  # send_probe checks sending hours against this clock
    with mock_aws(), constant_queue_depth():
        stack = LocalStack(ROOT, aws="inprocess", clock=lambda: sending_at, log_stream=io.StringIO()).start()
        try:
            stack.roster.add_coach("c1", "Casey", "casey@practice.example")
            bulk_enrol(stack, enrolled, due)
            runtime = stack.runtime
            assert runtime is not None
            costs, ms = {}, {}
            with stack.quiet(), counting() as costs["schedule_probes"]:
                started = time.perf_counter()
                result = runtime.invoke("ScheduleProbesFunction", {"scheduled_time": TICK.isoformat()})
                ms["schedule_probes"] = (time.perf_counter() - started) * 1000
            with stack.quiet(), counting() as costs["send_probe"]:
                started = time.perf_counter()
                runtime.deliver_sqs()
                ms["send_probe"] = (time.perf_counter() - started) * 1000
            # What reached Twilio (the stand-in), not what the functions say they did.
            sent = sum(len(stack.twilio.messages_to(f"+1555{i:07d}")) for i in range(due))
            return Run(enrolled, due, int(result["queued"]), sent, costs, ms)
        finally:
            stack.stop()


def ratio(big: int, small: int) -> float:
    """big/small; nothing against nothing is 1 (no growth), something against nothing is infinite."""
    if small == 0:
        return 1.0 if big == 0 else float("inf")
    return big / small


def compare(big: Run, small: Run, phase: str, target: float = TARGET) -> dict[str, Any]:
    b, s = big.costs[phase], small.costs[phase]
    calls = ratio(b.dynamodb_calls + b.sqs_calls, s.dynamodb_calls + s.sqs_calls)
    items = ratio(b.items_read, s.items_read)
    writes = ratio(b.items_written, s.items_written)
    return {"calls_ratio": calls, "items_ratio": items, "writes_ratio": writes,
            "status": "ok" if max(calls, items, writes) <= target else "over", "target": target}


def lines(big: Run, small: Run, target: float = TARGET) -> list[str]:
    """The machine-readable lines: one per run and phase, then one ratio line per phase."""
    out = []
    for run in (small, big):
        for phase in PHASES:
            cost = run.costs[phase]
            out.append(f"scale {phase} enrolled={run.enrolled} due={run.due} dynamodb_calls={cost.dynamodb_calls} "
                       f"sqs_calls={cost.sqs_calls} items_read={cost.items_read} "
                       f"items_written={cost.items_written} ms={run.ms[phase]:.0f}")
    for phase in PHASES:
        verdict = compare(big, small, phase, target)
        out.append(f"scale {phase} calls_ratio={verdict['calls_ratio']:.2f} items_ratio={verdict['items_ratio']:.2f} "
                   f"writes_ratio={verdict['writes_ratio']:.2f} target={target:.2f} status={verdict['status']}")
    return out


def parse(line: str) -> tuple[str, dict[str, str]]:
    """``scale <phase> k=v ...`` → (phase, {k: v}), as a script reading the bench would."""
    word, phase, *pairs = line.split()
    if word != "scale":
        raise ValueError(f"not a scale line: {line!r}")
    return phase, dict(pair.split("=", 1) for pair in pairs)


def simulate(big: int = 100_000, small: int = 1_000, due: int = 1_000,
             report: Callable[[str], None] = print) -> tuple[Run, Run]:
    """Both slots in one process; prints a table and the ``scale ...`` lines. Raises if a run lost a probe."""
    runs = one_slot(small, due), one_slot(big, due)
    for run in runs:
        if run.queued != run.due or run.sent != run.due:
            raise RuntimeError(f"{run.enrolled} enrolled: {run.due} due, {run.queued} queued, {run.sent} sent")
    small_run, big_run = runs
    report(f"  {'phase':<16} {'enrolled':>8} {'due':>5} {'DynamoDB':>9} {'SQS':>5} {'items read':>10} "
           f"{'written':>8} {'ms (moto)':>10}")
    for run in runs:
        for phase in PHASES:
            c = run.costs[phase]
            report(f"  {phase:<16} {run.enrolled:8d} {run.due:5d} {c.dynamodb_calls:9d} {c.sqs_calls:5d} "
                   f"{c.items_read:10d} {c.items_written:8d} {run.ms[phase]:10.0f}")
    for line in lines(big_run, small_run):
        report(line)
    return big_run, small_run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--due", type=int, default=1_000)
    args = parser.parse_args(argv)
    big, small = simulate(args.big, args.small, args.due)
    return 0 if all(compare(big, small, p)["status"] == "ok" for p in PHASES) else 1


if __name__ == "__main__":
    sys.path[:0] = [str(ROOT / "layers/moodline"), str(ROOT / "infra/local")]
    sys.exit(main())
