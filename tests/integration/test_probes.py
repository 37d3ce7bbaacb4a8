"""Probes: the right clients in their own local slot, once per local day, and never after STOP."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3

from moodline.adapters.dynamodb import ClientRow, DynamoClients, MessageRow
from moodline.vocabulary import ClientStatus
from tests.conftest import load_event
from tests.integration.roster import add_coach_with_pager, enrol

MONDAY = datetime(2026, 11, 30, tzinfo=UTC)


def _probes_to(stack, phone: str) -> list:
    return [m for m in stack.twilio.messages_to(phone) if m.body.startswith("Hi ")]


def test_probe_goes_out_in_the_clients_own_local_slot_and_not_outside_it(stack, clock):
    # Given a New York client at 09:00 and a London client at 10:00 (both local time)
    add_coach_with_pager(stack, "c1")
    enrol(stack, name="Ana", phone="+15550100001", coach="c1", timezone="America/New_York",
          checkin="09:00", now=MONDAY)
    enrol(stack, name="Dev", phone="+445550100004", coach="c1", timezone="Europe/London",
          checkin="10:00", now=MONDAY)

    # When the scheduler fires at 09:45 UTC, then 10:00 UTC, then 13:45 UTC, then 14:00 UTC
    sent_by_tick = {}
    for hhmm in ("09:45", "10:00", "13:45", "14:00"):
        tick = MONDAY.replace(hour=int(hhmm[:2]), minute=int(hhmm[3:]))
        clock.now = tick  # send_probe reads the clock: a probe is never handed to Twilio past its last moment
        stack.fire_schedules(tick)
        stack.settle()
        sent_by_tick[hhmm] = (len(_probes_to(stack, "+15550100001")), len(_probes_to(stack, "+445550100004")))

    # Then London (UTC+0 in winter) gets its probe at 10:00 UTC and New York (UTC-5) at 14:00 UTC
    assert sent_by_tick == {"09:45": (0, 0), "10:00": (0, 1), "13:45": (0, 1), "14:00": (1, 1)}
    assert "how's your mood today, 1-10?" in _probes_to(stack, "+15550100001")[0].body


def test_a_client_gets_at_most_one_probe_per_local_day_even_if_the_scheduler_fires_twice(stack):
    # Given a client due at 09:00 New York time
    add_coach_with_pager(stack, "c1")
    client = enrol(stack, name="Ana", phone="+15550100001", coach="c1", now=MONDAY)
    tick = MONDAY.replace(hour=14)

    # When the same slot fires twice, and the probe request is also delivered twice
    stack.fire_schedules(tick)
    stack.fire_schedules(tick)
    queue_url = stack.resource("ProbesQueue").url
    request = {"client_id": client.client_id, "local_date": "2026-11-30", "due_at": "2026-11-30T14:00:00.000Z"}
    boto3.client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps(request))
    stack.settle()

    # Then exactly one SMS went out, and one outbound probe is recorded
    assert len(_probes_to(stack, "+15550100001")) == 1
    recorded = [m for m in MessageRow.query(client.client_id) if m.kind == "probe"]
    assert len(recorded) == 1 and recorded[0].local_date == "2026-11-30"

    # And the next day the client is probed again
    stack.fire_schedules(tick + timedelta(days=1))
    stack.settle()
    assert len(_probes_to(stack, "+15550100001")) == 2


def test_stop_stops_probes_and_start_resumes_them(stack, clock):
    # Given an enrolled client who got Monday's probe
    add_coach_with_pager(stack, "c1")
    enrol(stack, name="Ana", phone="+15550100001", coach="c1", now=MONDAY)
    stack.fire_schedules(MONDAY.replace(hour=14))
    stack.settle()

    # When they text STOP, then the next two days' slots fire
    clock.now = MONDAY.replace(hour=15)
    status, body = stack.twilio.post_inbound(stack.inbound_url, to="+15005550006", from_="+15550100001", body="Stop")
    for day in (1, 2):
        stack.fire_schedules(MONDAY.replace(hour=14) + timedelta(days=day))
        stack.settle()

    # Then no probe went out after STOP (Twilio itself confirms the opt-out, so we answer nothing)
    assert status == 200 and "<Message>" not in body
    assert len(_probes_to(stack, "+15550100001")) == 1

    # When they text START
    clock.now = MONDAY.replace(hour=15) + timedelta(days=2)
    status, body = stack.twilio.post_inbound(stack.inbound_url, to="+15005550006", from_="+15550100001", body="START")
    stack.fire_schedules(MONDAY.replace(hour=14) + timedelta(days=3))
    stack.settle()

    # Then they are told, and probes resume the next day
    assert "back on Moodline" in body
    assert len(_probes_to(stack, "+15550100001")) == 2


def test_twilio_throttling_is_retried_and_an_opted_out_number_stops_the_client(stack):
    # Given two clients due in the same slot, and Twilio answering the first send with 429
    add_coach_with_pager(stack, "c1")
    ana = enrol(stack, name="Ana", phone="+15550100001", coach="c1", now=MONDAY)
    enrol(stack, name="Ben", phone="+15550100002", coach="c1", now=MONDAY)
    stack.twilio.opt_out("+15550100002")  # Ben opted out at the carrier (Twilio error 21610)
    stack.twilio.fail_next(429, 20429, "Too Many Requests")

    # When the slot fires and the queue is drained
    stack.fire_schedules(MONDAY.replace(hour=14))
    stack.settle()

    # Then Ana's probe went out after the retry, and Ben is marked stopped, not retried forever
    assert len(_probes_to(stack, "+15550100001")) == 1
    assert DynamoClients().get(ana.client_id).last_probe_date == "2026-11-30"
    ben = next(c for c in ClientRow.scan() if c.display_name == "Ben")
    assert ben.status == ClientStatus.STOPPED and ben.next_probe_at is None


def test_send_probe_handler_reports_a_malformed_request_as_a_batch_item_failure(stack):
    # Given the SQS event from events/ whose body is valid, plus one garbage record
    event = load_event("send_probe_sqs.json")
    bad = dict(event["Records"][0], messageId="bad-1", body="{not json")
    event["Records"].append(bad)

    # When the send_probe function handles the batch
    response = stack.runtime.invoke("SendProbeFunction", event)

    # Then only the garbage record is reported failed (it will reach the DLQ after its retries)
    assert response == {"batchItemFailures": [{"itemIdentifier": "bad-1"}]}


def test_schedule_event_from_events_folder_drives_the_scheduler(stack):
    # Given a client due at 09:00 New York on 30 November (14:00 UTC, the time in the test event)
    add_coach_with_pager(stack, "c1")
    enrol(stack, name="Ana", phone="+15550100001", coach="c1", now=MONDAY)

    # When the schedule_probes function gets the scheduled event from events/
    result = stack.runtime.invoke("ScheduleProbesFunction", load_event("schedule_probes.json"))

    # Then one probe is queued for the slot
    assert result["queued"] == 1 and result["slot_end"] == "2026-11-30T14:15:00.000Z"


def test_a_twilio_configuration_error_alarms_but_never_unenrols_the_client(stack):
    # Given a client due now, and Twilio refusing our credentials once (error 20003)
    add_coach_with_pager(stack, "c1")
    client = enrol(stack, name="Ana", phone="+15550100001", coach="c1", now=MONDAY)
    stack.twilio.fail_next(401, 20003, "Authenticate")

    # When the slot fires and the queue is drained
    stack.fire_schedules(MONDAY.replace(hour=14))
    stack.settle()

    # Then nothing was sent and the client is still active (the request stays queued for a retry)
    assert _probes_to(stack, "+15550100001") == []
    assert DynamoClients().get(client.client_id).status == ClientStatus.ACTIVE

    # And once the credentials work again, the retry sends the probe
    stack.settle()
    assert len(_probes_to(stack, "+15550100001")) == 1


def test_a_probe_delayed_into_the_clients_night_is_not_sent(stack, clock):
    # Given a client at 20:45 New York time whose probe request is delivered late, at 23:40 local
    add_coach_with_pager(stack, "c1")
    client = enrol(stack, name="Ana", phone="+15550100001", coach="c1", checkin="20:45", now=MONDAY)
    request = {"client_id": client.client_id, "local_date": "2026-11-30", "due_at": "2026-12-01T01:45:00.000Z"}
    boto3.client("sqs").send_message(QueueUrl=stack.resource("ProbesQueue").url, MessageBody=json.dumps(request))
    clock.now = datetime(2026, 12, 1, 4, 40, tzinfo=UTC)

    # When it is processed
    stack.settle()

    # Then nothing is sent: a check-in at 23:40 is worse than none
    assert _probes_to(stack, "+15550100001") == []


def test_twilio_is_told_to_drop_a_probe_still_queued_at_its_last_moment(stack, clock):
    # Given a New York client due at 09:00 (14:00 UTC), the probe taken at 14:01 UTC
    add_coach_with_pager(stack, "c1")
    enrol(stack, name="Ana", phone="+15550100001", coach="c1", now=MONDAY)
    clock.now = MONDAY.replace(hour=14, minute=1)
    stack.fire_schedules(MONDAY.replace(hour=14))
    stack.settle()
    # Then the message Twilio received carries ValidityPeriod up to 12:00 local (the 3-hour lateness limit)
    [probe] = _probes_to(stack, "+15550100001")
    assert probe.validity_period == 3 * 3600 - 60
