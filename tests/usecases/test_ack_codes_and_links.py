"""Issue 8 §5, §6, §9, §12 and issue 11 §5 on fakes: ACK codes bound to who was paged, lockout,
unique codes by conditional write, signed single-use links per round and per coach, short pages,
the metrics the alarms need, the pager check, the automated scoring redrive, one role per phone."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from moodline import paging, redrive
from moodline.admin import Enrolment, RosterError
from moodline.alert_links import LinkRequest, handle_alert_link
from moodline.domain import InboundSms
from moodline.links import AlertLink
from moodline.vocabulary import AlertStatus, InboundOutcome, Via
from tests.fakes import LINK_KEY, PHONE_KEY, World
from tests.usecases.conftest import MONDAY, coach, enrol, on_call

_SIDS = itertools.count(10_000)
BASE = "https://moodline.example"


@dataclass
class Metrics:
    """Records add_metric calls (what Powertools would publish)."""

    added: list[tuple[str, str, float]] = field(default_factory=list)

    def add_metric(self, *, name: str, unit: str, value: float) -> None:
        self.added.append((name, unit, value))

    def values(self, name: str) -> list[float]:
        return [value for metric, _, value in self.added if metric == name]


@pytest.fixture
def metrics(monkeypatch) -> Metrics:
    recorder = Metrics()
    monkeypatch.setattr(paging, "metrics", recorder)
    monkeypatch.setattr(redrive, "metrics", recorder)
    return recorder


@pytest.fixture
def paged(world):
    """Ben in crisis, paged to Casey (c1, on call, backup c2); Sam (c3) is Ben's own coach, not paged."""
    coach(world, "c1", phone="+15550200001")
    coach(world, "c2", phone="+15550200002")
    coach(world, "c3", phone="+15550200003")
    on_call(world, "c1", backup="c2")
    enrol(world, "Ben", "+15550100002", coach_id="c3")
    text(world, "+15550100002", "i want to die")
    world.settle()
    [alert] = world.alerts.rows.values()
    return alert


def text(world: World, sender: str, body: str, *, minutes: float = 0):
    sms = InboundSms(f"SM{next(_SIDS):032x}", "AC1", sender, "+15005550006", body)
    return world.inbound.receive(sms, MONDAY + timedelta(minutes=minutes))


def link_of(body: str) -> dict[str, str]:
    url = next(word for word in body.split() if "/alerts/" in word and "sig=" in word)
    parts = urlsplit(url)
    _, _, alert_id, action = parts.path.rsplit("/", 3)
    return {"alert_id": alert_id, "action": action, **{k: v[0] for k, v in parse_qs(parts.query).items()}}


def tap(world: World, link: dict[str, str], *, method: str = "POST", minutes: float = 1) -> tuple[int, str]:
    query = {k: v for k, v in link.items() if k not in {"alert_id", "action"}}
    request = LinkRequest(method, link["action"], link["alert_id"], query)
    return handle_alert_link(request, actions=world.actions, claims=world.claims, link_key=lambda: LINK_KEY,
                             now=MONDAY + timedelta(minutes=minutes), public_base_url=BASE)


# --- §5 ACK codes -------------------------------------------------------------------------------


def test_a_code_is_eight_digits_and_held_by_a_conditional_claim(world, paged):
    assert re.fullmatch(r"\d{8}", paged.ack_code)
    assert world.claims.owner(f"ack#{paged.ack_code}", now=MONDAY) == paged.alert_id


def test_a_code_already_held_is_never_given_to_a_second_alert(world, monkeypatch):
    # Given the next code drawn is one another alert holds
    world.claims.claim("ack#12345678", "al_other", now=MONDAY)
    draws = iter(["12345678", "12345678", "87654321"])
    monkeypatch.setattr(paging, "_new_ack_code", lambda: next(draws))
    coach(world, "c1")
    enrol(world, "Ben", "+15550100002")

    # When an alert opens
    text(world, "+15550100002", "i want to die")
    world.settle()

    # Then it gets the first free code
    [alert] = world.alerts.rows.values()
    assert alert.ack_code == "87654321"
    assert world.claims.owner("ack#12345678", now=MONDAY) == "al_other"


