"""Scoring, alerts, pages and escalation on fakes: who is paged, when, and how often."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from moodline.alerting import AlertError
from moodline.domain import DeliveryReport, InboundSms
from moodline.vocabulary import AlertEvent, AlertStatus, DeliveryStatus, Direction, MessageKind, Refusal, Via
from tests.fakes import World
from tests.usecases.conftest import MONDAY, coach, enrol, on_call

_SIDS = itertools.count(1)


def reply(world: World, phone: str, body: str, *, minutes: int = 0) -> None:
    """A client's reply through the webhook use case, then scored as the stream would."""
    sms = InboundSms(f"SM{next(_SIDS):032x}", "AC1", phone, "+15005550006", body)
    world.inbound.receive(sms, MONDAY + timedelta(minutes=minutes))
    world.settle()


def escalate(world: World, minutes: float) -> list[tuple[str, str]]:
    return world.desk.escalate_due(MONDAY + timedelta(minutes=minutes))


@pytest.fixture
def ben(world):
    for coach_id in ("c1", "c2", "c3"):
        coach(world, coach_id)
    on_call(world, "c1", backup="c2")
    return enrol(world, "Ben", "+15550100002", coach_id="c3")


def test_a_crisis_reply_pages_the_on_call_coach_once_with_no_text_or_number(world, ben):
    # When Ben texts crisis language
    reply(world, "+15550100002", "i want to die")

    # Then one alert is open, the on-call coach (not his own) is paged once, and the page carries
    # neither his words nor his number, but the ACK code and signed links
    [alert] = world.alerts.rows.values()
    assert alert.level == "crisis" and alert.status is AlertStatus.OPEN
    assert world.pager.targets() == ["c1"]
    [page] = world.pager.pages
    assert "die" not in page.body and "0100002" not in page.body
    assert f"ACK {alert.ack_code}" in page.body and "https://moodline.example/alerts/" in page.body
    assert world.clients.get(ben.client_id).open_alert_id == alert.alert_id


def test_the_webhook_already_sent_resources_so_scoring_does_not_text_again(world, ben):
    reply(world, "+15550100002", "i want to die")
    assert world.sms.sent == []


def test_crisis_found_only_by_scoring_still_gets_resources_once(world, ben):
    # Given a crisis reply whose immediate answer was something else (stored as a plain ack)
    reply(world, "+15550100002", "i want to die")
    [stored] = world.messages.rows.values()
    key = (stored.client_id, stored.at)
    from dataclasses import replace
    world.messages.rows[key] = replace(stored, reply_sent="ack", level=None)

    # When it is scored, twice (a stream redelivery)
    world.scorer.score(world.messages.rows[key])
    world.scorer.score(world.messages.rows[key])

    # Then the resources go out by SMS exactly once
    assert len(world.sms.to("+15550100002")) == 1


def test_resources_sent_by_scoring_are_on_the_timeline_and_their_delivery_callbacks_find_them(world, ben):
    # Given a crisis reply whose immediate answer was something else, scored (twice: a stream redelivery)
    reply(world, "+15550100002", "i want to die")
    [stored] = world.messages.rows.values()
    from dataclasses import replace
    world.messages.rows[(stored.client_id, stored.at)] = replace(stored, reply_sent="ack", level=None)
    world.scorer.score(world.messages.rows[(stored.client_id, stored.at)])
    world.scorer.score(world.messages.rows[(stored.client_id, stored.at)])

    # Then the resources SMS is recorded once, as an outbound "resources" message on Ben's timeline
    [resources] = [m for m in world.messages.rows.values() if m.kind is MessageKind.RESOURCES]
    assert resources.direction is Direction.OUTBOUND and resources.client_id == ben.client_id
    # and Twilio's "delivered" callback is applied to it rather than deferred as an unknown message
    report = DeliveryReport(resources.sid, DeliveryStatus.DELIVERED, rank=4)
    assert world.delivery.record(report, now=MONDAY + timedelta(minutes=2)) == "updated"


