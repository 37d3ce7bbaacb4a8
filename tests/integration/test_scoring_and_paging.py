"""Scoring replies from the stream: levels, baselines, alerts, pages through the SNS filter, crisis resources."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3

from moodline.adapters.dynamodb import AlertRow, DynamoAlerts, DynamoClients, MessageRow
from moodline.cli import main
from tests.conftest import load_event
from tests.integration.roster import add_coach_with_pager, enrol, use_function_env

MONDAY = datetime(2026, 11, 30, tzinfo=UTC)
OUR_NUMBER = "+15005550006"


def _reply(stack, clock, at: datetime, phone: str, body: str) -> tuple[int, str]:
    clock.now = at
    result = stack.twilio.post_inbound(stack.inbound_url, to=OUR_NUMBER, from_=phone, body=body)
    stack.settle()
    return result


def _latest(client_id: str) -> MessageRow:
    return next(iter(MessageRow.query(client_id, scan_index_forward=False, limit=1)))


def test_a_crisis_reply_pages_exactly_the_on_call_coach_and_answers_with_resources(stack, clock):
    # Given two coaches with pagers, Jordan (c2) on call, and a client of Casey (c1)
    casey, jordan = add_coach_with_pager(stack, "c1"), add_coach_with_pager(stack, "c2")
    stack.roster.set_shift("primary", starts_at=MONDAY, ends_at=MONDAY + timedelta(days=7),
                              primary="c2", backup="c1")
    client = enrol(stack, name="Ben", phone="+15550100002", coach="c1", now=MONDAY)

    # When the client texts crisis language
    status, twiml = _reply(stack, clock, MONDAY.replace(hour=20), "+15550100002",
                           "i can't do this anymore, i've been saving my pills for tonight")

    # Then the client gets crisis resources in the same response
    assert status == 200 and "988" in twiml and "741741" in twiml
    # And exactly one page went out, to the on-call coach only, through the SNS filter policy
    pages = jordan.pages()
    assert len(pages) == 1 and casey.pages() == []
    page = pages[0]
    assert page["MessageAttributes"]["coach_id"]["Value"] == "c2"
    assert page["MessageAttributes"]["severity"]["Value"] == "crisis"
    assert "Ben" in page["Subject"] and "ACK" in page["Message"]
    # And the page carries neither the message text nor the phone number
    assert "pills" not in page["Message"] and "0100002" not in page["Message"]
    # And the reply is stored with its level, and one open alert has it on its timeline
    reply = _latest(client.client_id)
    assert reply.level == "crisis" and reply.alert_id
    alert = DynamoAlerts().get(reply.alert_id)
    assert alert.status == "open" and [e.event for e in alert.timeline] == ["raised", "paged"]
    assert DynamoClients().get(client.client_id).open_alert_id == alert.alert_id


def test_with_nobody_on_call_the_whole_team_is_paged_including_the_clients_own_coach(stack, clock):
    # Given no on-call shift at all
    casey, jordan = add_coach_with_pager(stack, "c1"), add_coach_with_pager(stack, "c2")
    enrol(stack, name="Eli", phone="+15550100005", coach="c2", now=MONDAY)

    # When the client replies with a very low mood
    _reply(stack, clock, MONDAY.replace(hour=18), "+15550100005", "2")

    # Then the team is paged, one page per coach with a link signed for that coach: never nobody
    [to_jordan], [to_casey] = jordan.pages(), casey.pages()
    assert to_jordan["MessageAttributes"]["coach_id"]["Value"] == "c2" and "coach=c2" in to_jordan["Message"]
    assert to_casey["MessageAttributes"]["coach_id"]["Value"] == "c1" and "coach=c1" in to_casey["Message"]


def test_a_second_risky_reply_joins_the_open_alert_and_raises_its_severity_without_repaging_twice(stack, clock):
    # Given a client with an open high alert
    casey = add_coach_with_pager(stack, "c1")
    client = enrol(stack, name="Eli", phone="+15550100005", coach="c1", now=MONDAY)
    _reply(stack, clock, MONDAY.replace(hour=18), "+15550100005", "2, everything is heavy")

    # When they send another low reply, then crisis language
    _reply(stack, clock, MONDAY.replace(hour=19), "+15550100005", "1")
    _reply(stack, clock, MONDAY.replace(hour=20), "+15550100005", "i want to kill myself")

    # Then there is still one alert, now crisis, with all three replies; pages: the raise and the rise only
    [alert] = list(AlertRow.scan())
    assert alert.level == "crisis" and len(alert.replies) == 3
    events = [e.event for e in alert.timeline]
    assert events == ["raised", "paged", "appended", "raised_severity", "paged"]
    severities = [p["MessageAttributes"]["severity"]["Value"] for p in casey.pages()]
    assert severities == ["high", "crisis"]
    assert DynamoClients().get(client.client_id).open_alert_id == alert.alert_id


def test_a_drop_below_the_clients_own_baseline_is_high(stack, clock):
    # Given a client who has been at 8 for four days
    casey = add_coach_with_pager(stack, "c1")
    client = enrol(stack, name="Fay", phone="+15550100006", coach="c1", now=MONDAY)
    for day in range(4):
        _reply(stack, clock, MONDAY.replace(hour=15) + timedelta(days=day), "+15550100006", "8")
    assert casey.pages() == []

    # When they reply 5 (fine in general, but 3 below their median)
    _reply(stack, clock, MONDAY.replace(hour=15) + timedelta(days=4), "+15550100006", "5")

    # Then it is a high alert with the baseline rule as the reason
    reply = _latest(client.client_id)
    assert reply.level == "high" and "baseline.drop" in reply.reasons
    assert len(casey.pages()) == 1


def test_an_unparseable_reply_is_stored_with_mood_null_and_still_checked_for_crisis(stack, clock):
    # Given a client
    casey = add_coach_with_pager(stack, "c1")
    client = enrol(stack, name="Chloe", phone="+15550100003", coach="c1", now=MONDAY)

    # When they reply without a number, once harmlessly and once with crisis language
    _, first_answer = _reply(stack, clock, MONDAY.replace(hour=15), "+15550100003", "had a long day at work")
    first = _latest(client.client_id)
    _reply(stack, clock, MONDAY.replace(hour=16), "+15550100003", "i just want it all to end")
    second = _latest(client.client_id)

    # Then both are stored with mood null; the first is nudged for a number, the second pages
    assert first.mood is None and first.level == "low" and "number from 1" in first_answer
    assert second.mood is None and second.level == "crisis"
    assert len(casey.pages()) == 1


def test_a_stopped_client_in_crisis_is_still_paged(stack, clock):
    # Given a client who texted STOP
    casey = add_coach_with_pager(stack, "c1")
    enrol(stack, name="Dev", phone="+15550100004", coach="c1", now=MONDAY)
    _reply(stack, clock, MONDAY.replace(hour=15), "+15550100004", "STOP")

    # When they later text crisis language
    _reply(stack, clock, MONDAY.replace(hour=23), "+15550100004", "goodbye everyone, this is the end for me")

    # Then a human is paged: opting out of check-ins never silences a cry for help
    [page] = casey.pages()
    assert page["MessageAttributes"]["severity"]["Value"] == "crisis"


def test_a_stream_record_delivered_twice_pages_once(stack):
    # Given a client and the stream INSERT from events/ rewritten as a crisis reply of theirs
    casey = add_coach_with_pager(stack, "c1")
    client = enrol(stack, name="Ben", phone="+15550100002", coach="c1", now=MONDAY)
    event = load_event("score_reply_stream.json")
    image = event["Records"][0]["dynamodb"]["NewImage"]
    image["client_id"]["S"] = client.client_id
    image["body"]["S"] = "took 30 pills"
    MessageRow.from_raw_data(image).save()  # what the webhook stored

    # When the scoring function gets the same record twice (an at-least-once redelivery)
    first = stack.runtime.invoke("ScoreReplyFunction", event)
    second = stack.runtime.invoke("ScoreReplyFunction", event)

    # Then both succeed, one alert exists and exactly one page went out
    assert first == second == {"batchItemFailures": []}
    assert len(list(AlertRow.scan())) == 1
    assert len(casey.pages()) == 1


class SnsDown:
    def publish(self, page):
        raise ConnectionError("SNS unreachable")


def test_a_scoring_failure_is_retried_and_then_lands_in_the_dlq(stack, clock, monkeypatch):
    # Given SNS publishing is down for the scoring function
    casey = add_coach_with_pager(stack, "c1")
    enrol(stack, name="Ben", phone="+15550100002", coach="c1", now=MONDAY)
    scoring = stack.functions_services("ScoreReplyFunction")
    sns = scoring.pager
    scoring.use(pager=SnsDown())

    # When a crisis reply arrives
    _reply(stack, clock, MONDAY.replace(hour=20), "+15550100002", "i want to die")

    # Then the record is retried and finally sent to the scoring DLQ (which has an alarm)
    sqs = boto3.client("sqs")
    dlq = sqs.receive_message(QueueUrl=stack.resource("ScoringDLQ").url).get("Messages", [])
    assert len(dlq) == 1
    assert '"startSequenceNumber"' in dlq[0]["Body"]

    # And when SNS is back and ops run the redrive (`moodline rescore`), the page goes out once: a
    # retry after a half-done attempt (alert opened, page failed) must still page
    scoring.use(pager=sns)
    use_function_env(stack, monkeypatch)
    assert main(["rescore", "--since", "2026-11-30T00:00:00Z"]) == 0
    assert main(["rescore", "--since", "2026-11-30T00:00:00Z"]) == 0  # again: the reply is scored, no page
    [page] = casey.pages()
    assert page["MessageAttributes"]["severity"]["Value"] == "crisis"



def test_a_real_page_has_the_shape_of_the_sns_event_in_events_folder(stack, clock):
    # Given the SNS event a pager integration receives (events/sns_page.json), and a real crisis page
    sample = load_event("sns_page.json")["Records"][0]["Sns"]
    casey = add_coach_with_pager(stack, "c1")
    enrol(stack, name="Ben", phone="+15550100002", coach="c1", now=MONDAY)
    _reply(stack, clock, MONDAY.replace(hour=20), "+15550100002", "took 30 pills tonight")

    # When the page arrives at the coach's subscription
    [page] = casey.pages()

    # Then it carries the same attributes, of the same types, as the documented event
    assert set(page["MessageAttributes"]) == set(sample["MessageAttributes"])
    assert {k: v["Type"] for k, v in page["MessageAttributes"].items()} == {
        k: v["Type"] for k, v in sample["MessageAttributes"].items()}
    assert page["Subject"].startswith("Moodline CRISIS alert") and sample["Subject"].startswith("Moodline CRISIS alert")
    assert page["Message"].splitlines()[0] == sample["Message"].splitlines()[0] == (
        "CRISIS - may be in danger now: Ben needs a human.")
    # Short (issue 11 §5): name, severity, code, one-tap link, workspace link; no rule id, text or number
    for message in (page["Message"], sample["Message"]):
        assert len(message.splitlines()) == 4 and "crisis." not in message and "pills" not in message
        assert "/coach/alerts/" in message and "moodline alert show" not in message
