"""Typed words: every keyword has its words and its branch; Twilio's codes and statuses in our terms."""

from __future__ import annotations

import pytest

from moodline.adapters.twilio.codes import STATUS_ORDER, rank_of, refusal_of, status_of
from moodline.domain import InboundSms
from moodline.texts import KEYWORD_WORDS, keyword_of
from moodline.vocabulary import ClientStatus, DeliveryStatus, InboundOutcome, Keyword, Refusal
from tests.fakes import PHONE_KEY, World
from tests.usecases.conftest import MONDAY


def test_every_keyword_has_words_and_each_word_means_its_keyword():
    assert set(KEYWORD_WORDS) == set(Keyword)
    for keyword, words in KEYWORD_WORDS.items():
        assert words
        for word in words:
            assert keyword_of(f" {word.lower()}! ") is keyword


@pytest.mark.parametrize("keyword", list(Keyword))
def test_every_keyword_has_its_own_branch_and_never_falls_into_triage(keyword):
    # Given an enrolled client (mypy's assert_never in InboundSmsService._answer covers the same at type level)
    from moodline.admin import Enrolment

    world = World(now=MONDAY)
    world.roster.add_coach("c1", "Casey", "c1@practice.example")
    world.roster.enroll_client(Enrolment("c1", "Ana", "+15550100001", "America/New_York", "09:00"),
                               phone_key=PHONE_KEY, now=MONDAY, shards=4)

    # When they text one of the keyword's words
    word = sorted(KEYWORD_WORDS[keyword])[0]
    result = world.inbound.receive(InboundSms("SM" + "9" * 32, "AC1", "+15550100001", "+1", word), MONDAY)

    # Then the answer is the keyword's, and the stored message is a keyword (not scored), kept as sent
    assert result.outcome is InboundOutcome(keyword.value)
    [stored] = world.messages.rows.values()
    assert stored.kind == "keyword" and stored.body == word  # a coach reads what the client wrote


@pytest.mark.parametrize(("code", "http_status", "refusal"), [
    (21610, 400, Refusal.OPTED_OUT),
    (21211, 400, Refusal.UNREACHABLE), (21612, 400, Refusal.UNREACHABLE), (21614, 400, Refusal.UNREACHABLE),
    (30005, None, Refusal.UNREACHABLE), (30006, None, Refusal.UNREACHABLE),
    (20429, 429, Refusal.RETRYABLE), (30001, 400, Refusal.RETRYABLE), (63018, 400, Refusal.RETRYABLE),
    (None, 503, Refusal.RETRYABLE), (None, 429, Refusal.RETRYABLE),
    (20003, 401, Refusal.CONFIGURATION), (21606, 400, Refusal.CONFIGURATION), (21408, 400, Refusal.CONFIGURATION),
])
def test_twilio_error_codes_are_sorted_into_what_the_use_cases_do(code, http_status, refusal):
    assert refusal_of(code, http_status) is refusal


def test_only_refusals_about_the_number_change_a_client():
    assert {r: r.client_status for r in Refusal} == {
        Refusal.RETRYABLE: None, Refusal.OPTED_OUT: ClientStatus.STOPPED,
        Refusal.UNREACHABLE: ClientStatus.UNREACHABLE, Refusal.CONFIGURATION: None}


def test_every_tracked_status_has_a_rank_and_the_lifecycle_only_moves_forward():
    assert set(STATUS_ORDER) == set(DeliveryStatus)
    lifecycle = ["accepted", "queued", "sending", "sent", "delivered", "read"]
    ranks = [rank_of(status_of(s)) for s in lifecycle]
    assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks)
    assert status_of("partially_delivered") is None and rank_of(None) == -1
