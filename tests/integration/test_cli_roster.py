"""The roster CLI against moto: every command, each error as one line, imports run twice (issue 9 §1)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from moodline.cli import main
from moodline.composition import Services
from moodline.domain import InboundSms
from tests.conftest import ROOT

NOW = datetime.now(UTC)
HEADER = "name,phone,timezone,checkin_time,locale,coach_id"


@pytest.fixture
def aws(monkeypatch, tmp_path) -> Iterator[dict]:
    """The template's resources on in-process moto, and the webhook function's environment exported, as ops
    would from the stack (the functions themselves are not loaded: the CLI never calls them)."""
    from aws_lambda_powertools.utilities.parameters import base as parameters_base
    from moto import mock_aws

    from moodline_local.provision import provision
    from moodline_local.stack import LOCAL_FROM_NUMBER
    from moodline_local.template import Template

    with mock_aws():
        template = Template.load(ROOT / "template.yaml", {"PublicBaseUrl": "http://127.0.0.1:9",
                                                          "TwilioFromNumber": LOCAL_FROM_NUMBER})
        resources = provision(template)
        parameters_base.DEFAULT_PROVIDERS.clear()  # type: ignore[attr-defined]  # secrets of an earlier test
        for name, value in template.function_environment("IngestSmsFunction").items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("USER_POOL_ID", resources["CoachUserPool"].name)
        monkeypatch.setenv("MOODLINE_LOCAL_STATE", str(tmp_path / "no-serve.json"))
        yield resources


@pytest.fixture
def cli(aws, capsys):
    """``moodline ...`` in-process: (exit code, stdout, stderr)."""

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def one_line_error(result: tuple[int, str, str], *fragments: str) -> None:
    code, _, err = result
    assert code == 2, result
    assert err.count("\n") == 1 and err.startswith("moodline: ") and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, err


def add_coaches(cli) -> None:
    assert cli("coach", "add", "--id", "c1", "--name", "Casey", "--email", "casey@practice.example",
               "--phone", "+15550199001")[0] == 0
    assert cli("coach", "add", "--id", "c2", "--name", "Jordan", "--email", "jordan@practice.example")[0] == 0


def listed(cli, *argv: str) -> list[dict]:
    code, out, _ = cli(*argv, "--json")
    assert code == 0
    return [json.loads(line) for line in out.splitlines()]


# --------------------------------------------------------------------------------------- coaches


def test_coach_add_creates_the_sign_in_and_prints_the_temporary_password_once(cli):
    code, out, _ = cli("coach", "add", "--id", "c1", "--name", "Casey", "--email", "casey@practice.example",
                       "--phone", "+15550199001")
    assert code == 0 and "temporary password" in out
    cognito = boto3.client("cognito-idp")
    user = cognito.admin_get_user(UserPoolId=os.environ["USER_POOL_ID"], Username="casey@practice.example")
    assert {"Name": "custom:coach_id", "Value": "c1"} in user["UserAttributes"]

    # Run again by mistake: refused, Casey untouched (her phone still acknowledges pages)
    one_line_error(cli("coach", "add", "--id", "c1", "--name", "Dup", "--email", "dup@practice.example"),
                   "coach c1 exists (Casey, casey@practice.example)", "--update")
    # With --update: the coach is changed, the sign-in left alone, no new password, the phone on file kept
    code, out, _ = cli("coach", "add", "--id", "c1", "--name", "Casey B", "--email", "casey@practice.example",
                       "--update")
    assert code == 0 and "exists already" in out and "temporary password" not in out
    assert listed(cli, "coach", "list") == [{"coach_id": "c1", "name": "Casey B", "email": "casey@practice.example",
                                             "ack_by_sms": True}]
    code, out, _ = cli("coach", "list")
    assert out.splitlines()[0].split() == ["COACH_ID", "NAME", "EMAIL", "ACK_BY_SMS"]


def test_coach_remove_takes_the_sign_in_and_refuses_while_clients_remain(cli):
    add_coaches(cli)
    assert cli("client", "enroll", "--name", "Ana", "--phone", "+15550100001", "--timezone", "America/New_York",
               "--checkin-time", "09:00", "--coach", "c2")[0] == 0
    one_line_error(cli("coach", "remove", "--id", "c2"), "still has 1 client", "client move")
    one_line_error(cli("coach", "remove", "--id", "nobody"), "no coach 'nobody'")

    assert cli("coach", "remove", "--id", "c1")[0] == 0
    with pytest.raises(boto3.client("cognito-idp").exceptions.UserNotFoundException):
        boto3.client("cognito-idp").admin_get_user(UserPoolId=os.environ["USER_POOL_ID"],
                                                   Username="casey@practice.example")
    assert [c["coach_id"] for c in listed(cli, "coach", "list")] == ["c2"]


def test_an_e_mail_is_one_coachs_and_removing_a_coach_never_takes_another_coachs_sign_in(cli):
    # Given Casey (c1) with her workspace sign-in
    add_coaches(cli)
    cognito = boto3.client("cognito-idp")
    # When another coach is added with Casey's e-mail, then it is refused: it is her sign-in
    one_line_error(cli("coach", "add", "--id", "c4", "--name", "Ann", "--email", "Casey@Practice.example"),
                   "is coach c1's (Casey)")
    # And should a sign-in be shared anyway (made outside the CLI), removing the other coach leaves Casey's
    from moodline.adapters.cognito import CognitoSignIn

    assert not CognitoSignIn(os.environ["USER_POOL_ID"], send_invitation=False).remove(
        email="casey@practice.example", coach_id="c4")
    assert cognito.admin_get_user(UserPoolId=os.environ["USER_POOL_ID"], Username="casey@practice.example")


def test_a_coach_whose_e_mail_changes_loses_the_old_sign_in(cli):
    add_coaches(cli)
    code, out, _ = cli("coach", "add", "--id", "c1", "--name", "Casey", "--email", "casey.new@practice.example",
                       "--update")
    assert code == 0 and "temporary password" in out
    cognito = boto3.client("cognito-idp")
    with pytest.raises(cognito.exceptions.UserNotFoundException):
        cognito.admin_get_user(UserPoolId=os.environ["USER_POOL_ID"], Username="casey@practice.example")


def test_removing_a_coach_unsubscribes_their_pagers_and_leaves_the_others(cli):
    # Given Jordan and Casey each with a confirmed pager (SMS subscriptions confirm at once)
    add_coaches(cli)
    assert cli("pager", "subscribe", "--coach", "c2", "--protocol", "sms", "--endpoint", "+15550199002")[0] == 0
    assert cli("pager", "subscribe", "--coach", "c1", "--protocol", "sms", "--endpoint", "+15550199001")[0] == 0
    # When Jordan is removed
    code, out, _ = cli("coach", "remove", "--id", "c2")
    # Then his pager goes with him (it took the team's crisis pages too), and Casey's stays
    assert code == 0 and "1 pager(s)" in out
    assert [p["coach_id"] for p in listed(cli, "pager", "list")] == ["c1"]


@pytest.mark.parametrize(("argv", "fragment"), [
    (["--id", "Casey!", "--name", "C", "--email", "c@p.example"], "coach id must be"),
    (["--id", "c1", "--name", "C", "--email", "not-an-email"], "not an e-mail address"),
    (["--id", "c1", "--name", "C", "--email", "c@p.example", "--phone", "555-CALL-NOW"], "E.164"),
    (["--id", "c1", "--name", "C", "--email", "c@p.example", "--phone", "+１５５５０１００００１"], "ASCII digits"),
])
def test_coach_add_errors(cli, argv, fragment):
    one_line_error(cli("coach", "add", *argv), fragment)


# --------------------------------------------------------------------------------------- pagers


def test_pager_subscribe_and_list(cli):
    add_coaches(cli)
    code, out, _ = cli("pager", "subscribe", "--coach", "c1", "--protocol", "sms", "--endpoint", "+15550199001")
    assert code == 0 and "subscribed" in out
    code, out, _ = cli("pager", "subscribe", "--coach", "c2", "--protocol", "email", "--endpoint",
                       "jordan@practice.example")
    assert code == 0 and "--authenticate-on-unsubscribe true" in out
    assert cli("pager", "subscribe", "--coach", "c2", "--protocol", "https", "--endpoint",
               "https://pager.example/hook")[0] == 0

    pagers = listed(cli, "pager", "list")
    assert {(p["coach_id"], p["protocol"]) for p in pagers} >= {("c1", "sms"), ("c2", "email"), ("c2", "https")}
    assert next(p for p in pagers if p["protocol"] == "sms")["endpoint"] == "+1…01"  # a number is never printed
    assert {p["coach_id"] for p in listed(cli, "pager", "list", "--coach", "c2")} == {"c2"}


@pytest.mark.parametrize(("argv", "fragment"), [
    (["--coach", "nobody", "--protocol", "sms", "--endpoint", "+15550199001"], "no coach 'nobody'"),
    (["--coach", "c1", "--protocol", "sms", "--endpoint", "12"], "E.164"),
    (["--coach", "c1", "--protocol", "email", "--endpoint", "casey"], "e-mail address"),
    (["--coach", "c1", "--protocol", "https", "--endpoint", "http://pager.example"], "https://"),
])
def test_pager_subscribe_errors(cli, argv, fragment):
    add_coaches(cli)
    one_line_error(cli("pager", "subscribe", *argv), fragment)


# --------------------------------------------------------------------------------------- rota


def test_rota_set_override_and_show(cli):
    add_coaches(cli)
    start, end = NOW - timedelta(hours=1), NOW + timedelta(days=7)
    assert cli("rota", "set", "--primary", "c1", "--backup", "c2", "--from", start.isoformat(),
               "--to", end.isoformat())[0] == 0
    code, out, _ = cli("rota", "show")
    assert code == 0 and out.splitlines()[-1].endswith("go to: c1")

    assert cli("rota", "override", "--primary", "c2", "--to", (NOW + timedelta(hours=4)).isoformat())[0] == 0
    shifts = {s["rota"]: s for s in listed(cli, "rota", "show")}
    assert shifts["override"]["primary"] == "c2" and shifts["primary"]["primary"] == "c1"
    assert cli("rota", "show")[1].splitlines()[-1].endswith("go to: c2")


def test_a_shift_set_inside_a_longer_one_says_it_ends_it_early_and_how_to_close_the_gap(cli):
    # Given Casey on the primary rota for a week
    add_coaches(cli)
    week_end = (NOW + timedelta(days=7)).replace(microsecond=0)
    assert cli("rota", "set", "--primary", "c1", "--from", (NOW - timedelta(hours=1)).isoformat(),
               "--to", week_end.isoformat())[0] == 0
    # When Jordan is set for two days from now
    code, out, err = cli("rota", "set", "--primary", "c2", "--to", (NOW + timedelta(days=2)).isoformat())
    # Then it is done, and ops are told that Casey's shift ends early and nobody is on call after Jordan's
    assert code == 0 and "c2" in out
    assert err.startswith("note: this ends c1's primary shift") and "pages go to the whole team" in err
    assert "moodline rota set --primary c1 --from" in err
    later = cli("rota", "show", "--at", (NOW + timedelta(days=3)).isoformat())[1]
    assert later.splitlines()[-1].endswith("the whole team (nobody on call)")


@pytest.mark.parametrize(("argv", "fragment"), [
    (["set", "--primary", "nobody", "--to", "2030-01-01T00:00Z"], "no coach 'nobody'"),
    (["set", "--primary", "c1", "--to", "2001-01-01T00:00Z"], "end after it starts"),
    (["set", "--primary", "c1", "--to", "next tuesday"], "--to must be ISO-8601"),
    (["override", "--primary", "c1", "--backup", "c1", "--to", "2030-01-01T00:00Z"], "another coach"),
])
def test_rota_errors(cli, argv, fragment):
    add_coaches(cli)
    one_line_error(cli("rota", *argv), fragment)


# --------------------------------------------------------------------------------------- clients

ENROL = ["client", "enroll", "--name", "Ana", "--timezone", "America/New_York", "--checkin-time", "09:00",
         "--coach", "c1"]


def test_client_enroll_asks_for_consent_by_sms_unless_consent_is_on_file(cli):
    add_coaches(cli)
    code, out, _ = cli(*ENROL, "--phone", "+15550100001")
    assert code == 0 and "welcome SMS asks for YES" in out
    code, out, _ = cli("client", "enroll", "--name", "Ben", "--phone", "+15550100002", "--timezone",
                       "America/Chicago", "--checkin-time", "18:30", "--coach", "c2",
                       "--consent-on-file", "paper form signed at intake, taken by Jordan")
    assert code == 0 and "consent on file" in out

    clients = {c["name"]: c for c in listed(cli, "client", "list")}
    assert {"client_id", "name", "timezone", "coach_id", "status"} <= set(clients["Ana"])
    assert clients["Ana"]["status"] == "pending_consent" and clients["Ben"]["status"] == "active"
    assert clients["Ben"]["consent"] == "on file" and clients["Ben"]["timezone"] == "America/Chicago"
    assert [c["name"] for c in listed(cli, "client", "list", "--coach", "c2")] == ["Ben"]
    assert "+15550100001" not in cli("client", "list")[1]  # numbers are redacted in the roster


@pytest.mark.parametrize(("argv", "fragment"), [
    (["--phone", "+15550100001", "--timezone", "America/Gotham"], "unknown IANA timezone"),
    (["--phone", "555-CALL-NOW"], "not an E.164 phone number"),
    (["--phone", "+１５５５０１００００１"], "ASCII digits"),
    (["--phone", "+15550100001", "--checkin-time", "23:00"], "quiet hours"),
    (["--phone", "+15550100001", "--locale", "de-DE"], "triage cannot read 'de-DE'"),
    (["--phone", "+4915123456789", "--timezone", "Europe/Berlin"], "no crisis lines configured"),
    (["--phone", "+15550100001", "--country", "FR"], "no crisis lines configured for country FR"),
    (["--phone", "+15550100001", "--coach", "nobody"], "no coach 'nobody'"),
    (["--phone", "+15550100001", "--consent-on-file", " "], "needs a note"),
])
def test_client_enroll_errors_are_one_line(cli, argv, fragment):
    add_coaches(cli)
    base = dict(zip(ENROL[2::2], ENROL[3::2], strict=True))
    for flag, value in zip(argv[::2], argv[1::2], strict=True):
        base[flag] = value
    one_line_error(cli("client", "enroll", *[x for pair in base.items() for x in pair]), fragment)
    assert listed(cli, "client", "list") == []


def test_a_locale_triage_cannot_read_is_accepted_with_review_all(cli):
    add_coaches(cli)
    assert cli(*ENROL, "--phone", "+15550100001", "--locale", "de-DE", "--review-all")[0] == 0
    [client] = listed(cli, "client", "list")
    assert client["locale"] == "de-DE" and client["review_all"] is True


def test_client_pause_resume_move_set_time_and_set_locale(cli):
    add_coaches(cli)
    cli(*ENROL, "--phone", "+15550100001", "--consent-on-file", "verbal, by phone, Casey")
    [ana] = listed(cli, "client", "list")
    cid = ana["client_id"]

    assert cli("client", "pause", cid)[0] == 0
    assert listed(cli, "client", "list")[0]["status"] == "paused"
    assert listed(cli, "client", "list", "--status", "paused")[0]["client_id"] == cid
    one_line_error(cli("client", "pause", cid), "not active")
    assert cli("client", "resume", cid)[0] == 0
    [ana] = listed(cli, "client", "list")
    assert ana["status"] == "active" and ana["next_probe_at"] is not None

    assert cli("client", "move", cid, "--coach", "c2")[0] == 0
    assert cli("client", "set-time", cid, "10:15", "--timezone", "Europe/London")[0] == 0
    assert cli("client", "set-locale", cid, "es-US")[0] == 0
    [ana] = listed(cli, "client", "list")
    assert (ana["coach_id"], ana["checkin_time"], ana["timezone"], ana["locale"]) == (
        "c2", "10:15", "Europe/London", "es-US")

    # The flags `client enroll` uses work here too
    assert cli("client", "set-time", cid, "--checkin-time", "9:30")[0] == 0
    assert cli("client", "set-locale", cid, "--locale", "en-US")[0] == 0
    [ana] = listed(cli, "client", "list")
    assert (ana["checkin_time"], ana["locale"]) == ("09:30", "en-US")
    one_line_error(cli("client", "set-time", cid), "missing a check-in time")
    one_line_error(cli("client", "set-time", cid, "10:00", "--checkin-time", "11:00"), "two values")
    assert cli("client", "set-time", cid, "9:30:00", "--checkin-time", "09:30")[0] == 0  # one time, two spellings
    one_line_error(cli("client", "set-time", cid, "06:00"), "quiet hours")
    one_line_error(cli("client", "set-locale", cid, "fr-FR"), "triage cannot read")
    one_line_error(cli("client", "move", cid, "--coach", "nobody"), "no coach 'nobody'")
    for command in (["pause", "cl_nope"], ["resume", "cl_nope"], ["move", "cl_nope", "--coach", "c1"],
                    ["set-time", "cl_nope", "10:00"], ["set-locale", "cl_nope", "en-US"], ["export", "cl_nope"],
                    ["erase", "cl_nope", "--yes"]):
        one_line_error(cli("client", *command), "no client 'cl_nope'")


def test_client_export_and_erase(cli):
    add_coaches(cli)
    cli(*ENROL, "--phone", "+15550100001")
    [ana] = listed(cli, "client", "list")
    code, out, _ = cli("client", "export", ana["client_id"])
    assert code == 0 and json.loads(out)["client"]["display_name"] == "Ana"
    one_line_error(cli("client", "erase", ana["client_id"]), "--yes")
    assert cli("client", "erase", ana["client_id"], "--yes")[0] == 0
    assert listed(cli, "client", "list") == []


def test_client_import_enrols_good_rows_names_bad_ones_and_never_enrols_twice(cli, tmp_path):
    add_coaches(cli)
    csv_file = tmp_path / "clients.csv"
    csv_file.write_text("\n".join([
        HEADER,
        "Ana,+15550100001,America/New_York,09:00,en-US,c1",
        "Ben,+1 (555) 010-0002,America/Chicago,18:30,es-US,c2",
        "Cy,+15550100003,Mars/Olympus,09:00,en-US,c1",
        "Di,+１５５５０１００００４,America/New_York,09:00,en-US,c1",
        "Ed,+15550100005,America/New_York,22:30,en-US,c1",
        "Flo,+15550100006,America/New_York,09:00,de-DE,c1",
        "Gus,+4915123456789,Europe/Berlin,09:00,en-GB,c1",
        "Hal,+15550100008,America/New_York,09:00,en-US,nobody",
        "Ivy,+15550100009,America/New_York",
        "Jo,+447700900123,Europe/London,10:00,en-GB,c2",
    ]) + "\n")

    code, out, err = cli("client", "import", str(csv_file))

    assert code == 1
    assert out.strip() == "3 enrolled, 0 already enrolled (skipped), 7 refused"
    refused = err.splitlines()
    assert [line.split(":")[0] for line in refused] == [f"line {n}" for n in range(4, 11)]
    assert "unknown IANA timezone" in refused[0] and "ASCII digits" in refused[1] and "quiet hours" in refused[2]
    assert "triage cannot read" in refused[3] and "no crisis lines" in refused[4] and "no coach" in refused[5]
    assert "expected 6 fields, got 3" in refused[6]
    assert sorted(c["name"] for c in listed(cli, "client", "list")) == ["Ana", "Ben", "Jo"]

    # The same file again: nobody enrolled twice, the same rows refused
    code, out, err = cli("client", "import", str(csv_file))
    assert code == 1 and out.strip() == "0 enrolled, 3 already enrolled (skipped), 7 refused"
    assert len(listed(cli, "client", "list")) == 3

    # Fixed: only the good rows left, exit 0
    good = [line for n, line in enumerate(csv_file.read_text().splitlines(), start=1) if n in (1, 2, 3, 11)]
    csv_file.write_text("\n".join(good) + "\n")
    assert cli("client", "import", str(csv_file))[0] == 0


def test_client_import_errors(cli, tmp_path):
    one_line_error(cli("client", "import", str(tmp_path / "missing.csv")), "cannot read")
    bad = tmp_path / "bad.csv"
    bad.write_text("name,phone\nAna,+15550100001\n")
    one_line_error(cli("client", "import", str(bad)), "line 1: the header must be " + HEADER)


def test_client_import_reads_a_spreadsheets_csv_columns_in_any_order_semicolons_and_quoted_line_breaks(cli, tmp_path):
    # Given a spreadsheet's export: a BOM, CRLF line ends, semicolons, the columns reordered and capitalised,
    # a quoted cell with a line break in it, and the same number twice written two ways
    add_coaches(cli)
    csv_file = tmp_path / "clients.csv"
    csv_file.write_bytes("\r\n".join([
        "\ufeffPhone;Name;Coach_ID;Timezone;Checkin_Time;Locale",
        "+15550100001;Zoë;c1;Europe/Madrid;09:00;es",
        '+15550100002;"Ben\nB.";c1;America/Chicago;18:30;en-US',
        "+1 (555) 010-0001;Zoe again;c2;Europe/Madrid;09:00;es",
        "+15550100004;Di;c1;America/New_York;09:00;en-US",
    ]).encode() + b"\r\n")
    # When it is imported
    code, out, err = cli("client", "import", str(csv_file))
    # Then the good rows are enrolled, the name keeps its accent, and the refused rows are named by the line an
    # editor shows (the quoted break makes Ben's row two lines): the number already used on line 2, on line 5
    assert out.strip() == "2 enrolled, 0 already enrolled (skipped), 2 refused", err
    assert err.splitlines()[-1] == "line 5: the same phone number as line 2"
    assert err.splitlines()[0].startswith("line 3: ")  # a line break is no part of a name
    assert code == 1
    assert sorted(c["name"] for c in listed(cli, "client", "list")) == ["Di", "Zoë"]


def test_client_import_refuses_a_file_that_is_not_utf8_at_its_line_and_enrols_nothing(cli, tmp_path):
    # Given a roster saved by a spreadsheet in Windows-1252, a name with an accent on line 3
    add_coaches(cli)
    csv_file = tmp_path / "clients.csv"
    csv_file.write_bytes("\n".join([HEADER, "Ana,+15550100001,America/New_York,09:00,en-US,c1",
                                     "Zoë,+15550100002,Europe/Madrid,09:00,es,c1"]).encode("cp1252"))
    # When it is imported, then one line says where and what to do, and nobody is enrolled (no garbled names)
    one_line_error(cli("client", "import", str(csv_file)), 'line 3: not UTF-8 text; save the file as "CSV UTF-8"')
    assert listed(cli, "client", "list") == []


def test_client_import_takes_excels_trailing_empty_columns_and_times_and_zones_as_sheets_write_them(cli, tmp_path):
    # Given an Excel export: two empty columns after the last one used, "9:00" and "9:00:00", a zone in lower case
    add_coaches(cli)
    csv_file = tmp_path / "clients.csv"
    csv_file.write_text("\r\n".join([
        "Name;Phone;Timezone;Checkin_Time;Locale;Coach_ID;;",
        "Ana;+15550100001;america/new_york;9:00;en-US;c1;;",
        "Ben;+15550100002;America/Chicago;09:00:00;en-US;c1;;",
        "Cy;+15550100003;America/Chicago;21:00;en-US;c1;;",
        "Di;+15550100004;America/Chicago;09:00;en-US;c1;;oops",
    ]) + "\r\n")
    # When it is imported
    code, out, err = cli("client", "import", str(csv_file))
    assert code == 1
    # Then the rows are read, stored as the roster writes them, and 21:00 is refused by a message that says why
    assert out.strip() == "2 enrolled, 0 already enrolled (skipped), 2 refused", err
    assert err.splitlines() == [
        "line 4: check-in time must be from 08:00 to 20:45 local (21:00-08:00 is quiet hours)",
        "line 5: expected 6 fields, got 8"]
    assert sorted((c["name"], c["timezone"], c["checkin_time"]) for c in listed(cli, "client", "list")) == [
        ("Ana", "America/New_York", "09:00"), ("Ben", "America/Chicago", "09:00")]


def test_a_row_already_enrolled_with_other_details_is_skipped_with_a_note_of_what_differs(cli, tmp_path):
    # Given Ana enrolled by an import
    add_coaches(cli)
    csv_file = tmp_path / "clients.csv"
    csv_file.write_text(f"{HEADER}\nAna,+15550100001,America/New_York,09:00,en-US,c1\n")
    assert cli("client", "import", str(csv_file))[0] == 0
    # When the file comes back with her coach and time changed (and the same time spelt another way)
    csv_file.write_text(f"{HEADER}\nAna,+1 555 010 0001,America/New_York,10:00,en-US,c2\n")
    code, out, err = cli("client", "import", str(csv_file))
    # Then nothing is changed or refused, and a note says what differs and how to change it
    assert code == 0 and out.strip() == "0 enrolled, 1 already enrolled (skipped), 0 refused"
    assert err.startswith("note: line 2: already enrolled as Ana (cl_")
    assert "this row's coach_id, checkin_time differ and were not applied" in err
    # And a row identical but for spelling gets no note
    csv_file.write_text(f"{HEADER}\nAna,+15550100001,america/new_york,9:00,en-US,c1\n")
    assert cli("client", "import", str(csv_file))[2] == ""


def test_an_empty_file_is_named_as_empty(cli, tmp_path):
    csv_file = tmp_path / "clients.csv"
    csv_file.write_text("")
    one_line_error(cli("client", "import", str(csv_file)), "line 1: the file is empty")


def test_client_import_names_the_missing_and_unknown_columns(cli, tmp_path):
    csv_file = tmp_path / "clients.csv"
    csv_file.write_text("name,phone,tz,checkin_time,locale,coach_id\n")
    one_line_error(cli("client", "import", str(csv_file)), "line 1: the header must be", "missing timezone",
                   "unknown 'tz'")


def test_an_aws_fault_stops_the_import_at_its_line_keeps_what_was_enrolled_and_a_rerun_finishes(cli, tmp_path,
                                                                                              monkeypatch):
    # Given a five-row roster, and DynamoDB failing the client write of the third row
    import botocore.client
    from botocore.exceptions import ClientError

    add_coaches(cli)
    csv_file = tmp_path / "clients.csv"
    csv_file.write_text("\n".join([HEADER] + [f"C{i},+1555010000{i},America/New_York,09:00,en-US,c1"
                                              for i in range(1, 6)]) + "\n")
    real = botocore.client.BaseClient._make_api_call
    clients_table = os.environ["CLIENTS_TABLE"]

    def flaky(self, operation, params):
        if operation == "PutItem" and params.get("TableName") == clients_table and "C3" in json.dumps(params):
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "Internal server error"}},
                              operation)
        return real(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", flaky)
    # When it is imported
    code, out, err = cli("client", "import", str(csv_file))
    # Then the import stops at line 4, says so in one line, and keeps the two rows before it
    assert code == 1 and out.strip() == "2 enrolled, 0 already enrolled (skipped), 1 refused"
    assert err.strip() == ("line 4: not stored, AWS refused: Internal server error; stopped here, lines 4-6 not "
                           "tried (3 rows): run the same file again once it is fixed")
    assert sorted(c["name"] for c in listed(cli, "client", "list")) == ["C1", "C2"]
    # And once DynamoDB is back, the same file finishes the job: C3's number was not left held by nobody
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", real)
    code, out, err = cli("client", "import", str(csv_file))
    assert (code, out.strip(), err) == (0, "3 enrolled, 2 already enrolled (skipped), 0 refused", "")
    assert len(listed(cli, "client", "list")) == 5


# --------------------------------------------------------------------------------------- alerts


# Outside Lambda, Powertools' idempotency cannot read the remaining time: it says so, and uses its default expiry.
@pytest.mark.filterwarnings("ignore:Couldn't determine the remaining time left")
def test_alert_list_show_ack_and_resolve(cli, monkeypatch):
    add_coaches(cli)
    monkeypatch.setenv("TWILIO_FROM_NUMBER", "+15005550006")  # scoring may text resources (not here: answered)
    cli(*ENROL, "--phone", "+15550100001", "--consent-on-file", "signed form")
    services = Services.from_env()
    services.inbound.receive(InboundSms("SM" + "7" * 32, "AC" + "0" * 32, "+15550100001", "+1",
                                        "i want to kill myself tonight"), NOW)
    for reply in services.messages.unscored_replies(NOW - timedelta(minutes=1)):  # what the stream does
        services.scorer.score(reply)

    [alert] = listed(cli, "alert", "list")
    assert alert["level"] == "crisis" and alert["status"] == "open"
    code, out, _ = cli("alert", "show", alert["alert_id"])
    assert code == 0 and "i want to kill myself tonight" in out
    assert cli("alert", "ack", alert["alert_id"], "--by", "c1")[0] == 0
    assert listed(cli, "alert", "list")[0]["acknowledged_by"] == "c1"
    assert cli("alert", "resolve", alert["alert_id"], "--by", "c1", "--outcome", "follow_up")[0] == 0
    assert listed(cli, "alert", "list") == []
    one_line_error(cli("alert", "show", "al_nope"), "no such alert")
    one_line_error(cli("alert", "ack", alert["alert_id"], "--by", "nobody"), "no coach 'nobody'")
    one_line_error(cli("alert", "resolve", alert["alert_id"], "--by", "ghost", "--outcome", "false_alarm"),
                   "no coach 'ghost'")
    one_line_error(cli("alert", "ack", "al_nope", "--by", "c1"), "no such alert")


# --------------------------------------------------------------------------------------- where it points


def test_with_no_stack_and_no_serve_the_cli_says_how_to_point_it(monkeypatch, capsys, tmp_path):
    for name in ("CLIENTS_TABLE", "MESSAGES_TABLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MOODLINE_LOCAL_STATE", str(tmp_path / "serve.json"))
    assert main(["client", "list"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--stack NAME" in err and "make serve" in err


def test_a_stale_serve_state_file_is_named(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("CLIENTS_TABLE", raising=False)
    state = tmp_path / "serve.json"
    state.write_text(json.dumps({"pid": 2**22 + 12345, "endpoint_url": "http://127.0.0.1:1", "env": {}}))
    monkeypatch.setenv("MOODLINE_LOCAL_STATE", str(state))
    assert main(["alert", "list"]) == 2
    assert "is not running" in capsys.readouterr().err


def test_stack_reads_the_outputs_and_the_webhook_functions_environment(aws, monkeypatch, capsys):
    # Given a deployed stack (a CloudFormation stack on moto) whose webhook function carries the settings,
    # and nothing exported in the shell
    environment = {name: os.environ[name] for name in (
        "CLIENTS_TABLE", "MESSAGES_TABLE", "ALERTS_TABLE", "COACHES_TABLE", "ONCALL_TABLE", "IDEMPOTENCY_TABLE",
        "APP_SECRET_ID", "DUE_SHARDS")}
    for name in [*environment, "USER_POOL_ID"]:
        monkeypatch.delenv(name)
    role = boto3.client("iam").create_role(RoleName="moodline-ingest", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    template = {
        "Resources": {"IngestSmsFunction": {"Type": "AWS::Lambda::Function", "Properties": {
            "Runtime": "python3.12", "Handler": "app.handler", "Role": role,
            "Code": {"ZipFile": "def handler(event, context): pass"},
            "Environment": {"Variables": environment}}}},
        "Outputs": {"CoachUserPoolId": {"Value": aws["CoachUserPool"].name}},
    }
    boto3.client("cloudformation").create_stack(StackName="moodline-dev", TemplateBody=json.dumps(template))

    # When ops add a coach and list them with --stack
    assert main(["coach", "add", "--stack", "moodline-dev", "--region", "us-east-1", "--id", "c1", "--name",
                 "Casey", "--email", "casey@practice.example"]) == 0
    out = capsys.readouterr().out
    assert main(["--stack", "moodline-dev", "coach", "list", "--json"]) == 0

    # Then the coach and their sign-in are in that stack's table and user pool
    assert "temporary password" in out
    assert json.loads(capsys.readouterr().out)["coach_id"] == "c1"
    assert main(["coach", "list", "--stack", "moodline-missing"]) == 2
    assert "moodline-missing" in capsys.readouterr().err


def test_the_cli_finds_moodline_serve_where_serve_writes_its_state(monkeypatch, tmp_path):
    # Given the state file serve writes, at the path serve chooses (the shipped CLI cannot import the local stack,
    # so this holds the two spellings of the path and the keys together)
    from moodline.cli import _from_local_state, local_state_path
    from moodline_local.serve import default_state_path, write_state

    monkeypatch.setenv("MOODLINE_LOCAL_STATE", str(tmp_path / "local.json"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", "unset")  # the CLI sets it: monkeypatch restores it afterwards
    assert local_state_path() == default_state_path()
    write_state(default_state_path(), {"version": 1, "pid": os.getpid(), "endpoint_url": "http://127.0.0.1:4566",
                                       "env": {"CLIENTS_TABLE": "clients-local"}, "region": "us-east-1"})
    # When the CLI reads it / Then it points at that endpoint with that environment
    connection = _from_local_state(local_state_path())
    assert connection.local and connection.environment == {"CLIENTS_TABLE": "clients-local"}
    assert os.environ["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
