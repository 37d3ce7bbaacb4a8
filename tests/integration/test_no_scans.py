"""Issue 10, the human half: the paths that run often read an index, never a table scan, and read no more
items when the practice's unrelated rows grow (1,000 resolved alerts, 1,000 clients with nothing to review).

On moto, through the DynamoDB repositories: the workspace's open-alert list, the hourly review nudges and the
Monday weekly tick. Calls are counted with ``counting``; items read are what each response says it read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.client import BaseClient

from moodline import alerting
from moodline.alerting import EscalationPolicy
from moodline.domain import Alert, Client, Coach, Message, ReviewMark, message_key
from moodline.review_nudges import ReviewNudges
from moodline.triage.model import Level
from moodline.vocabulary import Direction, MessageKind, Outcome, Via
from moodline.weekly import WeeklyJob, WeeklyTick
from moodline.workspace.adapters import PortsData
from tests.fakes import FakeAudit, FakeMailer, FakeOnce, FakeQueue
from tests.integration.test_aws_calls import counting
from tests.moto_tables import model_tables

MONDAY = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)  # the tick's Monday: last week is 2026-W48
POLICY = EscalationPolicy()


@contextmanager
def reading() -> Iterator[Counter[str]]:
    """Items each DynamoDB response read, by ``<operation>:<table>``; a Scan counts what it examined."""
    read: Counter[str] = Counter()
    original = BaseClient._make_api_call  # type: ignore[attr-defined]

    def counted(self: Any, operation: str, params: Any) -> Any:
        response = original(self, operation, params)
        if operation in {"Query", "Scan"}:
            read[f"{operation}:{params['TableName']}"] += response.get("ScannedCount", response.get("Count", 0))
        elif operation == "GetItem":
            read[f"GetItem:{params['TableName']}"] += 1 if "Item" in response else 0
        elif operation == "BatchGetItem":
            for table, items in response.get("Responses", {}).items():
                read[f"BatchGetItem:{table}"] += len(items)
        return response

    BaseClient._make_api_call = counted  # type: ignore[attr-defined]
    try:
        yield read
    finally:
        BaseClient._make_api_call = original  # type: ignore[attr-defined]


@dataclass
class Tables:
    dynamodb: Any

    def client(self, n: int, coach: str = "c1") -> Client:
        client = Client(f"cl_{n:04d}", coach, f"C{n}", f"+1555{n:07d}", f"hash-{n}", "America/New_York", "09:00",
                        "2026-11-01T00:00:00.000Z", consented_at="2026-11-01T00:00:00.000Z")
        self.dynamodb.DynamoClients().add(client)
        return client

    def alert(self, client: Client, at: datetime) -> Alert:
        alert = alerting.raise_alert(alert_id=f"al_{client.client_id}_{at:%m%d%H%M}", client=client,
                                     level=Level.HIGH, rules=["r"], reply_key="k", ack_code="12345678", at=at,
                                     policy=POLICY)
        assert self.dynamodb.DynamoAlerts().open_episode(alert)
        return alert

    def resolved_history(self, count: int, before: datetime) -> None:
        """``count`` alerts resolved long before ``before``, written in batches (the practice's history)."""
        with self.dynamodb.AlertRow.batch_write() as batch:
            for n in range(count):
                client = Client(f"old_{n}", "c1", "Old", "+15550000000", "h", "UTC", "09:00", "2026-01-01")
                raised = alerting.raise_alert(alert_id=f"al_old_{n}", client=client, level=Level.HIGH, rules=["r"],
                                              reply_key="k", ack_code="1", at=before - timedelta(days=40 + n % 200),
                                              policy=POLICY)
                done = alerting.resolve(raised, by="c2", outcome=Outcome.FALSE_ALARM,
                                        at=before - timedelta(days=30 + n % 200))
                batch.save(self.dynamodb.alert_row(done))

    def reply(self, client_id: str, sid: str, body: str, at: datetime) -> Message:
        message = Message(client_id, message_key(at, sid), sid, Direction.INBOUND, MessageKind.REPLY,
                          at.date().isoformat(), body=body, reply_sent="ack")
        return self.dynamodb.DynamoMessages().record(message, retention_days=400)


@pytest.fixture
def tables() -> Iterator[Tables]:
    from moodline.adapters import dynamodb

    with model_tables("noscan", dynamodb.ClientRow, dynamodb.MessageRow, dynamodb.AlertRow, dynamodb.CoachRow,
                      dynamodb.ReviewRow):
        yield Tables(dynamodb)


def _open_list(dynamodb: Any) -> PortsData:
    return PortsData(clients=dynamodb.DynamoClients(), messages=dynamodb.DynamoMessages(),
                     alerts=dynamodb.DynamoAlerts(), coaches=dynamodb.DynamoCoaches(),
                     reviews=dynamodb.DynamoReviews(), audit=FakeAudit())


def _scans(calls: Counter[str]) -> int:
    return calls["dynamodb:Scan"]


def test_the_open_alert_list_queries_its_index_and_1000_resolved_alerts_change_nothing_it_reads(tables):
    # Given one open and one acknowledged alert
    ana, ben = tables.client(1), tables.client(2)
    tables.alert(ana, MONDAY - timedelta(hours=3))
    acked = tables.alert(ben, MONDAY - timedelta(hours=2))
    tables.dynamodb.DynamoAlerts().update(
        acked.alert_id, lambda a: alerting.acknowledge(a, by="c1", via=Via.SMS, at=MONDAY - timedelta(hours=1)))
    data = _open_list(tables.dynamodb)

    # When the workspace lists the open alerts, before and after the practice's history grows by 1,000
    with counting() as calls_before, reading() as read_before:
        before = data.open_alerts()
    tables.resolved_history(1000, MONDAY)
    with counting() as calls_after, reading() as read_after:
        after = data.open_alerts()

    # Then it is one Query, no Scan, and reads the two unresolved alerts both times (was a Scan of all 1,002)
    assert sorted(a.status for a in before) == sorted(a.status for a in after) == ["acknowledged", "open"]
    assert _scans(calls_after) == 0 and calls_after == calls_before == Counter({"dynamodb:Query": 1}), calls_after
    assert read_after == read_before == Counter({"Query:noscan-AlertRow": 2}), read_after


def test_review_nudges_read_the_replies_waiting_not_the_clients_and_1000_quiet_clients_change_nothing(tables):
    # Given a reply with words waiting 25 hours (its coach is due a nudge) and a marked one
    tables.dynamodb.DynamoCoaches().put(Coach("c1", "Casey", "casey@practice.example"))
    ana, ben = tables.client(1), tables.client(2)
    waiting = tables.reply(ana.client_id, "SMa", "rough day, not sleeping", MONDAY - timedelta(hours=25))
    seen = tables.reply(ben.client_id, "SMb", "better today", MONDAY - timedelta(hours=26))
    tables.dynamodb.DynamoReviews().mark(ReviewMark(ben.client_id, seen.at, "seen_fine", "c1", MONDAY))

    def nudges() -> ReviewNudges:
        return ReviewNudges(clients=tables.dynamodb.DynamoClients(), messages=tables.dynamodb.DynamoMessages(),
                            reviews=tables.dynamodb.DynamoReviews(), coaches=tables.dynamodb.DynamoCoaches(),
                            mailer=FakeMailer(), once=FakeOnce())

    # When the hourly run goes, before and after 1,000 clients join whose replies are bare ratings or marked
    with counting() as calls_before, reading() as read_before:
        first = nudges().run(MONDAY)
    for n in range(3, 1003):
        client = tables.client(n)
        reply = tables.reply(client.client_id, f"SM{n}", "4" if n % 2 else "ok thanks", MONDAY - timedelta(hours=30))
        if not n % 2:
            tables.dynamodb.DynamoReviews().mark(ReviewMark(client.client_id, reply.at, "seen_fine", "c1", MONDAY))
    with counting() as calls_after, reading() as read_after:
        second = nudges().run(MONDAY)

    # Then it nudges the one waiting reply, with no Scan (was a Scan of every client and two queries each),
    # and reads the same items both times: the index, the client's marks, the client and the reply
    assert first.waiting == second.waiting == 1 and [n[0] for n in first.nudged] == [waiting.at]
    assert _scans(calls_before) == _scans(calls_after) == 0, calls_after
    assert read_after == read_before, (read_before, read_after)
    assert sum(read_after.values()) <= 4, read_after


def test_the_weekly_tick_reads_the_weeks_handled_alerts_from_the_index_whatever_the_history(tables):
    # Given last week (2026-W48, New York): one alert acknowledged by c2 and resolved this Monday by c1,
    # one resolved in the week by c1, and one still open, acknowledged in the week by c2
    tables.dynamodb.DynamoCoaches().put(Coach("c1", "Casey", "casey@practice.example"))
    tables.dynamodb.DynamoCoaches().put(Coach("c2", "Dee", "dee@practice.example"))
    alerts = tables.dynamodb.DynamoAlerts()
    week = MONDAY - timedelta(days=5)
    across = tables.alert(tables.client(1), week)
    alerts.update(across.alert_id, lambda a: alerting.acknowledge(a, by="c2", via=Via.SMS, at=week))
    alerts.update(across.alert_id, lambda a: alerting.resolve(a, by="c1", outcome=Outcome.FOLLOW_UP,
                                                                at=MONDAY - timedelta(hours=1)))
    inside = tables.alert(tables.client(2), week)
    alerts.update(inside.alert_id, lambda a: alerting.resolve(a, by="c1", outcome=Outcome.TRUE_ALARM,
                                                                at=week + timedelta(hours=2)))
    still = tables.alert(tables.client(3), week)
    alerts.update(still.alert_id, lambda a: alerting.acknowledge(a, by="c2", via=Via.SMS, at=week))

    def tick() -> dict[str, set[str]]:
        queue = FakeQueue()
        WeeklyTick(coaches=tables.dynamodb.DynamoCoaches(), alerts=alerts, queue=queue,
                   practice_timezone="America/New_York").queue_all(MONDAY)
        return {(job := WeeklyJob.from_json(body)).coach_id: set(job.handled) for body in queue.bodies}

    # When the tick runs, before and after 1,000 alerts resolved in earlier weeks join the table
    with counting() as calls_before, reading() as read_before:
        handled_before = tick()
    tables.resolved_history(1000, MONDAY - timedelta(days=7))
    with counting() as calls_after, reading() as read_after:
        handled_after = tick()

    # Then each coach's job names what they handled in the week: c2's acknowledgement counts although the alert
    # was resolved since (this week, by c1, which is not last week's work); the only Scan is of the coaches
    # (a small table), and the 1,000 resolved alerts of the history add no item read (was a Scan of them all)
    assert handled_before == handled_after == {
        "c1": {inside.alert_id}, "c2": {across.alert_id, still.alert_id}}
    assert calls_after == calls_before and calls_after["dynamodb:Scan"] == 1, calls_after
    assert read_after == read_before and {k for k in read_after if k.startswith("Scan")} == {
        "Scan:noscan-CoachRow"}, read_after


def test_the_backfill_gives_items_stored_before_the_indexes_their_keys_once(tables):
    # Given an open alert, a resolved one and a waiting reply stored as the code before the indexes did
    dynamodb = tables.dynamodb
    open_alert = tables.alert(tables.client(1), MONDAY - timedelta(days=2))
    closed = tables.alert(tables.client(2), MONDAY - timedelta(days=3))
    dynamodb.DynamoAlerts().update(closed.alert_id, lambda a: alerting.resolve(
        a, by="c1", outcome=Outcome.FALSE_ALARM, at=MONDAY - timedelta(days=1)))
    reply = tables.reply("cl_0001", "SMa", "cannot sleep", MONDAY - timedelta(hours=30))
    marked = tables.reply("cl_0002", "SMb", "fine now", MONDAY - timedelta(hours=30))
    dynamodb.ReviewRow(client_id="cl_0002", message_key=marked.at, mark="seen_fine", coach_id="c1",
                       at="2026-11-30T00:00:00.000Z").save()  # marked by code that did not clear the index
    for row in dynamodb.AlertRow.scan():
        row.update(actions=[dynamodb.AlertRow.listed.remove(), dynamodb.AlertRow.listed_at.remove()])
    for row in dynamodb.MessageRow.scan():
        row.update(actions=[dynamodb.MessageRow.unreviewed.remove()])
    assert dynamodb.DynamoAlerts().unresolved() == []
    assert dynamodb.DynamoReviews().waiting(MONDAY - timedelta(days=14)) == []

    # When the backfill runs, twice
    first = dynamodb.backfill_indexes(MONDAY, inbox_days=14)
    second = dynamodb.backfill_indexes(MONDAY, inbox_days=14)

    # Then the open alert is listed again, the resolved one by its resolve time, the unmarked reply waits;
    # the second run finds nothing left to do
    assert first == {"alerts": 2, "replies": 1} and second == {"alerts": 0, "replies": 0}
    assert [a.alert_id for a in dynamodb.DynamoAlerts().unresolved()] == [open_alert.alert_id]
    assert [a.alert_id for a in dynamodb.DynamoAlerts().resolved_between(MONDAY - timedelta(days=2), MONDAY)] == [
        closed.alert_id]
    assert dynamodb.DynamoReviews().waiting(MONDAY - timedelta(days=14)) == [("cl_0001", reply.at)]