def test_a_coach_who_was_not_paged_cannot_acknowledge_by_code(world, paged, metrics):
    # When Ben's own coach Sam (not paged) texts the right code
    result = text(world, "+15550200003", f"ACK {paged.ack_code}", minutes=1)

    # Then it is refused, counted as a bad code, and the alert still escalates
    assert result.outcome is InboundOutcome.COACH and "paged to you" in result.reply
    assert world.alerts.get(paged.alert_id).status is AlertStatus.OPEN
    assert metrics.values("BadAckCode") == [1]


def test_every_coach_the_alert_reached_may_acknowledge_by_code(world, paged):
    # Given the crisis escalated to the backup (c2) and then the team (c3 included)
    world.desk.escalate_due(MONDAY + timedelta(minutes=5))
    world.desk.escalate_due(MONDAY + timedelta(minutes=10))
    assert set(world.alerts.get(paged.alert_id).paged_coaches) == {"c1", "c2", "c3"}

    # When Sam, reached by the team page, texts the code
    result = text(world, "+15550200003", f"ack {paged.ack_code}", minutes=11)

    # Then he holds it
    assert result.outcome is InboundOutcome.COACH_ACK
    assert world.alerts.get(paged.alert_id).acknowledged_by == "c3"


def test_five_bad_codes_in_fifteen_minutes_lock_the_phone_out(world, paged, metrics):
    # When Casey's phone sends five wrong codes
    for minute in range(5):
        assert text(world, "+15550200001", f"ACK {minute:08d}", minutes=minute).outcome is InboundOutcome.COACH

    # Then even the right code is refused for the rest of the window (and counted)
    locked = text(world, "+15550200001", f"ACK {paged.ack_code}", minutes=6)
    assert "too many wrong codes" in locked.reply
    assert world.alerts.get(paged.alert_id).status is AlertStatus.OPEN
    assert metrics.values("BadAckCode") == [1] * 6

    # And once the window is over, the right code works
    assert text(world, "+15550200001", f"ACK {paged.ack_code}", minutes=16).outcome is InboundOutcome.COACH_ACK


def test_resolve_frees_the_code(world, paged):
    world.actions.resolve(paged.alert_id, by="c1", outcome="false_alarm", at=MONDAY + timedelta(minutes=3))
    assert world.claims.owner(f"ack#{paged.ack_code}", now=MONDAY) is None
    assert text(world, "+15550200001", f"ACK {paged.ack_code}", minutes=4).outcome is InboundOutcome.COACH


# --- §9 metrics ---------------------------------------------------------------------------------


def test_an_acknowledgement_reports_the_seconds_it_took(world, paged, metrics):
    world.actions.acknowledge(paged.alert_id, by="c1", via=Via.LINK, at=MONDAY + timedelta(minutes=3))
    world.actions.acknowledge(paged.alert_id, by="c1", via=Via.LINK, at=MONDAY + timedelta(minutes=4))  # no-op
    assert [(n, u, v) for n, u, v in metrics.added if n == "TimeToAcknowledge"] == [
        ("TimeToAcknowledge", "Seconds", 180.0)]


def test_each_escalate_run_reports_crisis_alerts_unacknowledged_over_15_minutes(world, paged, metrics):
    assert world.desk.report_unacknowledged(MONDAY + timedelta(minutes=15)) == 0
    assert world.desk.report_unacknowledged(MONDAY + timedelta(minutes=16)) == 1
    world.actions.acknowledge(paged.alert_id, by="c1", via=Via.SMS, at=MONDAY + timedelta(minutes=17))
    assert world.desk.report_unacknowledged(MONDAY + timedelta(minutes=18)) == 0
    assert metrics.values("CrisisUnacknowledgedOver15Min") == [0, 1, 0]  # zero included: the alarm sees data


def test_the_pager_check_names_coaches_without_a_confirmed_subscription(world, metrics):
    coach(world, "c1")
    coach(world, "c2")
    world.subscriptions.confirmed = {"c1"}
    assert world.pager_check.run() == ["c2"]
    world.subscriptions.confirmed = {"c1", "c2"}
    assert world.pager_check.run() == []
    assert metrics.values("PagerSubscriptionsMissing") == [1, 0]


