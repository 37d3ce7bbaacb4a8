"""`moodline score --replay` counts the replies coaches marked "should have paged", per rule family."""

from __future__ import annotations

from datetime import UTC, datetime

from moodline.domain import SHOULD_HAVE_PAGED, Message, ReviewMark
from moodline.replay import NO_RULE, MissCase, replay_misses, rule_family, triage_misses
from moodline.triage.model import Level
from moodline.vocabulary import Direction, MessageKind
from tests.fakes import FakeMessages, FakeReviews

AT = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)


def test_rule_families_group_crisis_rules_by_kind_and_the_rest_by_their_first_word():
    assert rule_family("crisis.plan.means.dwelling.en") == "crisis.plan"
    assert rule_family("hopelessness.core.en") == "hopelessness"
    assert rule_family("mood.low") == "mood"


def test_misses_are_counted_per_family_fired_then_and_whether_triage_pages_them_now():
    # Given three misses: one low mood, one that fired nothing, one today's triage would page
    cases = [MissCase("cl_1", "k1", "3 meh", [], "moderate", ("mood.low",)),
             MissCase("cl_1", "k2", "whatever", [], "low", ()),
             MissCase("cl_2", "k3", "i want to die", [], "low", ("mood.low", "baseline.drop"))]
    # When replayed
    misses = replay_misses(cases)
    # Then each family counts the misses it fired on, and the one triage now pages is credited
    by_family = {f.family: (f.misses, f.caught_now) for f in misses.families}
    assert by_family == {"mood": (2, 1), "baseline": (1, 1), NO_RULE: (1, 0)}
    assert (misses.total, misses.caught_now) == (3, 1)
    assert misses.families[0].family == "mood"  # most misses first


def test_triage_misses_reads_the_should_have_paged_marks_and_their_replies():
    messages, reviews = FakeMessages(), FakeReviews()
    reply = messages.record(Message(client_id="cl_1", at="2026-11-30T12:00:00.000Z#SM1", sid="SM1",
                                    direction=Direction.INBOUND, kind=MessageKind.REPLY, local_date="2026-11-30",
                                    body="so done with all of it", level=Level.MODERATE,
                                    reasons=("hopelessness.core.en",)), retention_days=400)
    reviews.mark(ReviewMark("cl_1", reply.at, SHOULD_HAVE_PAGED, "c1", AT))
    reviews.mark(ReviewMark("cl_1", "2026-11-30T11:00:00.000Z#SM0", "seen_fine", "c1", AT))
    reviews.mark(ReviewMark("cl_9", "2026-01-01T00:00:00.000Z#SMgone", SHOULD_HAVE_PAGED, "c1", AT))  # expired
    (case,) = triage_misses(reviews, messages, datetime(2000, 1, 1, tzinfo=UTC))
    assert (case.text, case.stored_level, case.stored_rules) == ("so done with all of it", "moderate",
                                                                  ("hopelessness.core.en",))