def test_a_resources_record_the_store_refuses_neither_fails_scoring_nor_sends_twice(world, ben, monkeypatch):
    reply(world, "+15550100002", "i want to die")
    [stored] = world.messages.rows.values()
    from dataclasses import replace
    again = replace(stored, reply_sent="ack", level=None)

    def refuse(*args: object, **kwargs: object) -> None:
        raise ConnectionError("DynamoDB unavailable")

    monkeypatch.setattr(world.messages, "record", refuse)
    outcome = world.scorer.score(again)
    outcome_again = world.scorer.score(again)
    assert outcome.resources_sent is True and outcome_again.alert_id == outcome.alert_id
    assert len(world.sms.to("+15550100002")) == 1


def test_resources_refused_by_the_carrier_do_not_stop_the_page(world, ben):
    world.sms.refuse(Refusal.OPTED_OUT, code=21610)
    reply(world, "+15550100002", "i want to die")
    [stored] = world.messages.rows.values()
    from dataclasses import replace
    outcome = world.scorer.score(replace(stored, reply_sent="ack"))
    assert outcome.resources_sent is False and world.pager.targets() == ["c1"]


def test_a_low_reply_is_scored_and_stored_without_an_alert(world, ben):
    reply(world, "+15550100002", "7 good day")
    [stored] = world.messages.rows.values()
    assert (stored.level, stored.mood) == ("low", 7.0) and world.alerts.rows == {} and world.pager.pages == []


def test_more_of_the_same_severity_appends_without_paging_again(world, ben):
    reply(world, "+15550100002", "2")
    reply(world, "+15550100002", "1 awful", minutes=10)
    [alert] = world.alerts.rows.values()
    assert len(alert.replies) == 2 and world.pager.targets() == ["c1"]


def test_a_rise_to_crisis_pages_again_and_shortens_the_wait(world, ben):
    # Given a high alert (30 min before escalation)
    reply(world, "+15550100002", "2")
    high = next(iter(world.alerts.rows.values()))

    # When a crisis reply follows in the same episode
    reply(world, "+15550100002", "i want to die", minutes=1)

    # Then the alert is crisis, paged again, and escalates 5 minutes after the rise
    alert = world.alerts.get(high.alert_id)
    assert alert.level == "crisis" and AlertEvent.RAISED_SEVERITY in [e.event for e in alert.timeline]
    assert world.pager.targets() == ["c1", "c1"]
    assert alert.escalate_at < high.escalate_at


def test_an_unacknowledged_crisis_escalates_to_the_backup_then_the_team(world, ben):
    reply(world, "+15550100002", "i want to die")
    assert escalate(world, 4) == []
    assert [coach_id for _, coach_id in escalate(world, 5)] == ["c2"]
    assert escalate(world, 6) == []
    assert [coach_id for _, coach_id in escalate(world, 10)] == ["team"]
    assert [coach_id for _, coach_id in escalate(world, 15)] == ["team"]
    # A team step pages every coach, each with a page of their own (links signed for them)
    assert world.pager.targets() == ["c1", "c2", "c1", "c2", "c3", "c1", "c2", "c3"]


def test_nobody_on_call_pages_the_whole_team(world):
    coach(world, "c1")
    enrol(world, "Ben", "+15550100002")
    reply(world, "+15550100002", "i want to die")
    assert world.pager.targets() == ["c1"]  # the team, one page per coach: here the only coach


def test_an_override_beats_the_rota(world, ben):
    world.roster.set_shift("override", starts_at=MONDAY - timedelta(hours=1), ends_at=MONDAY + timedelta(hours=1),
                           primary="c3")
    reply(world, "+15550100002", "i want to die")
    assert world.pager.targets() == ["c3"]


def test_an_acknowledgement_stops_escalation(world, ben):
    reply(world, "+15550100002", "i want to die")
    [alert] = world.alerts.rows.values()
    world.actions.acknowledge(alert.alert_id, by="c1", via=Via.LINK, at=MONDAY + timedelta(minutes=1))
    assert escalate(world, 30) == [] and world.pager.targets() == ["c1"]


