"""One botocore session per container and one client per AWS service, shared by every library (issue 10).

Before: PynamoDB gave each row model its own session and client, Powertools idempotency and parameters
built their own, and SNS went through boto3's default session: a crisis reply made 5+ sessions in
score_reply alone, each costing 60-120 ms CPU on a cold start.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import botocore.session
import pytest

from tests.integration.roster import add_coach_with_pager, enrol

MONDAY = datetime(2026, 11, 30, tzinfo=UTC)
OUR_NUMBER = "+15005550006"


@pytest.fixture
def created(monkeypatch):
    """Every botocore session and client created from now on: {session id: Counter(service)}."""
    sessions: dict[int, Counter[str]] = {}
    original_init = botocore.session.Session.__init__
    original_create = botocore.session.Session.create_client

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        sessions[id(self)] = Counter()

    def create_client(self, service_name, *args, **kwargs):
        sessions.setdefault(id(self), Counter())[service_name] += 1
        return original_create(self, service_name, *args, **kwargs)

    monkeypatch.setattr(botocore.session.Session, "__init__", init)
    monkeypatch.setattr(botocore.session.Session, "create_client", create_client)
    return sessions


def test_a_crisis_reply_makes_one_session_and_one_client_per_service_in_each_function(stack, clock, created):
    # Given a coach on call and a client (ops code runs first: its sessions are not the functions')
    add_coach_with_pager(stack, "c1")
    stack.roster.set_shift("primary", starts_at=MONDAY, ends_at=MONDAY + timedelta(days=7), primary="c1")
    enrol(stack, name="Ben", phone="+15550100002", coach="c1", now=MONDAY)
    ingest = stack.functions_services("IngestSmsFunction")
    scoring = stack.functions_services("ScoreReplyFunction")
    created.clear()

    # When the client texts crisis language: ingest_sms stores it (DynamoDB, idempotency, secrets),
    # score_reply scores it and pages (DynamoDB, idempotency, secrets, SNS)
    clock.now = MONDAY.replace(hour=20)
    status, _ = stack.twilio.post_inbound(stack.inbound_url, to=OUR_NUMBER, from_="+15550100002",
                                          body="i can't do this anymore, i've been saving my pills for tonight")
    stack.settle()
    assert status == 200

    # Then each function made one session, and one client per service on it, used by every library
    ours = {id(ingest.aws.session), id(scoring.aws.session)}
    assert set(created) == ours, "a library made a session of its own"
    for services in created.values():
        assert max(services.values()) == 1, services
    assert created[id(scoring.aws.session)].keys() >= {"dynamodb", "sns", "secretsmanager"}
