"""The closed loop: coaches record outcomes from the CLI, and replay measures each rule against them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from moodline.adapters.dynamodb import AlertRow, DynamoClients, MessageRow
from moodline.cli import main
from moodline.replay import ReplayCase, replay
from tests.integration.roster import add_coach_with_pager, enrol, use_function_env

MONDAY = datetime(2026, 11, 30, tzinfo=UTC)
OUR_NUMBER = "+15005550006"


def test_replay_counts_outcomes_per_rule_and_reports_changed_levels():
    # Given two resolved cases: a true alarm and a false alarm, one stored at a level triage no longer gives
    cases = [ReplayCase("al_1", "i want to die", [], "true_alarm", "crisis"),
             ReplayCase("al_2", "2", [], "false_alarm", "low")]

    # When replayed with today's triage
    result = replay(cases)

    # Then each rule that fires is credited with the outcome, and the changed level is listed
    rules = {r.rule: r for r in result.rules}
    assert rules["mood.very_low"].false_alarm == 1 and rules["mood.very_low"].precision == 0.0
    assert any(r.useful == 1 and r.precision == 1.0 for r in result.rules if r.rule.startswith("crisis"))
    assert result.changed == [("al_2", "low", "high")] and result.cases == 2


def test_coach_resolves_from_the_cli_and_replay_reports_precision(stack, clock, capsys, monkeypatch):
    # Given two alerts raised through the real pipeline
    add_coach_with_pager(stack, "c1")
    use_function_env(stack, monkeypatch)
    enrol(stack, name="Ben", phone="+15550100002", coach="c1", now=MONDAY)
    enrol(stack, name="Eli", phone="+15550100005", coach="c1", now=MONDAY)
    for phone, text in (("+15550100002", "took 30 pills, this is goodbye"), ("+15550100005", "2")):
        clock.now += timedelta(minutes=5)
        stack.twilio.post_inbound(stack.inbound_url, to=OUR_NUMBER, from_=phone, body=text)
        stack.settle()
    ben, eli = sorted(AlertRow.scan(), key=lambda a: a.opened_at)

    # When the coach looks at one, then resolves both from the CLI
    assert main(["alert", "show", ben.alert_id]) == 0
    shown = capsys.readouterr().out
    assert main(["alert", "resolve", ben.alert_id, "--by", "c1", "--outcome", "true_alarm"]) == 0
    assert main(["alert", "resolve", eli.alert_id, "--by", "c1", "--outcome", "false_alarm",
                 "--note", "had the flu"]) == 0
    capsys.readouterr()
    assert main(["score", "--replay"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]

    # Then 'show' gave the coach the reply text and the timeline
    assert "took 30 pills, this is goodbye" in shown and "paged" in shown
    # And replay reports precision per rule against those outcomes
    by_rule = {line["rule"]: line for line in lines if "rule" in line}
    assert by_rule["mood.very_low"] == {"rule": "mood.very_low", "fired": 1, "useful": 0, "false_alarm": 1,
                                        "precision": 0.0}
    assert any(r["precision"] == 1.0 for name, r in by_rule.items() if name.startswith("crisis"))
    assert lines[-1]["replayed"] == 2


def test_cli_refuses_a_bad_outcome_and_an_unknown_alert(stack, monkeypatch, capsys):
    use_function_env(stack, monkeypatch)
    with pytest.raises(SystemExit) as bad_outcome:
        main(["alert", "resolve", "al_x", "--by", "c1", "--outcome", "maybe"])
    assert bad_outcome.value.code == 2
    assert main(["alert", "ack", "al_missing", "--by", "c1"]) == 2
    assert "no such alert" in capsys.readouterr().err


def test_a_client_can_be_exported_then_erased_completely(stack, clock, capsys, monkeypatch):
    # Given a client with replies and an alert
    add_coach_with_pager(stack, "c1")
    use_function_env(stack, monkeypatch)
    client = enrol(stack, name="Ben", phone="+15550100002", coach="c1", now=MONDAY)
    for text in ("6 ok", "i want to die"):
        clock.now += timedelta(minutes=5)
        stack.twilio.post_inbound(stack.inbound_url, to=OUR_NUMBER, from_="+15550100002", body=text)
        stack.settle()

    # When ops export the client, then erase them (erase refuses without --yes)
    assert main(["client", "export", client.client_id]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert main(["client", "erase", client.client_id]) == 2
    assert main(["client", "erase", client.client_id, "--yes"]) == 0

    # Then the export held their data (not the lookup hash), and nothing of theirs remains
    assert exported["client"]["display_name"] == "Ben" and "phone_hash" not in exported["client"]
    assert [m["body"] for m in exported["messages"]] == ["6 ok", "i want to die"]
    assert len(exported["alerts"]) == 1
    assert DynamoClients().get(client.client_id) is None
    assert list(MessageRow.query(client.client_id)) == []
    assert list(AlertRow.scan()) == []
