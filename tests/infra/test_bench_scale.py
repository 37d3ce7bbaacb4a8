"""The scale simulation in ``make bench`` (infra/bench_scale.py): counting, ratios, lines, bulk rows, a tiny run."""

from __future__ import annotations

import importlib.util
import math
import sys
from datetime import timedelta

import boto3
import pytest

from tests.conftest import ROOT

_spec = importlib.util.spec_from_file_location("bench_scale", ROOT / "infra" / "bench_scale.py")
assert _spec and _spec.loader
bs = importlib.util.module_from_spec(_spec)
sys.modules["bench_scale"] = bs
_spec.loader.exec_module(bs)


def run(enrolled, due, *, read, written=None, calls=None):
    """A Run with the same cost in both phases: ``read`` items read, ``calls`` DynamoDB calls."""
    costs = {}
    for phase in bs.PHASES:
        cost = bs.Cost()
        cost.calls["dynamodb:Query"] = calls if calls is not None else due
        cost.items_read = read
        cost.items_written = written if written is not None else due
        costs[phase] = cost
    return bs.Run(enrolled, due, due, due, costs, dict.fromkeys(bs.PHASES, 1.0))


def test_items_read_are_what_dynamodb_scanned_fetched_or_returned_and_writes_are_counted_per_item():
    cost = bs.Cost()
    # A query billed for what it scanned, not what the filter kept
    cost.add("dynamodb:Query", {}, {"Count": 2, "ScannedCount": 5})
    cost.add("dynamodb:GetItem", {}, {"Item": {}})
    cost.add("dynamodb:GetItem", {}, {})  # not found: nothing read
    cost.add("dynamodb:BatchGetItem", {}, {"Responses": {"T": [{}, {}, {}]}})
    # send_probe's claim: a conditional write that returns the client it read
    cost.add("dynamodb:UpdateItem", {}, {"Attributes": {}})
    cost.add("dynamodb:BatchWriteItem", {"RequestItems": {"T": [{}] * 25}}, {})
    cost.add("sqs:SendMessageBatch", {}, {})
    assert cost.items_read == 5 + 1 + 3 + 1
    assert cost.items_written == 1 + 25
    assert (cost.dynamodb_calls, cost.sqs_calls) == (6, 1)


def test_ratio_of_nothing_to_nothing_is_no_growth_and_of_something_to_nothing_is_infinite():
    assert bs.ratio(0, 0) == 1.0
    assert math.isinf(bs.ratio(3, 0))
    assert bs.ratio(105, 100) == pytest.approx(1.05)


def test_a_tick_that_reads_every_enrolled_client_is_over_target():
    # Given a small slot reading its 1,000 due, and a big one reading all 100,000 enrolled (a scan)
    small = run(1_000, 1_000, read=1_000)
    big = run(100_000, 1_000, read=100_000)
    # Then the simulation says so, though the calls are the same
    verdict = bs.compare(big, small, "schedule_probes")
    assert verdict["calls_ratio"] == 1.0 and verdict["items_ratio"] == 100.0
    assert verdict["status"] == "over"
    # And 6% more calls is over too, 5% is not
    assert bs.compare(run(100_000, 1_000, read=1_000, calls=1_060), small, "send_probe")["status"] == "over"
    assert bs.compare(run(100_000, 1_000, read=1_000, calls=1_050), small, "send_probe")["status"] == "ok"


def test_every_line_is_machine_readable_one_per_run_and_phase_then_one_ratio_per_phase():
    lines = bs.lines(run(100_000, 1_000, read=1_000), run(1_000, 1_000, read=1_000))
    parsed = [bs.parse(line) for line in lines]
    assert [phase for phase, _ in parsed] == [*bs.PHASES, *bs.PHASES, *bs.PHASES]
    for _, fields in parsed[:4]:
        assert {"enrolled", "due", "dynamodb_calls", "sqs_calls", "items_read", "items_written"} <= set(fields)
    for _, fields in parsed[4:]:
        assert float(fields["calls_ratio"]) == 1.0 and float(fields["items_ratio"]) == 1.0
        assert fields["status"] == "ok" and float(fields["target"]) == bs.TARGET
    with pytest.raises(ValueError, match="not a scale line"):
        bs.parse("coldstart ingest_sms ratio=1.42")


def test_check_in_times_put_exactly_the_due_ones_in_the_tick_slot_and_the_rest_later_the_same_day():
    times = list(bs.checkin_times(500, due=20))
    assert times.count("09:00") == 20
    assert all("09:15" <= t <= "20:45" for t in times[20:])


@pytest.mark.slow  # the local stack on moto, ~3 s
def test_bulk_enrolled_rows_are_the_rows_the_roster_writes(stack):
    # Given one client enrolled by the roster, as ops do, and two bulk-loaded
    stack.roster.add_coach("c1", "Casey", "casey@practice.example")
    from moodline.admin import Enrolment

    real = stack.roster.enroll_client(Enrolment("c1", "Ana", "+15550199999", bs.TIMEZONE, "09:00"),
                                      now=bs.ENROLLED_AT)
    assert bs.bulk_enrol(stack, 2, due=1) == 2
    # When the raw items are read back
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(stack.settings().clients_table)
    items = table.scan()["Items"]
    assert len(items) == 3
    by_id = {item["client_id"]: item for item in items}
    reference = by_id.pop(real.client_id)
    # Then every bulk row has the same attributes of the same types, due in the same slot
    for item in by_id.values():
        assert {k: type(v) for k, v in item.items()} == {k: type(v) for k, v in reference.items()}
        assert item["status"] == reference["status"] and item["coach_id"] == "c1"
    due_now = [i for i in by_id.values() if i["next_probe_at"] == reference["next_probe_at"]]
    assert len(due_now) == 1
    # And the due index finds them as it finds the roster's client
    due = table.query(IndexName="due", KeyConditionExpression="due_shard = :s AND next_probe_at < :t",
                      ExpressionAttributeValues={":s": reference["due_shard"],
                                                 ":t": (bs.TICK + timedelta(minutes=15)).isoformat()})
    assert real.client_id in {i["client_id"] for i in due["Items"]}


@pytest.mark.slow  # two local stacks on moto, ~5 s
def test_a_tiny_slot_costs_the_same_with_twenty_times_the_clients_enrolled():
    # Given 2,000 enrolled with 100 due, against 100 enrolled all due
    printed: list[str] = []
    big, small = bs.simulate(big=2_000, small=100, due=100, report=printed.append)
    # Then every probe was queued and sent in both
    assert (big.queued, big.sent, small.queued, small.sent) == (100, 100, 100, 100)
    # And the tick read the due index, not the table: items and calls as for 100 enrolled
    ratios = dict(map(bs.parse, printed[-2:]))
    assert set(ratios) == set(bs.PHASES)
    for fields in ratios.values():
        assert fields["status"] == "ok", printed
    assert big.costs["schedule_probes"].items_read == small.costs["schedule_probes"].items_read > 0
    assert big.costs["send_probe"].sqs_calls == 0  # the poller's receives and deletes are not the function's
