"""The local stream pump after moto rolls back a cancelled transaction (a Twilio retry of a stored MessageSid)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from moodline.adapters.dynamodb import MessageRow
from tests.integration.roster import add_coach_with_pager, enrol

MONDAY = datetime(2026, 11, 30, tzinfo=UTC)
OUR_NUMBER = "+15005550006"


def _text(stack, clock, at: datetime, phone: str, body: str, sid: str) -> tuple[int, str]:
    clock.now = at
    answer = stack.twilio.post_inbound(stack.inbound_url, to=OUR_NUMBER, from_=phone, body=body, message_sid=sid)
    stack.settle()
    return answer


def test_after_a_twilio_retry_a_crisis_reply_from_another_client_is_still_scored_and_paged_once(stack, clock):
    # Given Jordan (c2) on call, Casey (c1) the coach of Ana and Ben
    casey, jordan = add_coach_with_pager(stack, "c1"), add_coach_with_pager(stack, "c2")
    stack.roster.set_shift("primary", starts_at=MONDAY, ends_at=MONDAY + timedelta(days=7), primary="c2", backup="c1")
    ana = enrol(stack, name="Ana", phone="+15550100001", coach="c1", now=MONDAY)
    ben = enrol(stack, name="Ben", phone="+15550100002", coach="c1", now=MONDAY)

    # When Ana's reply arrives, then Twilio delivers the same MessageSid again a minute later (its
    # transaction is cancelled on the SID's claim), then Ben texts crisis language
    sid = "SM" + "a" * 32
    first = _text(stack, clock, MONDAY.replace(hour=19), "+15550100001", "6 fine", sid)
    again = _text(stack, clock, MONDAY.replace(hour=19, minute=1), "+15550100001", "6 fine", sid)
    _text(stack, clock, MONDAY.replace(hour=20), "+15550100002", "i want to kill myself tonight", "SM" + "b" * 32)

    # Then Ben's reply is scored crisis and pages the on-call coach exactly once, and nobody else
    [crisis] = [m for m in MessageRow.query(ben.client_id) if m.direction == "inbound"]
    assert crisis.level == "crisis" and crisis.alert_id
    pages = jordan.pages()
    assert [p["MessageAttributes"]["severity"]["Value"] for p in pages] == ["crisis"]
    assert casey.pages() == []
    # And Ana's retry got the same answer and left one stored, scored reply: no extra row
    assert again == first
    [reply] = list(MessageRow.query(ana.client_id))
    assert (reply.sid, reply.direction, reply.level is not None) == (sid, "inbound", True)
    # And the stream has nothing more to deliver: no record is delivered twice
    assert stack.runtime.pump_streams() == 0
