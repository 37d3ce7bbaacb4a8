"""Inbound SMS and delivery statuses, on fakes: keywords, replies, strangers, coaches, status callbacks."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from moodline.domain import DeliveryReport, InboundSms, Message, message_key
from moodline.vocabulary import ClientStatus, DeliveryStatus, Direction, InboundOutcome, MessageKind, Refusal
from tests.fakes import World
from tests.usecases.conftest import MONDAY, coach, enrol, on_call

_SIDS = itertools.count(1)


def text(world: World, sender: str, body: str, *, sid: str | None = None, minutes: int = 0):
    sms = InboundSms(sid or f"SM{next(_SIDS):032x}", "AC1", sender, "+15005550006", body)
    return world.inbound.receive(sms, MONDAY + timedelta(minutes=minutes))


def test_a_reply_with_a_mood_is_stored_and_thanked(world):
    # Given an enrolled client
    coach(world, "c1")
    ana = enrol(world, "Ana", "+15550100001")

    # When she replies with a mood
    result = text(world, "+15550100001", "7 walked the dog")

    # Then the reply is stored with its text, and she is thanked by name
    assert result.outcome is InboundOutcome.ACK and result.reply == "Thanks, Ana. Got it."
    [stored] = world.messages.between(ana.client_id, MONDAY - timedelta(hours=1), MONDAY + timedelta(hours=1))
    assert (stored.direction, stored.kind, stored.body, stored.reply_sent) == (
        Direction.INBOUND, MessageKind.REPLY, "7 walked the dog", "ack")


def test_a_reply_without_a_number_gets_a_nudge(world):
    coach(world, "c1")
    enrol(world, "Ana", "+15550100001")
    assert "reply with a number" in text(world, "+15550100001", "meh").reply


def test_crisis_language_is_answered_with_resources_in_the_same_response(world):
    coach(world, "c1")
    enrol(world, "Ben", "+15550100002")
    result = text(world, "+15550100002", "i want to die")
    assert result.outcome is InboundOutcome.CRISIS and "988" in result.reply


def test_stop_stops_the_probes_and_start_resumes_them(world):
    # Given a client in the due index
    coach(world, "c1")
    dev = enrol(world, "Dev", "+15550100004")
    assert world.clients.get(dev.client_id).next_probe_at is not None

    # When they text STOP, then START
    stop = text(world, "+15550100004", "stop")
    stopped = world.clients.get(dev.client_id)
    start = text(world, "+15550100004", "START", minutes=1)

    # Then STOP answers nothing (the carrier confirms) and takes them out of the index; START puts them back
    assert (stop.outcome, stop.reply) == (InboundOutcome.STOP, None)
    assert stopped.status is ClientStatus.STOPPED and stopped.next_probe_at is None
    resumed = world.clients.get(dev.client_id)
    assert start.outcome is InboundOutcome.START and resumed.status is ClientStatus.ACTIVE
    assert resumed.next_probe_at is not None


def test_a_keyword_only_counts_when_it_is_the_whole_message(world):
    # Given a client, When they text a sentence that starts with STOP
    coach(world, "c1")
    dev = enrol(world, "Dev", "+15550100004")
    result = text(world, "+15550100004", "stop, I can't take this anymore")

    # Then it is a reply, stored for triage, and they stay enrolled
    assert result.outcome is not InboundOutcome.STOP
    [stored] = world.messages.rows.values()
    assert stored.kind is MessageKind.REPLY and world.clients.get(dev.client_id).status is ClientStatus.ACTIVE


def test_help_is_answered_in_the_clients_language(world):
    coach(world, "c1")
    enrol(world, "Eva", "+15550100005", locale="es-US")
    assert text(world, "+15550100005", "AYUDA").reply.startswith("Moodline: mensajes diarios")


def test_a_redelivered_sms_returns_the_first_answer_and_is_stored_once(world):
    coach(world, "c1")
    ana = enrol(world, "Ana", "+15550100001")
    first = text(world, "+15550100001", "7", sid="SM" + "a" * 32)
    again = text(world, "+15550100001", "7", sid="SM" + "a" * 32, minutes=1)
    assert first == again
    assert len(world.messages.between(ana.client_id, MONDAY - timedelta(hours=1), MONDAY + timedelta(hours=1))) == 1


# --------------------------------------------------------------------------------------- provider retries
# A retry of a stored MessageSid (Twilio never got the first answer) collides on the SID's claim,
# written with the message: it gets the first answer's kind again, and none of its effects.

RETRIED = "SM" + "d" * 32


def _inbound(world: World, client_id: str) -> list[Message]:
    return [m for m in world.messages.between(client_id, MONDAY - timedelta(hours=1), MONDAY + timedelta(hours=1))
            if m.direction is Direction.INBOUND]


def test_a_retried_crisis_reply_gets_the_resources_again_and_pages_once(world):
    # Given a crisis reply stored, answered with resources, and scored (the coach paged)
    coach(world, "c1")
    on_call(world, "c1")
    ben = enrol(world, "Ben", "+15550100002")
    first = text(world, "+15550100002", "i want to die", sid=RETRIED)
    world.settle()

    # When Twilio retries it a minute later
    again = text(world, "+15550100002", "i want to die", sid=RETRIED, minutes=1)
    world.settle()

    # Then the resources go back again, the reply is stored once, and nobody is paged twice
    assert again == first and again.outcome is InboundOutcome.CRISIS and "988" in (again.reply or "")
    assert len(_inbound(world, ben.client_id)) == 1 and len(world.pager.pages) == 1


def test_a_retried_stop_answers_nothing_and_does_not_undo_a_start_sent_since(world):
    # Given Ana texted STOP, then START
    coach(world, "c1")
    ana = enrol(world, "Ana", "+15550100001")
    text(world, "+15550100001", "STOP", sid=RETRIED)
    text(world, "+15550100001", "START", minutes=1)

    # When the STOP's delivery is retried
    again = text(world, "+15550100001", "STOP", sid=RETRIED, minutes=2)

    # Then it answers nothing (the carrier confirmed the opt-out once) and changes nothing
    assert (again.outcome, again.reply) == (InboundOutcome.STOP, None)
    assert world.clients.get(ana.client_id).status is ClientStatus.ACTIVE
    assert [m.body for m in _inbound(world, ana.client_id)] == ["STOP", "START"]


def test_a_retried_help_during_an_alert_tells_the_coach_once(world):
    # Given Ana in an open crisis alert, who texts HELP
    coach(world, "c1")
    on_call(world, "c1")
    ana = enrol(world, "Ana", "+15550100001")
    text(world, "+15550100001", "i want to kill myself tonight")
    world.settle()
    paged = len(world.pager.pages)
    first = text(world, "+15550100001", "HELP", sid=RETRIED, minutes=1)

    # When the HELP is retried
    again = text(world, "+15550100001", "HELP", sid=RETRIED, minutes=2)

    # Then the help text goes back again, and the coach heard of the HELP once
    assert again == first and again.outcome is InboundOutcome.HELP
    assert [p.subject for p in world.pager.pages[paged:]] == ["Moodline: Ana texted HELP during an alert"]
    assert [m.body for m in _inbound(world, ana.client_id)][-1:] == ["HELP"]
    assert len(_inbound(world, ana.client_id)) == 2


def test_a_retried_yes_is_answered_as_consent_again_and_recorded_once(world):
    coach(world, "c1")
    ana = enrol(world, "Ana", "+15550100001", consent=False)
    first = text(world, "+15550100001", "YES", sid=RETRIED)
    again = text(world, "+15550100001", "YES", sid=RETRIED, minutes=1)
    assert again == first and again.outcome is InboundOutcome.CONSENT
    assert world.clients.get(ana.client_id).consent_sid == RETRIED
    assert len(_inbound(world, ana.client_id)) == 1


def test_a_retried_stranger_in_crisis_gets_the_resources_again_and_pages_the_team_once(world):
    first = text(world, "+15550188888", "i am going to kill myself tonight", sid=RETRIED)
    again = text(world, "+15550188888", "i am going to kill myself tonight", sid=RETRIED, minutes=1)
    assert again == first and again.outcome is InboundOutcome.UNKNOWN_SENDER_CRISIS
    assert len(world.pager.pages) == 1


def test_a_stranger_page_that_failed_is_sent_by_the_retry(world):
    # Given SNS failing when a stranger texts crisis language (the webhook buffers it and answers)
    world.pager.down = True
    with pytest.raises(ConnectionError):
        text(world, "+15550188888", "i am going to kill myself tonight", sid=RETRIED)

    # When the same SID comes back (the buffer's drain, or Twilio's retry) with SNS up again
    world.pager.down = False
    text(world, "+15550188888", "i am going to kill myself tonight", sid=RETRIED, minutes=1)

    # Then the team is paged: the failed page freed the SID's claim
    assert len(world.pager.pages) == 1


def test_a_stranger_gets_a_polite_answer_and_nothing_is_stored(world):
    result = text(world, "+15550188888", "who is this?")
    assert result.outcome is InboundOutcome.UNKNOWN_SENDER and world.messages.rows == {}
    assert world.pager.pages == []
    # And the lines, but no promise that a coach was alerted: a stranger has none, and nobody was paged
    assert "988" in result.reply and "coach" not in result.reply.lower()


def test_a_stranger_in_crisis_pages_the_team_with_no_number_or_text(world):
    result = text(world, "+15550188888", "i am going to kill myself tonight")
    assert result.outcome is InboundOutcome.UNKNOWN_SENDER_CRISIS and "988" in result.reply
    assert "coach" not in result.reply.lower()
    [page] = world.pager.pages
    assert page.coach_id == "team" and "+1555" not in page.body and "kill" not in page.body


def test_a_short_code_sender_is_never_a_client(world):
    assert text(world, "72345", "7").outcome is InboundOutcome.UNKNOWN_SENDER


def test_a_coach_acknowledges_by_texting_the_code_from_the_page(world):
    # Given a crisis alert paged to Casey, who has a phone on file
    coach(world, "c1", phone="+15550200001")
    on_call(world, "c1")
    enrol(world, "Ben", "+15550100002")
    text(world, "+15550100002", "i want to die")
    world.settle()
    [alert] = world.alerts.rows.values()

    # When Casey texts ACK with the code (and a wrong code first)
    wrong = text(world, "+15550200001", "ACK 00000000" if alert.ack_code != "00000000" else "ACK 11111111", minutes=1)
    right = text(world, "+15550200001", f"ack {alert.ack_code}", minutes=2)

    # Then only the right code acknowledges, and escalation stops
    assert wrong.outcome is InboundOutcome.COACH and "no open alert paged to you" in wrong.reply
    assert right.outcome is InboundOutcome.COACH_ACK
    acked = world.alerts.get(alert.alert_id)
    assert acked.status == "acknowledged" and acked.acknowledged_by == "c1" and not acked.pending


def test_a_coach_texting_anything_else_is_told_how_to_acknowledge(world):
    coach(world, "c1", phone="+15550200001")
    assert "text ACK" in text(world, "+15550200001", "hello?").reply


# --- delivery statuses ------------------------------------------------------------------------


def _outbound(world: World, client_id: str, sid: str = "SM1") -> Message:
    return world.messages.record(Message(client_id, message_key(MONDAY, sid), sid, Direction.OUTBOUND,
                                         MessageKind.PROBE, "2026-11-30", status=DeliveryStatus.QUEUED,
                                         status_rank=1), retention_days=400)


def test_a_status_never_moves_backwards(world):
    coach(world, "c1")
    ana = enrol(world, "Ana", "+15550100001")
    _outbound(world, ana.client_id)
    assert world.delivery.record(DeliveryReport("SM1", DeliveryStatus.DELIVERED, 4), now=MONDAY) == "updated"
    assert world.delivery.record(DeliveryReport("SM1", DeliveryStatus.SENT, 3), now=MONDAY) == "stale"
    assert world.messages.by_sid("SM1").status is DeliveryStatus.DELIVERED


def test_a_callback_for_a_message_we_do_not_have_is_ignored(world):
    assert world.delivery.record(DeliveryReport("SMx", DeliveryStatus.SENT, 3), now=MONDAY) == "unknown_message"


@pytest.mark.parametrize(("refusal", "status"), [(Refusal.OPTED_OUT, ClientStatus.STOPPED),
                                                 (Refusal.UNREACHABLE, ClientStatus.UNREACHABLE)])
def test_an_undelivered_message_about_the_number_changes_the_client(world, refusal, status):
    coach(world, "c1")
    ana = enrol(world, "Ana", "+15550100001")
    _outbound(world, ana.client_id)
    report = DeliveryReport("SM1", DeliveryStatus.UNDELIVERED, 4, 30006, refusal)
    assert world.delivery.record(report, now=MONDAY) == f"client_{status.value}"
    assert world.clients.get(ana.client_id).status is status


def test_an_undelivered_message_for_another_reason_leaves_the_client_alone(world):
    coach(world, "c1")
    ana = enrol(world, "Ana", "+15550100001")
    _outbound(world, ana.client_id)
    assert world.delivery.record(DeliveryReport("SM1", DeliveryStatus.FAILED, 4, 30008), now=MONDAY) == "updated"
    assert world.clients.get(ana.client_id).status is ClientStatus.ACTIVE