def test_an_acknowledgement_racing_a_reply_is_not_lost(world, ben):
    # Given an open high alert, and a coach who acknowledges it just as a second reply is being added
    reply(world, "+15550100002", "2")
    [alert] = world.alerts.rows.values()
    raced = []

    def coach_acks_first(alert_id):
        if not raced:
            raced.append(alert_id)
            world.actions.acknowledge(alert_id, by="c1", via=Via.SMS, at=MONDAY + timedelta(minutes=2))

    world.alerts.before_write = coach_acks_first

    # When the second reply's write meets the newer version
    reply(world, "+15550100002", "1", minutes=2)
    world.alerts.before_write = None

    # Then the reply is re-applied on top of the acknowledgement: it re-triggers, and the ack stays on the timeline
    fresh = world.alerts.get(alert.alert_id)
    events = [e.event for e in fresh.timeline]
    assert AlertEvent.ACKNOWLEDGED in events and events[-2] == AlertEvent.RETRIGGERED
    assert fresh.acknowledged_by == "c1"


def test_a_risky_reply_after_an_acknowledgement_retriggers_and_escalates_again(world, ben):
    reply(world, "+15550100002", "i want to die")
    [alert] = world.alerts.rows.values()
    world.actions.acknowledge(alert.alert_id, by="c1", via=Via.SMS, at=MONDAY + timedelta(minutes=2))
    reply(world, "+15550100002", "pills in my hand now", minutes=60)
    fresh = world.alerts.get(alert.alert_id)
    assert fresh.status is AlertStatus.OPEN and fresh.timeline[-2].event is AlertEvent.RETRIGGERED
    assert world.pager.targets() == ["c1", "c1"]
    assert [c for _, c in escalate(world, 65)] == ["c2"]


def test_resolving_ends_the_episode_and_the_next_risky_reply_opens_a_new_alert(world, ben):
    reply(world, "+15550100002", "i want to die")
    [first] = world.alerts.rows.values()
    world.actions.resolve(first.alert_id, by="c1", outcome="true_alarm", at=MONDAY + timedelta(hours=1))
    reply(world, "+15550100002", "2", minutes=120)
    second = next(a for a in world.alerts.rows.values() if a.alert_id != first.alert_id)
    assert world.alerts.get(first.alert_id).status is AlertStatus.RESOLVED
    assert world.clients.get(ben.client_id).open_alert_id == second.alert_id


def test_resolve_refuses_an_unknown_outcome_and_an_unknown_alert(world, ben):
    reply(world, "+15550100002", "i want to die")
    [alert] = world.alerts.rows.values()
    with pytest.raises(AlertError):
        world.actions.resolve(alert.alert_id, by="c1", outcome="meh", at=MONDAY)
    with pytest.raises(AlertError):
        world.actions.resolve("al_nope", by="c1", outcome="true_alarm", at=MONDAY)


def test_a_page_that_failed_is_sent_on_retry_and_only_once(world, ben):
    # Given the pager is down while a crisis reply is scored
    world.pager.down = True
    with pytest.raises(ConnectionError):
        reply(world, "+15550100002", "i want to die")
    assert world.alerts.rows and world.pager.pages == []  # half done: alert opened, page not sent

    # When the pager is back and scoring runs again (the redrive), twice
    world.pager.down = False
    world.scorer.rescore_unscored(MONDAY - timedelta(hours=1))
    world.scorer.rescore_unscored(MONDAY - timedelta(hours=1))

    # Then the page goes out exactly once
    assert world.pager.targets() == ["c1"]


def test_a_reply_of_an_erased_client_is_skipped(world, ben):
    reply(world, "+15550100002", "7")
    [stored] = world.messages.rows.values()
    world.roster.erase_client(ben.client_id)
    assert world.scorer.score(stored).alert_id is None


def test_the_composition_root_gives_the_scorer_the_semantic_second_opinion():
    # Given the composition root of a scoring function, with the shipped model
    from moodline.composition import Services
    from moodline.settings import Settings

    services = Services(Settings.from_env(env={
        "CLIENTS_TABLE": "c", "MESSAGES_TABLE": "m", "ALERTS_TABLE": "a", "COACHES_TABLE": "co", "ONCALL_TABLE": "o",
        "IDEMPOTENCY_TABLE": "i", "TWILIO_FROM_NUMBER": "+15005550006"}))
    # When it triages an arrangement the rules have no words for
    text = "i wrote everything down for my sister, she'll know what to do after"
    rules_alone, scored = services.assess(text, ()), services.scoring_assess(text, ())
    # Then the rules alone would not page, and the scorer's triage does, saying why
    assert not rules_alone.level.pages
    assert scored.level.pages
    assert any(reason.rule.startswith("semantic.") for reason in scored.reasons)
