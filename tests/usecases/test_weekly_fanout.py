"""The weekly e-mail fanned out: the Monday tick queues one job per coach, a worker sends each, once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from moodline.domain import InboundSms
from moodline.vocabulary import Via
from moodline.weekly import InvalidWeeklyJob, WeeklyJob
from tests.fakes import World
from tests.usecases.conftest import MONDAY, coach, enrol, run_weekly

NEXT_MONDAY = MONDAY + timedelta(days=7)


def reply(world: World, phone: str, body: str, sid_digit: str, at_day: int = 0) -> None:
    world.inbound.receive(InboundSms("SM" + sid_digit * 32, "AC1", phone, "+1", body), MONDAY + timedelta(days=at_day))
    world.settle()


def test_the_monday_tick_queues_one_job_per_coach_and_sends_no_email_itself(world):
    # Given three coaches, one with a client who replied last week
    for coach_id in ("c1", "c2", "c3"):
        coach(world, coach_id)
    enrol(world, "Ana", "+15550100001")
    reply(world, "+15550100001", "7 good", "2")

    # When the Monday tick runs
    run = world.weekly_tick.queue_all(NEXT_MONDAY)

    # Then one job per coach is on the queue, for last week, and nothing is mailed yet
    jobs = [WeeklyJob.from_json(body) for body in world.weekly_queue.bodies]
    assert (run.iso_week, run.coaches, run.queued) == ("2026-W49", 3, 3)
    assert sorted(j.coach_id for j in jobs) == ["c1", "c2", "c3"] and {j.iso_week for j in jobs} == {"2026-W49"}
    assert world.mailer.sent == []


def test_a_redelivered_job_sends_the_email_once_and_returns_the_first_result(world):
    # Given Ana replied last week and the tick queued her coach's job
    coach(world, "c1")
    enrol(world, "Ana", "+15550100001")
    reply(world, "+15550100001", "7 good", "2")
    world.weekly_tick.queue_all(NEXT_MONDAY)
    [body] = world.weekly_queue.bodies

    # When SQS delivers the job twice (at least once), and a retried tick queues it again
    first = world.weekly.send(WeeklyJob.from_json(body))
    again = world.weekly.send(WeeklyJob.from_json(body))
    _, retried = run_weekly(world, NEXT_MONDAY)

    # Then the coach got one e-mail, and every later delivery reports the first one's result
    assert len(world.mailer.sent) == 1
    assert first == again == retried[0] and first.sent and first.clients == 1


def test_the_alerts_of_the_week_come_from_the_one_query_of_each_clients_messages(world, monkeypatch):
    # Given Ana texted crisis language last week (an alert, still open), and Ben replied fine
    coach(world, "c1")
    enrol(world, "Ana", "+15550100001")
    enrol(world, "Ben", "+15550100002")
    reply(world, "+15550100001", "2. i want to die", "4")
    reply(world, "+15550100002", "8", "5")
    # And the worker may read each client's messages once, and never the alerts index per client
    reads: list[str] = []
    between = world.messages.between
    monkeypatch.setattr(world.messages, "between", lambda cid, *w: reads.append(cid) or between(cid, *w))
    monkeypatch.setattr(world.alerts, "of_client", lambda *a: pytest.fail("an alerts query per client"))

    # When the weekly job runs
    run_weekly(world, NEXT_MONDAY)

    # Then each client was one read, and Ana's crisis alert is counted, still open
    assert sorted(reads) == sorted(c.client_id for c in world.clients.of_coach("c1"))
    [mail] = world.mailer.sent
    assert "1 crisis" in mail["text"] and "1 alert still open" in mail["text"]


def test_a_client_moved_to_another_coach_brings_the_weeks_alert_to_the_new_coach(world):
    # Given Ana (Casey's) raised an alert last week, then moved to Jordan before Monday
    coach(world, "c1")
    coach(world, "c2")
    ana = enrol(world, "Ana", "+15550100001")
    reply(world, "+15550100001", "2. i want to die", "4")
    world.roster.move(ana.client_id, coach_id="c2")

    # When the weekly job runs
    run_weekly(world, NEXT_MONDAY)

    # Then Jordan's e-mail counts Ana's alert (found from her replies, not from the alert's first coach)
    [jordan] = [m for m in world.mailer.sent if m["to"].startswith("c2")]
    assert "Ana" in jordan["text"] and "1 crisis" in jordan["text"]


def test_a_page_acknowledged_by_the_on_call_coach_rides_on_their_job_as_an_id(world):
    # Given Jordan, on call, acknowledged a page about Casey's client Ana
    coach(world, "c1")
    coach(world, "c2")
    ana = enrol(world, "Ana", "+15550100001")
    reply(world, "+15550100001", "2. i want to die", "4")
    [alert] = world.alerts.of_client(ana.client_id, MONDAY - timedelta(days=1), MONDAY + timedelta(days=1))
    world.actions.acknowledge(alert.alert_id, by="c2", via=Via.WORKSPACE, at=MONDAY + timedelta(minutes=3))

    # When the tick queues the jobs
    world.weekly_tick.queue_all(NEXT_MONDAY)

    # Then Jordan's job names the alert by id only (no name or text on the queue), Casey's names none
    jobs = {j.coach_id: j for j in map(WeeklyJob.from_json, world.weekly_queue.bodies)}
    assert jobs["c2"].handled == (alert.alert_id,) and jobs["c1"].handled == ()
    assert "Ana" not in "".join(world.weekly_queue.bodies)


def test_a_page_acknowledged_in_the_week_and_resolved_after_it_by_the_same_coach_counts_for_the_week(world):
    # Given Jordan acknowledged a page on Monday and resolved it the next Sunday night (after the week ended)
    coach(world, "c1")
    coach(world, "c2")
    ana = enrol(world, "Ana", "+15550100001")
    reply(world, "+15550100001", "2. i want to die", "5")
    [alert] = world.alerts.of_client(ana.client_id, MONDAY - timedelta(days=1), MONDAY + timedelta(days=1))
    world.actions.acknowledge(alert.alert_id, by="c2", via=Via.WORKSPACE, at=MONDAY + timedelta(minutes=3))
    world.actions.resolve(alert.alert_id, by="c2", outcome="true_alarm", at=NEXT_MONDAY + timedelta(hours=6))

    # When the Monday tick queues last week's jobs
    world.weekly_tick.queue_all(NEXT_MONDAY + timedelta(hours=7))

    # Then the acknowledgement still counts for Jordan's week (one coach's two acts are two entries)
    jobs = {j.coach_id: j for j in map(WeeklyJob.from_json, world.weekly_queue.bodies)}
    assert jobs["c2"].handled == (alert.alert_id,)


def test_a_job_for_a_coach_removed_since_the_tick_sends_nothing(world):
    coach(world, "c1")
    world.weekly_tick.queue_all(NEXT_MONDAY)
    world.coaches.delete("c1")
    [body] = world.weekly_queue.bodies
    assert world.weekly.send(WeeklyJob.from_json(body)).sent is False
    assert world.mailer.sent == []


@pytest.mark.parametrize("body", ["", "not json", "[]", '{"coach_id": "c1"}',
                                  '{"coach_id": "c1", "iso_week": "2026-49"}',
                                  '{"coach_id": "c1", "iso_week": "2026-W49", "handled": "al_1"}'])
def test_a_body_that_is_not_a_weekly_job_is_refused_with_one_clear_error(body):
    with pytest.raises(InvalidWeeklyJob, match="not a weekly job"):
        WeeklyJob.from_json(body)
