"""AWS calls of the weekly e-mail, counted on moto (issue 10): one query per client, one job per coach.

Before the fan-out, weekly_summary e-mailed every coach serially in one invocation and read each client
twice (their messages, then their alerts on the ``by_client`` index). Measured on this stack, one run:

- 1 coach × 10 clients: 28 calls. Scan×3 (coaches, unresolved and resolved alerts), Query×21, GetItem,
  PutItem, UpdateItem (the once-per-week record), SendEmail.
- 1 coach × 20 clients: 48 calls, the same with Query×41: 2 queries per client.

Now the Monday tick reads the coaches and the alerts once and queues a job per coach; weekly_coach reads
each client's messages in one query (the week's scored replies name their alerts) and the coach's alerts
in one BatchGetItem.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from moodline.adapters.dynamodb import DynamoAlerts
from moodline.vocabulary import Via
from tests.integration.roster import enrol
from tests.integration.test_aws_calls import counting

MONDAY = datetime(2026, 11, 30, tzinfo=UTC)
NEXT_MONDAY_0800_NY = "2026-12-07T13:00:00Z"
OUR_NUMBER = "+15005550006"


def _sent_mail() -> list:
    return list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)


def _week(stack, clock, roster: dict[str, int]) -> dict[str, list[str]]:
    """Coaches with that many clients each; Tuesday's probe and one reply from every client.

    The first client of the first coach texts crisis language, and the second coach, on call,
    acknowledges the page: an alert for one e-mail and a handled page for the other."""
    phones: dict[str, list[str]] = {}
    for c, (coach_id, count) in enumerate(roster.items()):
        stack.roster.add_coach(coach_id, coach_id.title(), f"{coach_id}@practice.example")
        phones[coach_id] = [f"+1555{c + 1:02d}0{i:04d}" for i in range(count)]
        for i, phone in enumerate(phones[coach_id]):
            enrol(stack, name=f"{coach_id.upper()}n{i}", phone=phone, coach=coach_id, now=MONDAY - timedelta(days=1))
    tuesday = MONDAY.replace(hour=14) + timedelta(days=1)
    stack.fire_schedules(tuesday)
    stack.settle()
    first, second = list(roster)[:2]
    clock.now = tuesday + timedelta(minutes=20)
    for coach_id, coach_phones in phones.items():
        for i, phone in enumerate(coach_phones):
            crisis = coach_id == first and i == 0
            body = "2. i want to die" if crisis else "7 fine"
            stack.twilio.post_inbound(stack.inbound_url, to=OUR_NUMBER, from_=phone, body=body)
    stack.settle()
    [alert] = DynamoAlerts().unresolved()
    stack.ops.actions.acknowledge(alert.alert_id, by=second, via=Via.WORKSPACE, at=clock.now + timedelta(minutes=3))
    return phones


def _jobs(stack) -> dict[str, dict]:
    """The jobs the tick queued, by coach, as SQS records for weekly_coach (taken off the queue)."""
    import boto3

    sqs = boto3.client("sqs", region_name="us-east-1")
    url = stack.resource("WeeklyQueue").url
    jobs = {}
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for m in batch:
            jobs[json.loads(m["Body"])["coach_id"]] = {"messageId": m["MessageId"], "body": m["Body"]}
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return jobs


def test_each_client_costs_one_query_and_each_coach_a_fixed_few_calls(stack, clock):
    # Given Casey with 10 clients and Jordan with 20, a week of replies, one alert Jordan acknowledged
    _week(stack, clock, {"c1": 10, "c2": 20})

    # When the Monday tick runs
    with counting() as tick:
        run = stack.runtime.invoke("WeeklySummaryFunction", {"scheduled_time": NEXT_MONDAY_0800_NY})

    # Then it reads the coaches and the alerts once and queues both jobs in one batch: nothing per client.
    # The alerts come from the listed index (open, then resolved in each UTC week since the week began), not
    # two Scans of the whole table (3 Scans before): only the coaches are scanned.
    assert run == {"iso_week": "2026-W49", "coaches": 2, "queued": 2}
    assert dict(tick) == {"dynamodb:Scan": 1, "dynamodb:Query": 3, "sqs:SendMessageBatch": 1}, tick
    jobs = _jobs(stack)

    # When weekly_coach takes each coach's job
    calls = {}
    for coach_id in ("c1", "c2"):
        with counting() as calls[coach_id]:
            assert stack.runtime.invoke("WeeklyCoachFunction", {"Records": [jobs[coach_id]]}) == {
                "batchItemFailures": []}

    # Then each client is ONE query (28 calls for 10 clients before, 48 for 20: two queries per client),
    # and a coach adds a fixed few: the coach, their clients (by_coach), one batch of the week's alerts,
    # the once-per-week record (PutItem, UpdateItem) and the e-mail
    casey, jordan = calls["c1"], calls["c2"]
    assert dict(casey) == {"dynamodb:GetItem": 1, "dynamodb:Query": 1 + 10, "dynamodb:BatchGetItem": 1,
                           "dynamodb:PutItem": 1, "dynamodb:UpdateItem": 1, "sesv2:SendEmail": 1}, casey
    # (Jordan's batch holds the alert he acknowledged; his e-mail names Casey's client: one GetItem more)
    assert dict(jordan) == {"dynamodb:GetItem": 2, "dynamodb:Query": 1 + 20, "dynamodb:BatchGetItem": 1,
                            "dynamodb:PutItem": 1, "dynamodb:UpdateItem": 1, "sesv2:SendEmail": 1}, jordan
    per_client = (sum(jordan.values()) - sum(casey.values()) - 1) / (20 - 10)
    assert per_client == 1.0
    assert sum(casey.values()) == 16  # 28 before
    mail = {m.destinations["ToAddresses"][0]: m.body for m in _sent_mail()}
    assert "1 crisis" in mail["c1@practice.example"] and "C1n0" in mail["c2@practice.example"]


def test_a_redelivered_job_costs_one_refused_write_and_sends_nothing(stack, clock):
    # Given Casey's job was delivered and her e-mail sent
    _week(stack, clock, {"c1": 3, "c2": 1})
    stack.runtime.invoke("WeeklySummaryFunction", {"scheduled_time": NEXT_MONDAY_0800_NY})
    job = _jobs(stack)["c1"]
    stack.runtime.invoke("WeeklyCoachFunction", {"Records": [job]})
    assert len(_sent_mail()) == 1

    # When SQS delivers the same job again (at least once)
    with counting() as calls:
        result = stack.runtime.invoke("WeeklyCoachFunction", {"Records": [job]})

    # Then the once-per-coach-per-week record answers it: one conditional write refused, no reads, no e-mail
    assert result == {"batchItemFailures": []}
    assert dict(calls) == {"dynamodb:PutItem": 1}, calls
    assert len(_sent_mail()) == 1