def test_the_scoring_redrive_rescores_from_the_oldest_dead_letter_then_deletes_it(world, metrics):
    # Given a crisis reply stored while scoring was failing, and its batch in the scoring DLQ
    coach(world, "c1")
    enrol(world, "Ben", "+15550100002")
    sms = InboundSms("SM" + "f" * 32, "AC1", "+15550100002", "+15005550006", "i want to die")
    world.inbound.receive(sms, MONDAY)
    info = {"DDBStreamBatchInfo": {"approximateArrivalOfFirstRecord": "2026-11-30T13:00:00Z"}}
    world.dead_letters.letters = [("r1", json.dumps(info))]

    # When the scheduled redrive runs, twice
    first = world.redrive.run(MONDAY + timedelta(minutes=15))
    second = world.redrive.run(MONDAY + timedelta(minutes=30))

    # Then the reply is scored and paged once, and the dead letter is gone
    assert (first.dead_letters, first.rescored) == (1, 1) and second.dead_letters == 0
    assert world.pager.targets() == ["c1"] and world.dead_letters.deleted == ["r1"]


def test_an_empty_scoring_dlq_rescores_nothing(world):
    assert world.redrive.run(MONDAY).dead_letters == 0


def test_a_failed_redrive_keeps_its_dead_letters(world):
    world.dead_letters.letters = [("r1", "not json")]

    def broken(since):
        raise ConnectionError("table unreachable")

    world.redrive = redrive.ScoringRedrive(world.dead_letters, broken)
    with pytest.raises(ConnectionError):
        world.redrive.run(MONDAY)
    assert world.dead_letters.deleted == []


# --- issue 11 §5: pages stay short ---------------------------------------------------------------


def test_a_page_has_the_name_severity_code_and_two_links_and_nothing_else(world, paged):
    [page] = world.pager.pages
    assert page.body.splitlines()[0] == "CRISIS - may be in danger now: Ben needs a human."
    assert f"text ACK {paged.ack_code}" in page.body
    assert f"{BASE}/alerts/{paged.alert_id}/ack?" in page.body
    assert f"{BASE}/coach/alerts/{paged.alert_id}" in page.body
    # no rule ids, message text, phone numbers, client ids or resolve links
    assert "crisis." not in page.body and "die" not in page.body and "0100002" not in page.body
    assert paged.client_id not in page.body and "/resolve" not in page.body
    assert len(page.body.splitlines()) == 4


# --- §6 signed links ---------------------------------------------------------------------------


def test_a_link_acknowledges_once(world, paged):
    link = link_of(world.pager.pages[0].body)
    assert tap(world, link, method="GET")[0] == 200  # a link preview changes nothing
    assert world.alerts.get(paged.alert_id).status is AlertStatus.OPEN
    assert tap(world, link)[0] == 200
    assert world.alerts.get(paged.alert_id).acknowledged_by == "c1"
    status, html = tap(world, link, minutes=2)
    assert status == 409 and "already been used" in html


def test_a_link_from_the_first_page_cannot_acknowledge_a_re_trigger(world, paged):
    # Given Casey acknowledged by code, and Ben's next risky reply re-triggered the alert
    first = link_of(world.pager.pages[0].body)
    text(world, "+15550200001", f"ACK {paged.ack_code}", minutes=1)
    text(world, "+15550100002", "i want to die", minutes=2)
    world.settle()
    assert world.alerts.get(paged.alert_id).status is AlertStatus.OPEN

    # When the first page's (unused) link is tapped
    status, html = tap(world, first, minutes=3)

    # Then it is refused, and the re-trigger's own link works
    assert status == 409 and "earlier page" in html
    assert world.alerts.get(paged.alert_id).status is AlertStatus.OPEN
    assert tap(world, link_of(world.pager.pages[-1].body), minutes=4)[0] == 200


def test_a_crisis_link_lives_an_hour(world, paged):
    link = link_of(world.pager.pages[0].body)
    status, html = tap(world, link, minutes=61)
    assert status == 403 and "expired" in html


