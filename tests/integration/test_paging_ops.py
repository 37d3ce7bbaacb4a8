"""Issue 8 §9 on the local stack: the scoring redrive runs itself, and the pager check finds coaches
whose pager no longer works."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3

from tests.integration.roster import add_coach_with_pager, enrol
from tests.integration.test_scoring_and_paging import SnsDown, _reply

MONDAY = datetime(2026, 11, 30, tzinfo=UTC)


def test_the_scoring_dlq_is_redriven_on_schedule_and_the_page_goes_out_once(stack, clock):
    # Given SNS was down for scoring, so a crisis reply's batch is in the scoring DLQ
    casey = add_coach_with_pager(stack, "c1")
    enrol(stack, name="Ben", phone="+15550100002", coach="c1", now=MONDAY)
    scoring = stack.functions_services("ScoreReplyFunction")
    sns = scoring.pager
    scoring.use(pager=SnsDown())
    _reply(stack, clock, MONDAY.replace(hour=20), "+15550100002", "i want to die")
    scoring.use(pager=sns)
    dlq = stack.resource("ScoringDLQ").url
    assert casey.pages() == []

    # When the redrive schedule fires (every 15 minutes, at :03), twice
    runs = [r for at in (MONDAY.replace(hour=20, minute=3), MONDAY.replace(hour=20, minute=18))
            for _, r in stack.runtime.fire_schedules(at, only={"RescoreDlqFunction"})]

    # Then the first run rescored and emptied the DLQ, the second found nothing; one page went out
    assert [r["dead_letters"] for r in runs] == [1, 0] and runs[0]["rescored"] == 1
    [page] = casey.pages()
    assert page["MessageAttributes"]["severity"]["Value"] == "crisis"
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
    assert set(attributes["Attributes"].values()) == {"0"}


def test_the_hourly_pager_check_names_a_coach_whose_subscription_is_gone(stack):
    # Given two coaches with pagers, and one of them unsubscribed (one click on an e-mail link)
    add_coach_with_pager(stack, "c1")
    add_coach_with_pager(stack, "c2")
    sns = boto3.client("sns")
    topic = stack.resource("AlertsTopic").arn
    for subscription in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]:
        if subscription["Endpoint"].endswith(":pager-c2"):
            sns.unsubscribe(SubscriptionArn=subscription["SubscriptionArn"])

    # When the hourly check runs (at :07)
    [result] = [r for name, r in stack.fire_schedules(MONDAY.replace(hour=9, minute=7))
                if name == "EscalateFunction.PagerCheckHourly"]

    # Then it names c2
    assert result == {"coaches_without_pager": ["c2"]}


def test_every_escalate_run_reports_unacknowledged_crisis_alerts(stack, clock):
    add_coach_with_pager(stack, "c1")
    enrol(stack, name="Ben", phone="+15550100002", coach="c1", now=MONDAY)
    _reply(stack, clock, MONDAY.replace(hour=20), "+15550100002", "i want to die")
    counts = [r["crisis_unacknowledged_over_15_min"]
              for minutes in (1, 16) for name, r in stack.fire_schedules(MONDAY.replace(hour=20) + timedelta(
                  minutes=minutes)) if name == "EscalateFunction.EveryMinute"]
    assert counts == [0, 1]
