"""The weekly e-mail per coach, and what never reaches the logs: phone numbers and message text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from moodline.adapters.dynamodb import MessageRow
from tests.conftest import load_event
from tests.integration.roster import add_coach_with_pager, enrol

MONDAY = datetime(2026, 11, 30, tzinfo=UTC)
OUR_NUMBER = "+15005550006"
ROSTER = (("Ana", "+15550100001", "c1"), ("Ben", "+15550100002", "c1"), ("Chloe", "+15550100003", "c2"))


def _run_week(stack, clock, replies: dict[str, str]) -> None:
    for day in range(7):
        stack.fire_schedules(MONDAY.replace(hour=14) + timedelta(days=day))
        stack.settle()
        for name, phone, _ in ROSTER:
            clock.now = MONDAY.replace(hour=14, minute=20) + timedelta(days=day)
            stack.twilio.post_inbound(stack.inbound_url, to=OUR_NUMBER, from_=phone, body=replies[name])
            stack.settle()


def _sent_mail() -> list:
    return list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)


def test_each_coach_gets_one_email_with_their_own_clients_and_no_one_elses(stack, clock):
    # Given two coaches and a week of check-ins from three clients (two of Casey's, one of Jordan's)
    add_coach_with_pager(stack, "c1", "casey@practice.example")
    add_coach_with_pager(stack, "c2", "jordan@practice.example")
    for name, phone, coach in ROSTER:
        enrol(stack, name=name, phone=phone, coach=coach, now=MONDAY - timedelta(days=1))
    _run_week(stack, clock, {"Ana": "7", "Ben": "6", "Chloe": "8 good"})

    # When the weekly schedule fires on the next Monday at 08:00 New York, and the weekly queue is delivered
    fired = dict(stack.fire_schedules(datetime(2026, 12, 7, 13, 0, tzinfo=UTC)))
    assert not _sent_mail()  # the tick only queues, one job per coach
    stack.settle()

    # Then each coach got exactly one e-mail for week 49
    assert fired["WeeklySummaryFunction.Weekly"] == {"iso_week": "2026-W49", "coaches": 2, "queued": 2}
    mail = {m.destinations["ToAddresses"][0]: m for m in _sent_mail()}
    assert set(mail) == {"casey@practice.example", "jordan@practice.example"}
    casey, jordan = mail["casey@practice.example"], mail["jordan@practice.example"]
    # And each lists their own clients, answered 7 of 7, and none of the other coach's
    assert "Ana" in casey.body and "Ben" in casey.body and "Chloe" not in casey.body
    assert "Chloe" in jordan.body and "Ana" not in jordan.body and "Ben" not in jordan.body
    assert "Answered <b>7 of 7</b>" in casey.body
    assert "2026-W49" in casey.subject

    # And a second firing (a retry) queues the jobs again, and sends nothing new
    stack.runtime.invoke("WeeklySummaryFunction", {"scheduled_time": "2026-12-07T13:00:00Z"})
    stack.settle()
    assert len(_sent_mail()) == 2


def test_the_weekly_event_from_events_folder_runs_the_summary(stack):
    # Given one coach and no clients
    add_coach_with_pager(stack, "c1")

    # When the weekly function gets the event from events/, and the worker its job
    result = stack.runtime.invoke("WeeklySummaryFunction", load_event("weekly_summary.json"))
    stack.settle()

    # Then the run covers that coach, and sends no empty e-mail (a new deployment's first Monday)
    assert result == {"iso_week": "2026-W49", "coaches": 1, "queued": 1}
    assert not _sent_mail()


def test_the_weekly_coach_event_from_events_folder_sends_nothing_for_a_coach_without_clients(stack):
    add_coach_with_pager(stack, "c1")
    result = stack.runtime.invoke("WeeklyCoachFunction", load_event("weekly_coach_sqs.json"))
    assert result == {"batchItemFailures": []} and not _sent_mail()


def test_a_job_that_is_not_a_weekly_job_fails_alone_and_is_retried_toward_the_dlq(stack):
    # Given a batch of a good job and a malformed one
    add_coach_with_pager(stack, "c1")
    good = load_event("weekly_coach_sqs.json")["Records"][0]
    bad = {**good, "messageId": "m-bad", "body": '{"coach": "c1"}'}

    # When weekly_coach takes the batch
    result = stack.runtime.invoke("WeeklyCoachFunction", {"Records": [good, bad]})

    # Then only the malformed job is reported failed (SQS retries it, then moves it to the alarmed DLQ)
    assert result == {"batchItemFailures": [{"itemIdentifier": "m-bad"}]}


def test_no_phone_number_or_message_text_reaches_the_logs(stack, clock, logs):
    # Given clients, a week of replies including crisis language, STOP, HELP and a stranger
    add_coach_with_pager(stack, "c1")
    add_coach_with_pager(stack, "c2")
    for name, phone, coach in ROSTER:
        enrol(stack, name=name, phone=phone, coach=coach, now=MONDAY - timedelta(days=1))
    secrets = {"Ana": "7 walked the dog", "Ben": "i keep thinking about the bridge tonight",
               "Chloe": "meh long shift"}
    _run_week(stack, clock, secrets)
    stack.twilio.post_inbound(stack.inbound_url, to=OUR_NUMBER, from_="+15550188888", body="who dis")
    stack.twilio.post_inbound(stack.inbound_url, to=OUR_NUMBER, from_="+15550100003", body="HELP")
    stack.twilio.flush_status_callbacks("undelivered", error_code=30006)
    stack.fire_schedules(datetime(2026, 12, 7, 13, 0, tzinfo=UTC))
    stack.settle()
    assert len(_sent_mail()) == 2  # the weekly e-mails went out, through the logs below

    # When we read everything the functions logged
    output = logs.getvalue()

    # Then the logs are there, and contain no phone number (in any format) and no message text
    assert "inbound stored" in output and "reply scored" in output
    digits_only = "".join(ch for ch in output if ch.isdigit())
    for _, phone, _ in (*ROSTER, ("", "+15550188888", "")):
        assert phone not in output and phone[2:] not in output and phone[-7:] not in digits_only
    for text in (*secrets.values(), "who dis"):
        assert text not in output
    # And the texts did pass through the functions (stored for re-scoring): their absence above means something
    stored_bodies = {m.body for m in MessageRow.scan() if m.body}
    assert set(secrets.values()) <= stored_bodies