def test_a_team_page_is_signed_for_each_coach_and_records_that_coach(world, paged):
    world.desk.escalate_due(MONDAY + timedelta(minutes=5))
    world.desk.escalate_due(MONDAY + timedelta(minutes=10))
    team_pages = [p for p in world.pager.pages if p.step.endswith("-2")]
    assert sorted(p.coach_id for p in team_pages) == ["c1", "c2", "c3"]
    sams = next(p for p in team_pages if p.coach_id == "c3")
    assert link_of(sams.body)["coach"] == "c3"
    assert tap(world, link_of(sams.body), minutes=11)[0] == 200
    assert world.alerts.get(paged.alert_id).acknowledged_by == "c3"


@pytest.mark.parametrize("tamper", [
    {"coach": "c3"}, {"round": "1"}, {"exp": str(int((MONDAY + timedelta(days=9)).timestamp()))},
    {"sig": "A" * 24}, {"action": "resolve"}, {"alert_id": "al_other"}, {"round": ""},
])
def test_a_forged_link_acknowledges_nothing(world, paged, tamper):
    link = {**link_of(world.pager.pages[0].body), **tamper}
    status, _ = tap(world, link)
    assert status == 403 and world.alerts.get(paged.alert_id).status is AlertStatus.OPEN


_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.mark.parametrize("malformed", [
    # str.isdigit() is true for a superscript two and int() then raises: a 5xx before the signature is checked
    pytest.param({"exp": "²"}, id="exp-superscript-two"),
    pytest.param({"round": "²"}, id="round-superscript-two"),
    # past CPython's int-from-string limit (4,300 digits): int() raises
    pytest.param({"exp": "1" * 4301}, id="exp-4301-digits"),
    pytest.param({"round": "1" * 4301}, id="round-4301-digits"),
    # longer than any expiry we sign (epoch seconds have 10 digits until 2286)
    pytest.param({"exp": "1" * 11}, id="exp-11-digits"),
    pytest.param({"exp": "-1"}, id="exp-negative"),
    pytest.param({"exp": " 1"}, id="exp-space"),
    # compare_digest refuses a str with non-ASCII characters (TypeError); the message cannot hold a lone surrogate
    pytest.param({"sig": "é" * 24}, id="sig-non-ascii"),
    pytest.param({"coach": "c\udc801"}, id="coach-lone-surrogate"),
    pytest.param({"alert_id": "al_\udc80"}, id="alert-lone-surrogate"),
])
def test_a_malformed_link_is_refused_as_not_valid_whatever_its_numbers_say(world, paged, malformed):
    # Given the first page's link with one query value (or the alert id) replaced by something no link of ours has
    link = {**link_of(world.pager.pages[0].body), **malformed}
    for method in ("GET", "POST"):
        # When it is opened or confirmed
        status, html = tap(world, link, method=method)
        # Then it is the tampered-link page (never an exception, so never a 5xx), and the alert is untouched
        assert status == 403 and "this link is not valid" in html
    assert world.alerts.get(paged.alert_id).status is AlertStatus.OPEN


def test_a_genuine_link_written_in_other_digits_is_not_ours(world, paged):
    # Given the first page's link with its expiry and round in Arabic-Indic digits (int() would read them)
    link = link_of(world.pager.pages[0].body)
    other_digits = {**link, "exp": link["exp"].translate(_ARABIC_INDIC),
                    "round": link["round"].translate(_ARABIC_INDIC)}
    # When it is confirmed, then it is refused: a link is exactly what was signed, in ASCII digits
    status, html = tap(world, other_digits)
    assert status == 403 and "this link is not valid" in html
    assert world.alerts.get(paged.alert_id).status is AlertStatus.OPEN
    # And the link as sent still works
    assert tap(world, link)[0] == 200


def test_resolving_by_link_is_refused_with_a_pointer_to_the_workspace(world, paged):
    # An old-style resolve link, even correctly signed, cannot close the episode
    signed = AlertLink.for_page("resolve", paged.alert_id, "c1", MONDAY)
    parts = urlsplit(signed.url(BASE, LINK_KEY))
    link = {"alert_id": paged.alert_id, "action": "resolve", **{k: v[0] for k, v in parse_qs(parts.query).items()}}
    status, html = tap(world, link)
    assert status == 403 and f"{BASE}/coach/alerts/{paged.alert_id}" in html
    assert world.alerts.get(paged.alert_id).status is AlertStatus.OPEN


