"""AWS calls per event, counted on moto (issue 10): the budgets a million clients are priced on."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from botocore.client import BaseClient

from tests.integration.roster import enrol

MONDAY = datetime(2026, 11, 30, tzinfo=UTC)
# Reading the queue is Lambda's poller's work in AWS, not the function's.
POLLER = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:DeleteMessageBatch"}


@contextmanager
def counting() -> Iterator[Counter[str]]:
    calls: Counter[str] = Counter()
    original = BaseClient._make_api_call  # type: ignore[attr-defined]

    def counted(self: Any, operation: str, params: Any) -> Any:
        key = f"{self.meta.service_model.service_name}:{operation}"
        if key not in POLLER:
            calls[key] += 1
        return original(self, operation, params)

    BaseClient._make_api_call = counted  # type: ignore[attr-defined]
    try:
        yield calls
    finally:
        BaseClient._make_api_call = original  # type: ignore[attr-defined]


def test_ten_probes_cost_at_most_12_aws_calls_one_claim_each_and_one_batched_record_write(stack, clock):
    # Given ten clients due at 09:00 New York, queued by the 14:00 UTC tick
    stack.roster.add_coach("c1", "Casey", "casey@practice.example")
    clients = [enrol(stack, name=f"C{i}", phone=f"+1555010{i:04d}", coach="c1", now=MONDAY) for i in range(10)]
    clock.now = MONDAY.replace(hour=14, minute=1)
    stack.runtime.invoke("ScheduleProbesFunction", {"scheduled_time": MONDAY.replace(hour=14).isoformat()})

    # When send_probe takes the batch (the Twilio secret is read once and cached)
    with counting() as calls:
        assert stack.runtime.deliver_sqs() == 10

    # Then every probe is recorded; each was one conditional claim (UpdateItem), the ten records one BatchWriteItem:
    # no GetItem, no idempotency records, no PutItem per probe (51 calls before the claim, 21 before batching)
    assert calls["dynamodb:UpdateItem"] == 10 and calls["dynamodb:BatchWriteItem"] == 1, calls
    assert "dynamodb:GetItem" not in calls and "dynamodb:PutItem" not in calls
    assert sum(calls.values()) <= 12, calls
    day = (MONDAY, MONDAY.replace(hour=23))
    assert all([m.kind for m in stack.ops.messages.between(c.client_id, *day)] == ["probe"] for c in clients)


def test_a_redelivered_probe_batch_costs_one_refused_claim_per_probe_and_sends_nothing(stack, clock):
    stack.roster.add_coach("c1", "Casey", "casey@practice.example")
    client = enrol(stack, name="Ana", phone="+15550100001", coach="c1", now=MONDAY)
    clock.now = MONDAY.replace(hour=14, minute=1)
    request = {"client_id": client.client_id, "local_date": "2026-11-30", "due_at": "2026-11-30T14:00:00.000Z"}
    event = {"Records": [{"messageId": "m1", "body": json.dumps(request)}]}
    stack.runtime.invoke("SendProbeFunction", event)
    with counting() as calls:
        stack.runtime.invoke("SendProbeFunction", event)
    assert dict(calls) == {"dynamodb:UpdateItem": 1}
    assert len(stack.twilio.messages_to("+15550100001")) == 1
