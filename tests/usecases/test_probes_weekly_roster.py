"""Probes, the weekly e-mail and the roster, on fakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from moodline.admin import Enrolment, RosterError
from moodline.domain import InboundSms
from moodline.probes import ProbeRequest
from moodline.vocabulary import ClientStatus, MessageKind, Refusal, Via
from tests.fakes import PHONE_KEY, World
from tests.usecases.conftest import MONDAY, coach, enrol, run_weekly

MIDNIGHT = datetime(2026, 11, 30, tzinfo=UTC)


def tick(world: World, hhmm: str) -> list[dict]:
    """The scheduler fires at ``hhmm`` UTC on Monday; returns the requests it queued."""
    world.scheduler.queue_due_probes(MIDNIGHT.replace(hour=int(hhmm[:2]), minute=int(hhmm[3:])))
    return world.queue.drain()


def send(world: World, requests: list[dict], at: datetime) -> list[dict]:
    world.now = at
    return [world.sender.send(ProbeRequest(**r)) for r in requests]


def test_each_client_is_queued_in_their_own_local_slot(world):
    # Given a New York client at 09:00 and a London client at 10:00, local time
    coach(world, "c1")
    ana = enrol(world, "Ana", "+15550100001", timezone="America/New_York", checkin="09:00")
    dev = enrol(world, "Dev", "+445550100004", timezone="Europe/London", checkin="10:00")

    # When the scheduler fires through the day
    queued = {hhmm: [r["client_id"] for r in tick(world, hhmm)] for hhmm in ("09:45", "10:00", "13:45", "14:00")}

    # Then London is due at 10:00 UTC and New York at 14:00 UTC (UTC-5 in winter), once each
    assert queued == {"09:45": [], "10:00": [dev.client_id], "13:45": [], "14:00": [ana.client_id]}


def test_a_probe_is_sent_once_per_local_day_and_recorded(world):
    coach(world, "c1")
    ana = enrol(world, "Ana", "+15550100001")
    requests = tick(world, "14:00")
    send(world, requests * 2, MIDNIGHT.replace(hour=14, minute=1))
    assert len(world.sms.to("+15550100001")) == 1
    [probe] = [m for m in world.messages.rows.values() if m.kind is MessageKind.PROBE]
    assert probe.local_date == "2026-11-30" and world.clients.get(ana.client_id).last_probe_date == "2026-11-30"


def test_the_scheduler_advances_each_client_to_the_next_day(world):
    coach(world, "c1")
    ana = enrol(world, "Ana", "+15550100001")
    tick(world, "14:00")
    assert world.clients.get(ana.client_id).next_probe_at.startswith("2026-12-01T14:00")
    assert tick(world, "14:00") == []


def test_a_probe_hours_late_is_skipped_and_todays_still_goes_out(world):
    # Given a client whose Monday probe was missed (the scheduler was down until Tuesday 14:00 UTC)
    coach(world, "c1")
    enrol(world, "Ana", "+15550100001")
    world.scheduler.queue_due_probes(MIDNIGHT + timedelta(days=1, hours=14))
    [request] = world.queue.drain()
    assert request["local_date"] == "2026-12-01"


def test_a_client_without_consent_gets_the_welcome_and_never_a_probe(world):
    coach(world, "c1")
    enrol(world, "Ana", "+15550100001", consent=False)
    assert send(world, tick(world, "14:00"), MIDNIGHT.replace(hour=14, minute=1))[0]["outcome"] == "welcomed"
    [(_, body)] = world.sms.sent
    assert "Reply YES to start" in body
    assert not [m for m in world.messages.rows.values() if m.kind is MessageKind.PROBE]


def test_a_stopped_client_is_not_sent_a_probe_already_queued(world):
    coach(world, "c1")
    enrol(world, "Dev", "+15550100004")
    requests = tick(world, "14:00")
    world.inbound.receive(InboundSms("SM" + "1" * 32, "AC1", "+15550100004", "+1", "STOP"), MIDNIGHT.replace(hour=14))
    assert send(world, requests, MIDNIGHT.replace(hour=14, minute=1)) == [{"outcome": "skipped"}]
    assert world.sms.sent == []


def test_a_probe_outside_sending_hours_is_skipped(world):
    coach(world, "c1")
    enrol(world, "Ana", "+15550100001")
    requests = tick(world, "14:00")
    assert send(world, requests, MIDNIGHT + timedelta(days=1, hours=4, minutes=40)) == [{"outcome": "quiet_hours"}]


@pytest.mark.parametrize(("refusal", "status"), [(Refusal.OPTED_OUT, ClientStatus.STOPPED),
                                                 (Refusal.UNREACHABLE, ClientStatus.UNREACHABLE)])
def test_a_refusal_about_the_number_changes_the_client_and_is_not_retried(world, refusal, status):
    coach(world, "c1")
    ana = enrol(world, "Ana", "+15550100001")
    world.sms.refuse(refusal, code=21610)
    [result] = send(world, tick(world, "14:00"), MIDNIGHT.replace(hour=14, minute=1))
    assert result["outcome"] == "refused"
    assert world.clients.get(ana.client_id).status is status


@pytest.mark.parametrize("refusal", [Refusal.RETRYABLE, Refusal.CONFIGURATION])
def test_an_outage_or_our_configuration_raises_for_a_retry_and_changes_no_client(world, refusal):
    # Given Twilio refuses once (throttled, or a bad token)
    coach(world, "c1")
    ana = enrol(world, "Ana", "+15550100001")
    requests = tick(world, "14:00")
    world.sms.refuse(refusal)

    # When the probe is sent, and then retried
    with pytest.raises(Exception, match="refused"):
        send(world, requests, MIDNIGHT.replace(hour=14, minute=1))
    send(world, requests, MIDNIGHT.replace(hour=14, minute=2))

    # Then the client is untouched, and the retry sends it (the failed attempt left no idempotency record)
    assert world.clients.get(ana.client_id).status is ClientStatus.ACTIVE
    assert len(world.sms.to("+15550100001")) == 1


def test_every_coach_gets_one_weekly_email_about_their_own_clients(world):
    # Given two coaches, one with a client who replied last week
    coach(world, "c1")
    coach(world, "c2")
    enrol(world, "Ana", "+15550100001")
    world.inbound.receive(InboundSms("SM" + "2" * 32, "AC1", "+15550100001", "+1", "7 good"), MONDAY)
    world.settle()

    # When the weekly job runs the next Monday, twice (a retry)
    next_monday = MONDAY + timedelta(days=7)
    first, sent = run_weekly(world, next_monday)
    run_weekly(world, next_monday)

    # Then Ana's coach got exactly one e-mail about her, and the coach with nothing to report none
    assert first.coaches == first.queued == 2
    assert [(s.coach_id, s.sent, s.clients) for s in sent] == [("c1", True, 1), ("c2", False, 0)]
    assert [m["to"] for m in world.mailer.sent] == ["c1@practice.example"]
    assert "Ana" in world.mailer.sent[0]["text"]


def test_the_on_call_coach_reads_the_pages_they_handled_and_the_alert_day(world):
    # Given Ana (Casey's client) texted crisis language, and Jordan, on call, acknowledged the page
    coach(world, "c1")
    coach(world, "c2")
    ana = enrol(world, "Ana", "+15550100001")
    world.inbound.receive(InboundSms("SM" + "4" * 32, "AC1", "+15550100001", "+1", "2. i want to die"), MONDAY)
    world.settle()
    [alert] = world.alerts.of_client(ana.client_id, MONDAY - timedelta(days=1), MONDAY + timedelta(days=1))
    world.actions.acknowledge(alert.alert_id, by="c2", via=Via.WORKSPACE, at=MONDAY + timedelta(minutes=3))

    # When the weekly job runs the next Monday
    run_weekly(world, MONDAY + timedelta(days=7))

    # Then Jordan, who has no clients of his own, is told about the page he handled (never "no alerts"),
    # and Casey's e-mail marks Ana's day as an alert day, not as a missed one
    jordan = next(m for m in world.mailer.sent if m["to"].startswith("c2"))
    casey = next(m for m in world.mailer.sent if m["to"].startswith("c1"))
    assert "Ana" in jordan["text"] and "no alerts" not in jordan["text"].lower()
    assert "Alert days:" in casey["text"]


def test_the_roster_refuses_bad_input(world):
    coach(world, "c1")
    with pytest.raises(RosterError):
        world.roster.add_coach("team", "Team", "t@practice.example")
    with pytest.raises(RosterError):
        world.roster.enroll_client(Enrolment("nobody", "Ana", "+15550100001", "America/New_York", "09:00"),
                                   phone_key=PHONE_KEY, now=MONDAY, shards=4)
    enrol(world, "Ana", "+15550100001")
    with pytest.raises(RosterError, match="already enrolled"):
        enrol(world, "Ann", "+15550100001")
    with pytest.raises(RosterError):
        world.roster.set_shift("weekend", starts_at=MONDAY, ends_at=MONDAY + timedelta(days=1), primary="c1")


def test_a_client_is_exported_then_erased_completely(world):
    coach(world, "c1")
    ana = enrol(world, "Ana", "+15550100001")
    world.inbound.receive(InboundSms("SM" + "3" * 32, "AC1", "+15550100001", "+1", "i want to die"), MONDAY)
    world.settle()
    exported = world.roster.export_client(ana.client_id)
    assert "phone_hash" not in exported["client"] and len(exported["messages"]) == 1 and len(exported["alerts"]) == 1
    assert world.roster.erase_client(ana.client_id) == {"messages": 1, "alerts": 1, "clients": 1}
    assert world.clients.get(ana.client_id) is None and world.messages.rows == {} and world.alerts.rows == {}