# --- §12 one role per phone ----------------------------------------------------------------------


def test_a_clients_number_cannot_become_a_coaches(world):
    coach(world, "c1")
    enrol(world, "Ben", "+15550100002")
    with pytest.raises(RosterError, match="one role"):
        world.roster.add_coach("c2", "Sam", "sam@practice.example", phone="+15550100002", phone_key=PHONE_KEY)


def test_a_coaches_number_cannot_be_enrolled_as_a_client(world):
    coach(world, "c1", phone="+15550200001")
    with pytest.raises(RosterError, match="one role"):
        enrol(world, "Ben", "+15550200001")


def test_a_coach_keeps_their_number_on_update_and_frees_the_old_one_on_change(world):
    coach(world, "c1", phone="+15550200001")
    coach(world, "c1", phone="+15550200001")  # an update: same number, same owner
    coach(world, "c1", phone="+15550200009")
    enrol(world, "Ben", "+15550200001")  # the old number is free again


def test_two_enrolments_racing_for_one_number_leave_one_role(world):
    # Given a number already claimed (a racing enrolment wrote its claim first, its row not yet visible)
    coach(world, "c1")
    from moodline.phones import phone_hash
    world.claims.claim(f"phone#{phone_hash(PHONE_KEY, '+15550100002')}", "coach:c9", now=MONDAY)
    with pytest.raises(RosterError, match="coach"):
        world.roster.enroll_client(Enrolment("c1", "Ben", "+15550100002", "America/New_York", "09:00"),
                                   phone_key=PHONE_KEY, now=MONDAY, shards=world.shards)
    assert world.clients.rows == {}


def test_a_claim_left_by_an_enrolment_cut_short_is_taken_over_once_it_is_old(world):
    # Given a number claimed by an enrolment whose client was never written (a crash between the two writes)
    coach(world, "c1")
    from moodline.domain import new_id
    from moodline.phones import phone_hash
    key = f"phone#{phone_hash(PHONE_KEY, '+15550100002')}"
    world.claims.claim(key, f"client:{new_id('cl', MONDAY - timedelta(minutes=3))}", now=MONDAY)
    # When Ben is enrolled while that claim is young (it may be an enrolment in progress), then it is refused
    with pytest.raises(RosterError, match="already belongs to a client"):
        world.roster.enroll_client(Enrolment("c1", "Ben", "+15550100002", "America/New_York", "09:00"),
                                   phone_key=PHONE_KEY, now=MONDAY, shards=world.shards)
    # And once it is over five minutes old, the enrolment takes it over: the number is not lost for good
    later = MONDAY + timedelta(minutes=3)
    ben = world.roster.enroll_client(Enrolment("c1", "Ben", "+15550100002", "America/New_York", "09:00"),
                                     phone_key=PHONE_KEY, now=later, shards=world.shards)
    assert world.claims.owner(key, now=later) == f"client:{ben.client_id}"


def test_a_fault_writing_the_client_frees_the_number_it_claimed(world, monkeypatch):
    # Given the client write failing (a DynamoDB fault)
    coach(world, "c1")

    def fails(client):
        raise RuntimeError("DynamoDB is unavailable")

    monkeypatch.setattr(world.clients, "add", fails)
    with pytest.raises(RuntimeError):
        enrol(world, "Ben", "+15550100002")
    # When it is back, then the same enrolment succeeds at once
    monkeypatch.undo()
    assert enrol(world, "Ben", "+15550100002").display_name == "Ben"


@pytest.mark.parametrize("name", ["Ben\nB.", "Ben\rB", "Ben\u2028B", "Ben\x00", "Ben\tB"])
def test_a_name_with_a_line_break_or_control_character_is_refused(world, name):
    coach(world, "c1")
    with pytest.raises(RosterError, match="one line, without control characters"):
        enrol(world, name, "+15550100002")
    with pytest.raises(RosterError, match="one line"):
        world.roster.add_coach("c2", name, "c2@practice.example")


