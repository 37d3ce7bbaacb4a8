"""Paging like a real pager: escalation until someone acknowledges, signed links, ACK by SMS, outcomes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from pynamodb.exceptions import PutError

from moodline.adapters.dynamodb import AlertRow, DynamoAlerts, DynamoClients
from moodline.security_headers import SECURITY_HEADERS
from moodline.vocabulary import Via
from tests.integration.roster import add_coach_with_pager, enrol

MONDAY = datetime(2026, 11, 30, tzinfo=UTC)
CRISIS_AT = MONDAY.replace(hour=22)
OUR_NUMBER = "+15005550006"


def _crisis(stack, clock, phone="+15550100002", text="i'm going to take all my pills tonight"):
    clock.now = CRISIS_AT
    stack.twilio.post_inbound(stack.inbound_url, to=OUR_NUMBER, from_=phone, body=text)
    stack.settle()
    return next(iter(AlertRow.scan()))


def _minute(stack, at: datetime) -> list:
    return [r for name, r in stack.fire_schedules(at) if name == "EscalateFunction.EveryMinute"]


def _setup(stack):
    casey, jordan, sam = (add_coach_with_pager(stack, c) for c in ("c1", "c2", "c3"))
    stack.roster.set_shift("primary", starts_at=MONDAY, ends_at=MONDAY + timedelta(days=7),
                              primary="c1", backup="c2")
    enrol(stack, name="Ben", phone="+15550100002", coach="c3", now=MONDAY)
    return casey, jordan, sam


def _targets(pager) -> list[str]:
    return [p["MessageAttributes"]["coach_id"]["Value"] for p in pager.pages()]


def test_an_unacknowledged_crisis_escalates_to_the_backup_then_the_team_until_acknowledged(stack, clock):
    # Given Casey on call with Jordan as backup, and a crisis page to Casey
    casey, jordan, sam = _setup(stack)
    alert = _crisis(stack, clock)
    assert _targets(casey) == ["c1"] and jordan.pages() == [] and sam.pages() == []

    # When 4 minutes pass, nothing escalates; at 5 minutes the backup is paged
    assert [run["escalated"] for run in _minute(stack, CRISIS_AT + timedelta(minutes=4))] == [[]]
    _minute(stack, CRISIS_AT + timedelta(minutes=5))
    assert _targets(jordan) == ["c2"] and casey.pages() == []

    # When 5 more minutes pass, the whole team is paged, and again 5 minutes later
    _minute(stack, CRISIS_AT + timedelta(minutes=10))
    _minute(stack, CRISIS_AT + timedelta(minutes=15))
    # (a team step is one page per coach, each signed for that coach)
    assert (_targets(sam), _targets(casey), _targets(jordan)) == (["c3", "c3"], ["c1", "c1"], ["c2", "c2"])

    # When Jordan acknowledges by texting the code from the page
    clock.now = CRISIS_AT + timedelta(minutes=16)
    stack.roster.add_coach("c2", "Jordan", "c2@practice.example", phone="+15550200002",
                    phone_key=stack.phone_key())
    status, body = stack.twilio.post_inbound(stack.inbound_url, to=OUR_NUMBER, from_="+15550200002",
                                             body=f"ack {alert.ack_code}")

    # Then the coach is told, escalation stops, and the timeline shows every step
    assert status == 200 and "acknowledged crisis alert" in body
    for minutes in (20, 25, 30, 60):
        _minute(stack, CRISIS_AT + timedelta(minutes=minutes))
    assert casey.pages() == [] and jordan.pages() == [] and sam.pages() == []
    alert = DynamoAlerts().get(alert.alert_id)
    assert alert.status == "acknowledged" and alert.acknowledged_by == "c2"
    assert [e.event for e in alert.timeline] == [
        "raised", "paged", "escalated", "paged", "escalated", "paged", "escalated", "paged", "acknowledged"]


def test_a_high_alert_waits_thirty_minutes_before_escalating(stack, clock):
    # Given a high alert (mood 2) paged to Casey
    _, jordan, _ = _setup(stack)
    _crisis(stack, clock, text="2")

    # When 29 minutes pass, then 30
    _minute(stack, CRISIS_AT + timedelta(minutes=29))
    before = jordan.pages()
    _minute(stack, CRISIS_AT + timedelta(minutes=30))

    # Then the backup is paged only at 30
    assert before == [] and _targets(jordan) == ["c2"]


def test_escalation_retried_at_the_same_minute_pages_once(stack, clock):
    # Given a crisis alert past its 5 minutes
    _, jordan, _ = _setup(stack)
    alert = _crisis(stack, clock)
    due = CRISIS_AT + timedelta(minutes=5)

    # When the escalate function runs, then is retried for the same scheduled minute
    stack.runtime.invoke("EscalateFunction", {"scheduled_time": due.isoformat()})
    stack.runtime.invoke("EscalateFunction", {"scheduled_time": due.isoformat()})

    # Then the backup got one page and the alert is on step 1
    assert len(jordan.pages()) == 1
    assert DynamoAlerts().get(alert.alert_id).escalation_step == 1


def _link_from_page(page: dict) -> str:
    return next(word for word in page["Message"].split() if "/alerts/" in word)


def test_the_signed_link_in_a_page_confirms_then_acknowledges(stack, clock):
    # Given a crisis page with a signed link
    casey, _, _ = _setup(stack)
    alert = _crisis(stack, clock)
    link = urlsplit(_link_from_page(casey.pages()[0]))
    query = parse_qs(link.query)

    # When the link is opened (GET), as a link preview would
    clock.now = CRISIS_AT + timedelta(minutes=2)
    status, html = stack.request("GET", link.path, headers={}, body="", query=query)

    # Then it only asks for confirmation; the alert is still open
    assert status == 200 and "<form method='post'>" in html
    assert DynamoAlerts().get(alert.alert_id).status == "open"

    # When the coach confirms (POST to the same link)
    status, html = stack.request("POST", link.path, headers={"Content-Type": "application/x-www-form-urlencoded"},
                                 body="", query=query)

    # Then the alert is acknowledged by that coach, via the link
    assert status == 200 and "Acknowledged" in html
    acked = DynamoAlerts().get(alert.alert_id)
    assert (acked.status, acked.acknowledged_by, acked.timeline[-1].detail) == ("acknowledged", "c1", "by c1 via link")


def test_a_forged_or_expired_link_is_refused(stack, clock):
    # Given a crisis page with a signed link
    casey, _, _ = _setup(stack)
    alert = _crisis(stack, clock)
    link = urlsplit(_link_from_page(casey.pages()[0]))
    query = parse_qs(link.query)

    # When someone changes the coach in the link, or opens it two days later
    forged = stack.request("POST", link.path, headers={}, body="", query={**query, "coach": ["c9"]})
    clock.now = CRISIS_AT + timedelta(days=2)
    expired = stack.request("POST", link.path, headers={}, body="", query=query)

    # Then both are refused and the alert is untouched
    assert forged[0] == 403 and expired[0] == 403 and "expired" in expired[1]
    assert DynamoAlerts().get(alert.alert_id).status == "open"


def _api(stack, method: str, path: str, query: dict[str, list[str]], body: str = ""):
    """The response API Gateway would give, headers included."""
    with stack.quiet():
        return stack.runtime.api_request(method, path, headers={}, body=body, host=f"127.0.0.1:{stack.http_port}",
                                         at=stack.clock(), query=query)


@pytest.mark.parametrize("query", [
    pytest.param({"exp": ["²"]}, id="exp-superscript-two"),  # the attack test's exp=%C2%B2
    pytest.param({"exp": ["9" * 4301]}, id="exp-4301-digits"),
    pytest.param({"round": ["²"]}, id="round-superscript-two"),
    pytest.param({"sig": ["é"]}, id="sig-non-ascii"),
])
def test_a_link_with_a_number_that_is_not_ascii_digits_gets_the_not_valid_page_never_an_error(stack, clock, query):
    # Given the attack test's link: no alert, no signature of ours, and a value int() cannot read
    link = {"coach": ["c1"], "round": ["0"], "exp": ["1796396100"], "sig": ["x"], **query}
    for method in ("GET", "POST"):
        # When it is opened or confirmed
        response = _api(stack, method, "/alerts/anything/ack", link)
        # Then the function answers the tampered-link page (a raise would be a 502 and an AlertActionsErrorsAlarm)
        assert (response.status, response.headers["Content-Type"]) == (403, "text/html; charset=utf-8")
        assert "this link is not valid" in response.body


def test_a_confirm_post_is_answered_from_its_signed_url_whatever_its_body(stack, clock):
    # Given a POST that claims a base64 body but carries none (this API has no binary media types: kept total)
    from moodline_local.runtime import build_api_event

    event = build_api_event("POST", "/alerts/anything/ack", "/alerts/{alert_id}/{action}", headers={}, body="%%%",
                            host="127.0.0.1", at=CRISIS_AT, query={"coach": ["c1"], "round": ["0"]},
                            path_parameters={"alert_id": "anything", "action": "ack"})
    event["isBase64Encoded"] = True
    # When the function gets it, then the body is never read: the link (unsigned here) gets its page, not an error
    with stack.quiet():
        result = stack.runtime.invoke("AlertActionsFunction", event)
    assert result["statusCode"] == 403 and "this link is not valid" in result["body"]


def test_the_one_tap_pages_carry_the_workspaces_security_headers_and_no_inline_style(stack, clock):
    # Given a crisis page with a signed link
    casey, _, _ = _setup(stack)
    _crisis(stack, clock)
    link = urlsplit(_link_from_page(casey.pages()[0]))
    query = parse_qs(link.query)
    clock.now = CRISIS_AT + timedelta(minutes=2)

    # When the link is opened, tampered with, and confirmed
    pages = {"confirm": _api(stack, "GET", link.path, query),
             "tampered": _api(stack, "GET", link.path, {**query, "exp": ["²"]}),
             "acknowledged": _api(stack, "POST", link.path, query)}

    # Then every page has the workspace's policy: no inline script or style, no framing, no sniffing, never stored,
    # and no referrer (the signed URL must not leak to the workspace or anywhere else)
    assert [p.status for p in pages.values()] == [200, 403, 200]
    for name, page in pages.items():
        headers = page.headers
        assert headers["Content-Security-Policy"] == SECURITY_HEADERS["Content-Security-Policy"], name
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert (headers["X-Frame-Options"], headers["X-Content-Type-Options"]) == ("DENY", "nosniff"), name
        assert (headers["Cache-Control"], headers["Referrer-Policy"]) == ("no-store", "no-referrer"), name
        assert not re.search(r"\sstyle=|<style|<script|\son[a-z]+=", page.body), name
    # And the one stylesheet they link is the workspace's, root-relative: from the origin the coach used
    stylesheet = re.search(r"<link rel='stylesheet' href='([^']+)'>", pages["confirm"].body)
    assert stylesheet is not None and stylesheet.group(1) == "/coach/static/app.css"
    served = _api(stack, "GET", stylesheet.group(1), {})
    assert served.status == 200 and served.headers["Content-Type"].startswith("text/css")


def test_resolving_with_an_outcome_closes_the_episode_and_the_next_crisis_opens_a_new_alert(stack, clock):
    # Given a crisis alert, acknowledged and then resolved as a true alarm
    _setup(stack)
    first = _crisis(stack, clock)
    stack.ops.actions.resolve(first.alert_id, by="c1", outcome="true_alarm", at=CRISIS_AT + timedelta(hours=1),
                  note="called, safety plan in place")

    # When the client sends crisis language again the next day
    clock.now = CRISIS_AT + timedelta(days=1)
    stack.twilio.post_inbound(stack.inbound_url, to=OUR_NUMBER, from_="+15550100002", body="i want to die")
    stack.settle()

    # Then the first alert is resolved with its outcome, and a second alert is open
    alerts = sorted(AlertRow.scan(), key=lambda a: a.opened_at)
    assert [(a.status, a.outcome) for a in alerts] == [("resolved", "true_alarm"), ("open", None)]
    assert alerts[0].timeline[-1].event == "resolved" and "safety plan" in alerts[0].timeline[-1].detail
    assert DynamoClients().get(alerts[1].client_id).open_alert_id == alerts[1].alert_id


def test_a_stale_write_cannot_overwrite_an_acknowledgement(stack, clock):
    # Given a crisis alert that one process has read (say, an escalation in flight)
    _setup(stack)
    alert = _crisis(stack, clock)
    stale = AlertRow.get(alert.alert_id, consistent_read=True)

    # When a coach acknowledges it, and the stale copy is then saved
    stack.ops.actions.acknowledge(alert.alert_id, by="c1", via=Via.SMS, at=CRISIS_AT + timedelta(minutes=1))
    stale.escalation_step = 1
    with pytest.raises(PutError):
        stale.save()

    # Then the acknowledgement stands, and an escalation run at the due time pages nobody
    _minute(stack, CRISIS_AT + timedelta(minutes=5))
    fresh = DynamoAlerts().get(alert.alert_id)
    assert (fresh.status, fresh.acknowledged_by, fresh.pending) == ("acknowledged", "c1", False)


def test_a_risky_reply_after_an_acknowledgement_retriggers_the_alert(stack, clock):
    # Given a crisis alert that Casey acknowledged but has not resolved
    casey, jordan, _ = _setup(stack)
    alert = _crisis(stack, clock)
    stack.ops.actions.acknowledge(alert.alert_id, by="c1", via=Via.SMS, at=CRISIS_AT + timedelta(minutes=2))
    casey.pages()

    # When the client sends crisis language again an hour later
    clock.now = CRISIS_AT + timedelta(hours=1)
    stack.twilio.post_inbound(stack.inbound_url, to=OUR_NUMBER, from_="+15550100002", body="pills in my hand now")
    stack.settle()

    # Then the alert is open again, Casey is paged again, and without an ack it escalates again
    fresh = DynamoAlerts().get(alert.alert_id)
    assert fresh.status == "open" and fresh.timeline[-2].event == "retriggered"
    assert _targets(casey) == ["c1"]
    _minute(stack, CRISIS_AT + timedelta(hours=1, minutes=5))
    assert _targets(jordan) == ["c2"]


def test_cloudwatch_alarms_on_the_alerts_topic_reach_every_coach(stack):
    # Given two coaches' pagers, filtered on coach_id
    casey, jordan = add_coach_with_pager(stack, "c1"), add_coach_with_pager(stack, "c2")

    # When CloudWatch publishes an alarm (no message attributes) to the alerts topic
    import boto3

    boto3.client("sns").publish(TopicArn=stack.resource("AlertsTopic").arn, Subject="ALARM: ScoringDLQAlarm",
                                Message='{"AlarmName": "ScoringDLQAlarm", "NewStateValue": "ALARM"}')

    # Then both coaches get it: a filter must not drop the alarm that says a reply was not scored
    assert len(casey.pages()) == 1 and len(jordan.pages()) == 1
