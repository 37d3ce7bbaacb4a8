"""The workspace's two adapters over the ports, on the in-memory fakes: what a coach does lands where the
rest of Moodline reads it (alerts through the alert machine, texts through SmsSender, triage's review flag)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from moodline.domain import Message, message_key
from moodline.scoring import ReplyScorer
from moodline.triage.model import Assessment, Level
from moodline.vocabulary import AlertStatus, ClientStatus, Direction, MessageKind, Refusal
from moodline.workspace.adapters import PortsActions, PortsData, client_view, message_view
from tests.fakes import World, crisis_text
from tests.usecases.conftest import MONDAY, coach, enrol, on_call


def data_of(world: World) -> PortsData:
    return PortsData(clients=world.clients, messages=world.messages, alerts=world.alerts, coaches=world.coaches,
                     reviews=world.reviews, audit=world.audit)


def actions_of(world: World) -> PortsActions:
    return PortsActions(clients=world.clients, messages=world.messages, sends=world.coach_sends,
                        actions=lambda: world.actions, desk=lambda: world.desk, sms=lambda: world.sms,
                        retention_days=400, shards=world.shards)


@pytest.fixture
def ben(world: World):
    coach(world, "c1")
    coach(world, "c2")
    on_call(world, "c2")
    return enrol(world, "Ben", "+15550100002", "c1")


def reply(world: World, client_id: str, body: str, minutes: int = 0) -> Message:
    at = MONDAY + timedelta(minutes=minutes)
    return world.messages.record(Message(client_id=client_id, at=message_key(at, f"SMr{minutes}"), sid=f"SMr{minutes}",
                                         direction=Direction.INBOUND, kind=MessageKind.REPLY,
                                         local_date=at.date().isoformat(), body=body), retention_days=400)


def test_scoring_stores_triage_review_flag_and_the_workspace_reads_it(world, ben):
    # Given triage that is unsure of a bare rating (the semantic model's review band, say)
    unsure = ReplyScorer(assess=lambda text, history: Assessment(Level.LOW, 3.0, (), review=True),
                         clients=world.clients, messages=world.messages, desk=world.desk, sms=world.sms,
                         once=world.once, crisis_text=crisis_text, retention_days=400)
    stored = reply(world, ben.client_id, "3")
    # When the reply is scored
    unsure.score(stored)
    # Then the flag is on the stored message, and the workspace sees it
    assert world.messages.get(ben.client_id, stored.at).review is True  # type: ignore[union-attr]
    (view,) = data_of(world).messages(ben.client_id, MONDAY - timedelta(hours=1), MONDAY + timedelta(hours=1))
    assert view.review and view.body == "3"


def test_a_reply_triage_is_sure_of_is_not_flagged(world, ben):
    stored = reply(world, ben.client_id, "7 good day")
    world.settle()
    assert world.messages.get(ben.client_id, stored.at).review is False  # type: ignore[union-attr]


def test_a_coach_text_is_a_coach_message_with_the_coachs_id_sent_once_per_submission(world, ben):
    actions = actions_of(world)
    client = client_view(ben)
    # When Casey taps Send twice on the same form
    first = actions.text_client(client, "Hi Ben, can I call you?", by="c1", submission_id="form-1", at=MONDAY)
    second = actions.text_client(client, "Hi Ben, can I call you?", by="c1", submission_id="form-1", at=MONDAY)
    # Then one SMS left through the SmsSender, stored as kind coach with Casey's id
    assert world.sms.to("+15550100002") == ["Hi Ben, can I call you?"]
    assert first.ok and second.ok and second.duplicate
    (stored,) = [m for m in world.messages.rows.values() if m.kind is MessageKind.COACH]
    assert stored.coach_id == "c1" and stored.direction is Direction.OUTBOUND and stored.body
    assert first.message == message_view(stored)


def test_a_carrier_opt_out_refuses_the_text_and_stops_the_client(world, ben):
    world.sms.refuse(Refusal.OPTED_OUT, code=21610)
    sent = actions_of(world).text_client(client_view(ben), "hi", by="c1", submission_id="form-2", at=MONDAY)
    assert not sent.ok and sent.error == "opted_out"
    assert world.clients.get(ben.client_id).status is ClientStatus.STOPPED  # type: ignore[union-attr]


def test_a_provider_outage_releases_the_submission_so_the_coach_can_retry(world, ben):
    world.sms.refuse(Refusal.RETRYABLE)
    actions = actions_of(world)
    assert not actions.text_client(client_view(ben), "hi", by="c1", submission_id="form-3", at=MONDAY).ok
    assert actions.text_client(client_view(ben), "hi", by="c1", submission_id="form-3", at=MONDAY).ok
    assert world.sms.to("+15550100002") == ["hi"]


def test_should_have_paged_opens_an_alert_through_the_desk_and_pages_on_call(world, ben):
    stored = reply(world, ben.client_id, "tired of all of it")
    view = message_view(replace(stored, level=Level.LOW))
    alert = actions_of(world).should_have_paged(client_view(ben), view, by="c1", at=MONDAY)
    assert alert.status == "open" and "coach.should_have_paged" in alert.reasons and alert.replies == (stored.at,)
    assert world.pager.targets() == ["c2"] and alert.paged_to == ("c2",)


def test_the_reply_a_coach_says_should_have_paged_names_its_alert_and_keeps_triages_verdict(world, ben):
    # Given a reply triage scored low, with no alert
    stored = reply(world, ben.client_id, "tired of all of it")
    world.messages.save_assessment(stored, mood=None, level=Level.LOW, reasons=["mood.words"], alert_id=None)
    scored = world.messages.get(stored.client_id, stored.at)
    # When a coach says it should have paged
    alert = actions_of(world).should_have_paged(client_view(ben), message_view(scored), by="c1", at=MONDAY)
    # Then the reply names the new alert (the weekly e-mail finds a week's alerts through its replies)...
    after = world.messages.get(stored.client_id, stored.at)
    assert after.alert_id == alert.alert_id
    # ...and triage's own verdict is kept as it was, for the replay to count the miss against
    assert (after.level, after.reasons, after.review) == (Level.LOW, ("mood.words",), scored.review)


def test_acknowledge_and_resolve_go_through_the_alert_machine(world, ben):
    stored = reply(world, ben.client_id, "tired of all of it")
    actions = actions_of(world)
    alert = actions.should_have_paged(client_view(ben), message_view(stored), by="c1", at=MONDAY)
    acked = actions.acknowledge(alert.alert_id, by="c1", at=MONDAY + timedelta(minutes=1))
    assert acked.status == "acknowledged" and acked.timeline[-1].detail == "by c1 via workspace"
    actions.resolve(alert.alert_id, by="c1", outcome="true_alarm", note="spoke", at=MONDAY + timedelta(minutes=9))
    assert world.alerts.get(alert.alert_id).status is AlertStatus.RESOLVED  # type: ignore[union-attr]
    assert world.clients.get(ben.client_id).open_alert_id is None  # type: ignore[union-attr]