def test_erasing_a_client_frees_their_number(world):
    coach(world, "c1")
    ben = enrol(world, "Ben", "+15550100002")
    world.roster.erase_client(ben.client_id)
    world.roster.add_coach("c2", "Sam", "sam@practice.example", phone="+15550100002", phone_key=PHONE_KEY)


# --- the audit, replayed (issue 8: 800 ACK-code guesses, link forgeries, duplicate pages) ---------


def test_the_audit_replayed_guesses_forgeries_and_duplicates_all_fail(world, paged, capsys):
    import random

    rng = random.Random(8)
    phones = ["+15550200001", "+15550200002", "+15550200003"]
    # A second alert, paged only to c1: its real code is a "guess" from c2 and c3 that must fail too
    enrol(world, "Ana", "+15550100001", coach_id="c3")
    text(world, "+15550100001", "i want to kill myself")
    world.settle()
    other = next(a for a in world.alerts.rows.values() if a.alert_id != paged.alert_id)
    world.pager.pages.clear()

    guesses = accepted = lockouts = 0
    for i in range(800):
        phone = phones[i % 3]
        # Mostly random codes; every 50th from c2/c3 is the real code of the alert that paged only c1
        real_but_not_theirs = i % 50 == 2 or i % 50 == 4
        code = other.ack_code if real_but_not_theirs else f"{rng.randrange(10**8):08d}"
        if not real_but_not_theirs and code in {paged.ack_code, other.ack_code}:
            code = f"{(int(code) + 1) % 10**8:08d}"  # a random guess, not the odds under test
        result = text(world, phone, f"ACK {code}", minutes=i * 0.1)
        guesses += 1
        accepted += result.outcome is InboundOutcome.COACH_ACK
        lockouts += "too many wrong codes" in (result.reply or "")
    assert accepted == 0 and lockouts > 0
    assert {world.alerts.get(a).status for a in (paged.alert_id, other.alert_id)} == {AlertStatus.OPEN}

    # Ten forgeries of the first page's link, and a stale and a replayed genuine link
    genuine = link_of(_first_page_body(world, paged))
    forgeries = [{"coach": "c2"}, {"coach": "team"}, {"round": "1"}, {"round": "-1"}, {"exp": "9999999999"},
                 {"sig": genuine["sig"][:-1] + ("A" if genuine["sig"][-1] != "A" else "B")}, {"sig": ""},
                 {"action": "resolve"}, {"alert_id": other.alert_id}, {"exp": "", "round": ""}]
    forged_accepted = sum(tap(world, {**genuine, **f}, minutes=81)[0] == 200 for f in forgeries)
    assert forged_accepted == 0 and world.alerts.get(paged.alert_id).status is AlertStatus.OPEN

    # A genuine first-round link, unused, after the alert was acknowledged and re-triggered: stale
    world.actions.acknowledge(paged.alert_id, by="c2", via=Via.CLI, at=MONDAY + timedelta(minutes=82))
    text(world, "+15550100002", "i want to die", minutes=83)
    world.settle()
    stale_accepted = int(tap(world, genuine, minutes=84)[0] == 200)
    assert stale_accepted == 0 and world.alerts.get(paged.alert_id).status is AlertStatus.OPEN

    # Duplicate pages: every escalation run twice at each minute, and a scoring redelivery
    world.pager.pages.clear()
    for minute in range(85, 130):
        world.desk.escalate_due(MONDAY + timedelta(minutes=minute))
        world.desk.escalate_due(MONDAY + timedelta(minutes=minute))
    world.settle()
    keys = [(p.alert_id, p.step, p.coach_id) for p in world.pager.pages]
    duplicates = len(keys) - len(set(keys))
    assert duplicates == 0

    with capsys.disabled():
        print(f"\naudit replay: {guesses} ACK guesses, {accepted} accepted, {lockouts} refused by lockout; "
              f"{len(forgeries)} forged links, {forged_accepted} accepted; 1 stale link, {stale_accepted} accepted; "
              f"{len(keys)} pages, {duplicates} duplicates")


def _first_page_body(world: World, alert) -> str:
    """A freshly signed page for c1 (the first page's link, round 0), as the first page carried."""
    client = world.clients.get(alert.client_id)
    return world.desk.page_body(world.alerts.get(alert.alert_id), client, "c1", MONDAY + timedelta(minutes=80))
