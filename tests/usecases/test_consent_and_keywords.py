"""Consent by SMS (double opt-in), keywords that may be distress, and crisis lines by country (issues 8 §7-8, 9 §2)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from moodline.admin import Enrolment, RosterError
from moodline.domain import InboundSms, SmsSendError
from moodline.inbound import KEYWORD_WATCH
from moodline.probes import ProbeRequest
from moodline.schedule import from_iso
from moodline.vocabulary import AlertStatus, ClientStatus, InboundOutcome, MessageKind, Refusal
from tests.fakes import World
from tests.usecases.conftest import MONDAY, coach, enrol, on_call

SID = iter(f"SM{n:032d}" for n in range(10_000))


def text(world: World, phone: str, body: str, at=MONDAY):
    return world.inbound.receive(InboundSms(next(SID), "AC1", phone, "+1", body), at)


def run_scheduler(world: World, at):
    """One scheduler tick and the sends it queues, at ``at``."""
    world.now = at
    world.scheduler.queue_due_probes(at)
    return [world.sender.send(ProbeRequest(**body)) for body in world.queue.drain()]


# --------------------------------------------------------------------------------------- consent


def test_no_check_in_before_yes_and_yes_records_the_consent(world):
    # Given a client enrolled without consent on file
    coach(world, "c1")
    ana = enrol(world, "Ana", "+15550100001", consent=False)
    assert world.clients.get(ana.client_id).status is ClientStatus.PENDING_CONSENT

    # When the scheduler runs: the welcome goes out, and nothing else, however often it runs
    assert [r["outcome"] for r in run_scheduler(world, MONDAY + timedelta(hours=1))] == ["welcomed"]
    for hours in (2, 20, 26):
        assert all(r["outcome"] != "sent" for r in run_scheduler(world, MONDAY + timedelta(hours=hours)))
    [(to, welcome)] = world.sms.sent
    assert to == "+15550100001" and welcome.startswith("Moodline: ") and "Reply YES to start" in welcome
    assert not [m for m in world.messages.rows.values() if m.kind is MessageKind.PROBE]

    # When she replies YES
    result = text(world, "+15550100001", "Yes", at=MONDAY + timedelta(hours=3))

    # Then consent is recorded (time, MessageSid, text), she is active, and the next tick probes her
    assert result.outcome is InboundOutcome.CONSENT and "you're in" in result.reply
    stored = world.clients.get(ana.client_id)
    assert stored.status is ClientStatus.ACTIVE and stored.consented_at and stored.consent_text == "Yes"
    assert stored.consent_sid.startswith("SM") and stored.next_probe_at is not None
    world.sms.sent.clear()
    outcomes = [r["outcome"] for r in run_scheduler(world, from_iso(stored.next_probe_at))]
    assert outcomes == ["sent"] and "how's your mood" in world.sms.sent[0][1]


def test_stop_before_yes_stops_everything_and_no_welcome_follows(world):
    coach(world, "c1")
    ana = enrol(world, "Ana", "+15550100001", consent=False)
    run_scheduler(world, MONDAY + timedelta(hours=1))

    result = text(world, "+15550100001", "STOP", at=MONDAY + timedelta(hours=2))

    assert result.outcome is InboundOutcome.STOP and result.reply is None
    stored = world.clients.get(ana.client_id)
    assert stored.status is ClientStatus.STOPPED and stored.consented_at is None and stored.next_probe_at is None
    assert run_scheduler(world, MONDAY + timedelta(days=3)) == []
    assert len(world.sms.sent) == 1  # the welcome only


def test_no_reply_gets_one_more_welcome_after_48_hours_then_no_consent(world):
    coach(world, "c1")
    ana = enrol(world, "Ana", "+15550100001", consent=False)
    first = MONDAY + timedelta(hours=1)
    assert [r["outcome"] for r in run_scheduler(world, first)] == ["welcomed"]

    # The retry is scheduled exactly 48 h on, and goes then
    assert world.clients.get(ana.client_id).next_probe_at.startswith("2026-12-02T14:00")
    assert [r["outcome"] for r in run_scheduler(world, first + timedelta(hours=48))] == ["welcomed"]
    # Another 48 h without YES: no_consent, out of the due index, visible in the roster
    assert [r["outcome"] for r in run_scheduler(world, first + timedelta(hours=96))] == ["no_consent"]
    stored = world.clients.get(ana.client_id)
    assert stored.status is ClientStatus.NO_CONSENT and stored.next_probe_at is None and stored.welcomes_sent == 2
    assert len(world.sms.sent) == 2
    assert [c.status for c in world.roster.clients("c1")] == [ClientStatus.NO_CONSENT]


def test_a_duplicate_delivery_of_the_welcome_request_sends_one_welcome(world):
    # Given a client awaiting consent, and the scheduler's request for them delivered twice (SQS)
    coach(world, "c1")
    enrol(world, "Ana", "+15550100001", consent=False)
    world.now = MONDAY + timedelta(hours=1)
    world.scheduler.queue_due_probes(world.now)
    [body] = world.queue.drain()
    # When both deliveries are handled
    outcomes = [world.sender.send(ProbeRequest(**body))["outcome"] for _ in range(2)]
    # Then the day's claim lets one welcome out and refuses the copy
    assert outcomes == ["welcomed", "skipped"] and len(world.sms.sent) == 1


def test_an_outage_while_welcoming_gives_the_day_back_so_the_retry_welcomes(world):
    # Given a client awaiting consent and Twilio refusing once with a retryable error
    coach(world, "c1")
    enrol(world, "Ana", "+15550100001", consent=False)
    world.now = MONDAY + timedelta(hours=1)
    world.scheduler.queue_due_probes(world.now)
    [body] = world.queue.drain()
    world.sms.refuse(Refusal.RETRYABLE)
    # When the request fails, then SQS redelivers it
    with pytest.raises(SmsSendError):
        world.sender.send(ProbeRequest(**body))
    # Then the redelivery welcomes (the failed attempt released its claim on the day)
    assert world.sender.send(ProbeRequest(**body))["outcome"] == "welcomed" and len(world.sms.sent) == 1


def test_yes_from_an_active_client_is_a_reply_not_a_restart(world):
    coach(world, "c1")
    enrol(world, "Ana", "+15550100001")

    result = text(world, "+15550100001", "yes")

    assert result.outcome is InboundOutcome.ACK
    [stored] = world.messages.rows.values()
    assert stored.kind is MessageKind.REPLY and stored.body == "yes"


def test_consent_on_file_records_who_took_it_and_starts_check_ins(world):
    coach(world, "c1")
    client = world.roster.enroll_client(
        Enrolment("c1", "Ana", "+15550100001", "America/New_York", "09:00", consent=False,
                  consent_on_file="signed form, taken by Casey at intake 2026-11-28"),
        now=MONDAY, phone_key=b"k" * 32)
    assert client.status is ClientStatus.ACTIVE and client.consent_note.startswith("signed form")
    assert client.next_probe_at is not None


# --------------------------------------------------------------------------------------- keywords during risk


def _crisis_episode(world):
    coach(world, "c1")
    coach(world, "c2")
    on_call(world, "c2")
    ana = enrol(world, "Ana", "+15550100001")
    text(world, "+15550100001", "i want to kill myself tonight")
    world.settle()
    alert_id = world.clients.get(ana.client_id).open_alert_id
    assert alert_id is not None
    return ana, alert_id


def _pages(world):
    return list(world.pager.pages)


def test_stop_during_an_open_alert_goes_on_its_timeline_and_to_the_coach(world):
    ana, alert_id = _crisis_episode(world)
    before = len(_pages(world))

    result = text(world, "+15550100001", "STOP", at=MONDAY + timedelta(minutes=3))

    assert result.outcome is InboundOutcome.STOP  # the carrier's answer is unchanged
    alert = world.alerts.get(alert_id)
    assert alert.timeline[-1].detail == "client texted STOP" and len(alert.replies) == 2
    new_pages = _pages(world)[before:]
    assert len(new_pages) == 1 and "STOP" in new_pages[0].subject and new_pages[0].coach_id == "c1"
    assert world.clients.get(ana.client_id).status is ClientStatus.STOPPED


def test_help_within_72_hours_of_a_resolved_crisis_still_reaches_the_coach(world):
    _, alert_id = _crisis_episode(world)
    world.actions.resolve(alert_id, by="c1", outcome="follow_up", at=MONDAY + timedelta(hours=1))
    before = len(_pages(world))

    result = text(world, "+15550100001", "HELP", at=MONDAY + timedelta(hours=30))

    assert result.outcome is InboundOutcome.HELP and "988" in result.reply
    assert world.alerts.get(alert_id).status is AlertStatus.RESOLVED  # final: told, not reopened
    assert len(_pages(world)) == before + 1


def test_a_keyword_long_after_any_risk_bothers_nobody(world):
    _, alert_id = _crisis_episode(world)
    world.actions.resolve(alert_id, by="c1", outcome="false_alarm", at=MONDAY + timedelta(hours=1))
    before = len(_pages(world))
    text(world, "+15550100001", "HELP", at=MONDAY + KEYWORD_WATCH + timedelta(hours=1))
    assert len(_pages(world)) == before


def test_help_me_is_not_a_keyword(world):
    coach(world, "c1")
    enrol(world, "Ana", "+15550100001")
    for body in ("help me", "ayúdame"):
        result = text(world, "+15550100001", body)
        assert result.outcome not in {InboundOutcome.HELP, InboundOutcome.STOP}
    assert {m.kind for m in world.messages.rows.values()} == {MessageKind.REPLY}


# --------------------------------------------------------------------------------------- crisis lines by country


def test_a_london_client_in_crisis_is_told_samaritans_and_999_not_988(world):
    coach(world, "c1")
    enrol(world, "Amelia", "+447700900123", timezone="Europe/London")

    crisis = text(world, "+447700900123", "I want to kill myself")
    helped = text(world, "+447700900123", "HELP")

    for answer in (crisis.reply, helped.reply):
        assert "116 123" in answer and "999" in answer and "988" not in answer and "911" not in answer


def test_a_stranger_gets_the_lines_of_their_numbers_country(world):
    answer = text(world, "+61491570006", "hello?").reply
    assert "isn't enrolled" in answer and "13 11 14" in answer and "988" not in answer
    crisis = text(world, "+34600000000", "quiero morir, no aguanto mas").reply
    assert "024" in crisis


def test_enrolment_refuses_a_country_with_no_crisis_lines(world):
    coach(world, "c1")
    with pytest.raises(RosterError, match="no crisis lines configured"):
        enrol(world, "Hans", "+4915123456789", timezone="Europe/Berlin")


def test_every_reply_of_a_client_in_a_language_triage_cannot_read_is_marked_for_a_human(world):
    coach(world, "c1")
    world.roster.enroll_client(Enrolment("c1", "Lena", "+15550100007", "America/New_York", "09:00", "de-DE",
                                         review_all=True), now=MONDAY, phone_key=b"k" * 32)
    with pytest.raises(RosterError, match="triage cannot read"):
        world.roster.enroll_client(Enrolment("c1", "Max", "+15550100008", "America/New_York", "09:00", "de-DE"),
                                   now=MONDAY, phone_key=b"k" * 32)

    text(world, "+15550100007", "7 heute geht es gut")
    world.settle()

    [reply] = world.messages.rows.values()
    assert "review.client_language" in reply.reasons


def test_yes_on_the_day_of_the_welcome_is_followed_by_a_probe_that_really_goes(world):
    # Given a client whose check-in time (13:00 New York) comes after the welcome (09:00) on the same day
    coach(world, "c1")
    ana = world.roster.enroll_client(Enrolment("c1", "Ana", "+15550100001", "America/New_York", "13:00",
                                               consent=False), now=MONDAY + timedelta(hours=1), phone_key=b"k" * 32)
    assert [r["outcome"] for r in run_scheduler(world, MONDAY + timedelta(hours=1))] == ["welcomed"]

    # When she replies YES at 10:00, before the check-in
    text(world, "+15550100001", "YES", at=MONDAY + timedelta(hours=2))

    # Then the first check-in is not swallowed by the welcome's once-per-day key: it goes, tomorrow
    first = from_iso(world.clients.get(ana.client_id).next_probe_at)
    assert first.date() > MONDAY.date()
    assert [r["outcome"] for r in run_scheduler(world, first)] == ["sent"]
