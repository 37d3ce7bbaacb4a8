"""Issue 11 §3 "Waiting": a reply nobody reviewed in 24 h nudges its coach, then the team; once per stage."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from moodline.domain import Message, ReviewMark, message_key
from moodline.review_nudges import ReviewNudges
from moodline.vocabulary import Direction, MessageKind
from tests.fakes import World
from tests.usecases.conftest import MONDAY, coach, enrol

INBOX = "https://moodline.example/Prod/coach/inbox"


def nudges(world: World, *, coach_hours: int = 24, team_hours: int = 24) -> ReviewNudges:
    return ReviewNudges(clients=world.clients, messages=world.messages, reviews=world.reviews,
                        coaches=world.coaches, mailer=world.mailer, once=world.once,
                        coach_after=timedelta(hours=coach_hours), team_after=timedelta(hours=team_hours),
                        inbox_url=INBOX)


def reply(world: World, client_id: str, body: str, at: datetime, *, review: bool = False) -> Message:
    sid = f"SM{int(at.timestamp())}"
    return world.messages.record(Message(client_id=client_id, at=message_key(at, sid), sid=sid,
                                         direction=Direction.INBOUND, kind=MessageKind.REPLY,
                                         local_date=at.date().isoformat(), body=body, review=review),
                                 retention_days=400)


@pytest.fixture
def ben(world: World):
    for coach_id in ("c1", "c2", "c3"):
        coach(world, coach_id)
    return enrol(world, "Ben", "+15550100002", "c1")


def test_a_reply_with_words_waiting_a_day_nudges_its_coach_once(world, ben):
    # Given a reply with words received 25 hours ago, unmarked
    reply(world, ben.client_id, "4 rough week, not sleeping", MONDAY - timedelta(hours=25))
    run = nudges(world)
    # When the hourly run fires twice
    first, second = run.run(MONDAY), run.run(MONDAY + timedelta(hours=1))
    # Then Ben's coach got one e-mail, naming Ben and the wait, with the inbox link and no reply text
    assert [m["to"] for m in world.mailer.sent] == ["c1@practice.example"]
    mail = world.mailer.sent[0]
    assert "Ben" in mail["subject"] and "25 h" in mail["subject"] and INBOX in mail["text"]
    assert "sleeping" not in mail["text"] + mail["html"] and "+1555" not in mail["text"] + mail["html"]
    assert first.nudged == [(first.nudged[0][0], "coach", "c1")] and second.nudged == []


def test_after_a_further_delay_the_rest_of_the_team_is_nudged_once_each(world, ben):
    reply(world, ben.client_id, "everything is heavy", MONDAY - timedelta(hours=30))
    run = nudges(world, team_hours=12)
    run.run(MONDAY)  # 30 h: the coach only
    assert sorted(m["to"] for m in world.mailer.sent) == ["c1@practice.example"]
    run.run(MONDAY + timedelta(hours=7))  # 37 h > 24 + 12: the team, and not the coach again
    run.run(MONDAY + timedelta(hours=8))
    assert sorted(m["to"] for m in world.mailer.sent) == ["c1@practice.example", "c2@practice.example",
                                                          "c3@practice.example"]
    assert all("(team)" in m["subject"] for m in world.mailer.sent[1:])


def test_a_marked_reply_a_bare_rating_or_a_fresh_reply_nudges_nobody(world, ben):
    marked = reply(world, ben.client_id, "tired", MONDAY - timedelta(hours=40))
    world.reviews.mark(ReviewMark(ben.client_id, marked.at, "seen_fine", "c1", MONDAY - timedelta(hours=30)))
    reply(world, ben.client_id, "3", MONDAY - timedelta(hours=50))  # a bare rating triage was sure of
    reply(world, ben.client_id, "long day", MONDAY - timedelta(hours=23))  # not yet a day
    result = nudges(world).run(MONDAY)
    assert world.mailer.sent == [] and result.waiting == 1


def test_a_bare_rating_triage_flagged_for_review_does_nudge(world, ben):
    reply(world, ben.client_id, "2", MONDAY - timedelta(hours=26), review=True)
    nudges(world).run(MONDAY)
    assert [m["to"] for m in world.mailer.sent] == ["c1@practice.example"]


def test_the_wait_is_configurable(world, ben):
    reply(world, ben.client_id, "not great", MONDAY - timedelta(hours=5))
    nudges(world, coach_hours=4).run(MONDAY)
    assert [m["to"] for m in world.mailer.sent] == ["c1@practice.example"]


def test_a_failed_e_mail_is_retried_next_run(world, ben):
    reply(world, ben.client_id, "not great", MONDAY - timedelta(hours=25))
    run = nudges(world)
    failing = world.mailer.send

    def down(**kwargs: str) -> str:
        raise ConnectionError("SES unreachable")

    world.mailer.send = down  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        run.run(MONDAY)
    world.mailer.send = failing  # type: ignore[method-assign]
    run.run(MONDAY + timedelta(hours=1))
    assert [m["to"] for m in world.mailer.sent] == ["c1@practice.example"]
