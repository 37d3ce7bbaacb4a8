"""The coach function on a moto *server* (Cognito, DynamoDB, SNS) with the Twilio stand-in: real sign-in,
the JWKS fetched over HTTP, and every action landing in the same tables the rest of Moodline reads."""

from __future__ import annotations

import base64
import io
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from html import unescape
from typing import Any
from urllib.parse import quote, urlencode

import boto3
import botocore.endpoint
import pytest
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

from moodline.domain import SHOULD_HAVE_PAGED
from moodline.vocabulary import AlertStatus, MessageKind
from tests.e2e.harness import Seeded, create_coach_user, invite_coach, workspace_server


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Browser:
    """Just enough of a browser: cookies by name (Secure ones too: this is http://localhost), no redirects."""

    def __init__(self, seeded: Seeded) -> None:
        self.seeded = seeded
        self.cookies: dict[str, str] = {}
        self._opener = urllib.request.build_opener(_NoRedirect)

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        url = path if path.startswith("http") else self.seeded.url(path)
        data = urlencode(form).encode() if form is not None else None
        req = urllib.request.Request(url, data=data, method=method)
        if self.cookies:
            req.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        try:
            response = self._opener.open(req)
        except urllib.error.HTTPError as exc:
            response = exc
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, value = cookie.split(";", 1)[0].split("=", 1)
            if "Max-Age=0" in cookie:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response.status, dict(response.headers), response.read().decode()

    def csrf(self, html: str) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', html)
        assert found is not None
        return found.group(1)

    def sign_in(self, email: str, password: str, next_path: str = "") -> tuple[int, dict[str, str], str]:
        _, _, html = self.request("GET", "/sign-in" + (f"?next={next_path}" if next_path else ""))
        return self.request("POST", "/sign-in", {"email": email, "password": password, "csrf": self.csrf(html),
                                                 "next": next_path})

    def post(self, path: str, page_html: str, form: dict[str, str]) -> tuple[int, dict[str, str], str]:
        return self.request("POST", path, {**form, "csrf": self.csrf(page_html)})

    def answer(self, form: dict[str, str]) -> tuple[int, dict[str, str], str]:
        """Fill in the sign-in step the workspace shows (a new password, a TOTP code)."""
        status, _, page = self.request("GET", "/sign-in/step")
        assert status == 200, page
        return self.post("/sign-in/step", page, form)


@pytest.fixture(scope="module")
def seeded() -> Iterator[Seeded]:
    with workspace_server(io.StringIO()) as s:
        yield s


def as_coach(seeded: Seeded, coach_id: str) -> Browser:
    browser = Browser(seeded)
    status, headers, _ = browser.sign_in(seeded.coaches[coach_id], seeded.password)
    assert status == 303, headers
    return browser


def text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_a_coach_signs_in_with_cognito_and_reads_the_alert_which_is_audited(seeded):
    # Given a real crisis alert for Ben, paged to Casey (c1) on call
    assert seeded.alert_id
    browser = Browser(seeded)
    # When Casey follows the alert link without a session, signs in and is returned
    status, headers, _ = browser.request("GET", f"/alerts/{seeded.alert_id}")
    assert status == 303 and "/Prod/coach/sign-in?next=" in headers["Location"]
    status, headers, _ = browser.sign_in(seeded.coaches["c1"], seeded.password, f"/Prod/coach/alerts/{seeded.alert_id}")
    assert status == 303 and headers["Location"] == f"/Prod/coach/alerts/{seeded.alert_id}"
    status, headers, html = browser.request("GET", f"/alerts/{seeded.alert_id}")
    # Then the page shows the reply (escaped), and the view is in the audit table
    assert status == 200 and "saying goodbye tonight" in text(html)
    assert "<script>alert(1)</script>" not in html
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    audit = seeded.services.audit.of_client(seeded.clients["ben"].client_id)
    assert [(a.coach_id, a.what) for a in audit][-1] == ("c1", "alert")


def test_a_return_path_with_other_characters_comes_back_percent_encoded_over_http(seeded):
    # Given a sign-in link whose return path has a character no HTTP header can carry as it is (U+3002)
    browser = Browser(seeded)
    _, _, page = browser.request("GET", "/sign-in?next=" + quote("/Prod/coach/。x"))
    # When the coach signs in (through the same HTTP server code as `moodline-local serve`)
    status, headers, _ = browser.request("POST", "/sign-in", {
        "email": seeded.coaches["c1"], "password": seeded.password, "csrf": browser.csrf(page),
        "next": "/Prod/coach/。x"})
    # Then the answer is written, not dropped (UnicodeEncodeError), and returns there in ASCII
    assert status == 303 and headers["Location"] == "/Prod/coach/%E3%80%82x"


def test_a_wrong_password_is_refused_by_cognito(seeded):
    status, _, html = Browser(seeded).sign_in(seeded.coaches["c1"], "wrong-password-1")
    assert status == 401 and "do not match" in html


def test_another_coach_cannot_open_bens_thread_but_an_admin_can(seeded):
    ben = seeded.clients["ben"].client_id
    assert as_coach(seeded, "c2").request("GET", f"/clients/{ben}")[0] == 404
    assert as_coach(seeded, "ad").request("GET", f"/clients/{ben}")[0] == 200


def test_an_admins_inbox_holds_every_coachs_waiting_replies_from_the_review_index(seeded):
    # Given the waiting replies of two coaches' clients (Jordan's Zoe among them)
    own = text(as_coach(seeded, "c2").request("GET", "/inbox")[2])
    # When an admin opens the inbox (read from the unreviewed index on DynamoDB, not from every client)
    status, _, html = as_coach(seeded, "ad").request("GET", "/inbox")
    # Then it holds Jordan's waiting replies and at least as many as any one coach's
    count = re.search(r"(\d+) repl(?:y is|ies are) waiting", text(html))
    own_count = re.search(r"(\d+) repl(?:y is|ies are) waiting", own)
    assert status == 200 and count is not None and own_count is not None
    assert int(count.group(1)) >= int(own_count.group(1)) >= 1
    assert seeded.clients["zoe"].client_id in html


def test_acknowledge_text_and_resolve_reach_the_real_tables_and_twilio(seeded):
    browser = as_coach(seeded, "c1")
    ben = seeded.clients["ben"]
    _, _, page = browser.request("GET", f"/alerts/{seeded.alert_id}")
    # When Casey acknowledges
    assert browser.post(f"/alerts/{seeded.alert_id}/acknowledge", page, {})[0] == 303
    alert = seeded.services.alerts.get(seeded.alert_id)
    assert alert is not None and alert.status is AlertStatus.ACKNOWLEDGED and not alert.pending
    assert alert.timeline[-1].detail == "by c1 via workspace"
    # And texts Ben, tapping Send twice on the same form
    submission = re.search(r'name="submission" value="([^"]+)"', page)
    assert submission is not None
    form = {"body": "Hi Ben, it's Casey. Can I call you now?", "submission": submission.group(1),
            "back": f"/alerts/{seeded.alert_id}"}
    before = len(seeded.stack.twilio.messages_to("+15550100002"))
    assert browser.post(f"/clients/{ben.client_id}/text", page, form)[0] == 303
    assert browser.post(f"/clients/{ben.client_id}/text", page, form)[0] == 303
    # Then exactly one SMS left, stored as an outbound coach message with Casey's id
    assert len(seeded.stack.twilio.messages_to("+15550100002")) == before + 1
    rows = [m for m in seeded.services.messages.between(ben.client_id, datetime(2000, 1, 1, tzinfo=UTC),
                                                          datetime.now(UTC)) if m.kind is MessageKind.COACH]
    assert len(rows) == 1 and rows[0].coach_id == "c1" and rows[0].direction == "outbound"
    # And resolving closes the episode
    _, _, page = browser.request("GET", f"/alerts/{seeded.alert_id}")
    assert browser.post(f"/alerts/{seeded.alert_id}/resolve", page, {"outcome": "true_alarm", "note": "safe"})[0] == 303
    assert seeded.services.alerts.get(seeded.alert_id).status is AlertStatus.RESOLVED
    assert seeded.services.clients.get(ben.client_id).open_alert_id is None


def test_an_opted_out_client_is_not_texted(seeded):
    browser = as_coach(seeded, "c1")
    amy = seeded.clients["amy"].client_id
    _, _, page = browser.request("GET", f"/clients/{amy}")
    status, _, html = browser.post(f"/clients/{amy}/text", page, {"body": "hi", "submission": "amy-1"})
    assert status == 409 and "tel:+15550100003" in html
    assert all(m.body != "hi" for m in seeded.stack.twilio.messages_to("+15550100003"))


def test_should_have_paged_opens_a_real_alert_and_records_a_triage_miss(seeded):
    browser = as_coach(seeded, "c2")
    _, _, inbox = browser.request("GET", "/inbox")
    zoe = seeded.clients["zoe"].client_id
    key = re.search(rf'name="client_id" value="{zoe}">\s*<input type="hidden" name="key" value="([^"]+)"', inbox)
    assert key is not None and "replies are waiting" in text(inbox)
    status, headers, _ = browser.post("/inbox/mark", inbox, {"client_id": zoe, "key": unescape(key.group(1)),
                                                             "mark": "should_have_paged"})
    assert status == 303 and "/alerts/al_" in headers["Location"]
    alert = seeded.services.alerts.get(headers["Location"].split("/alerts/")[1].split("?")[0])
    assert alert is not None and alert.client_id == zoe and "coach.should_have_paged" in alert.reasons
    assert [e.event for e in alert.timeline][:2] == ["raised", "paged"]
    misses = seeded.services.reviews.with_mark(SHOULD_HAVE_PAGED, datetime(2000, 1, 1, tzinfo=UTC))
    assert [(m.client_id, m.coach_id) for m in misses] == [(zoe, "c2")]



def test_replay_counts_the_triage_miss_per_rule_family(seeded, monkeypatch, capsys):
    # Given the miss Jordan recorded above, and ops running the CLI with the coach function's environment
    from moodline.cli import main

    for name, value in seeded.stack.runtime.functions["CoachWebFunction"].environment.items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    # When replaying
    assert main(["score", "--replay"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    # Then the summary counts the miss, and it is listed under a rule family (Zoe's reply was a low mood)
    assert lines[-1]["misses"] == 1 and lines[-1]["misses_caught_now"] in (0, 1)
    families = [line for line in lines if "miss_family" in line]
    assert sum(f["misses"] for f in families) >= 1 and all(f["misses"] >= f["caught_now"] for f in families)


def test_aws_calls_per_alert_page_view(seeded, monkeypatch):
    browser = as_coach(seeded, "c1")
    calls: list[str] = []
    original = botocore.endpoint.Endpoint.make_request

    def counting(self: Any, operation_model: Any, request_dict: Any) -> Any:
        calls.append(operation_model.name)
        return original(self, operation_model, request_dict)

    monkeypatch.setattr(botocore.endpoint.Endpoint, "make_request", counting)
    browser.request("GET", f"/alerts/{seeded.alert_id}")
    # the roster's coaches (the session check, and names for ids), alert, client, 28 days of messages, the audit
    # write (Secrets Manager is cached)
    assert len(calls) <= 5, calls


# --- sign-in steps on moto's Cognito ----------------------------------------------------------------


def cognito_client() -> Any:
    return boto3.client("cognito-idp", region_name="us-east-1")


def authenticator(secret: str) -> Callable[[], str]:
    """A TOTP app holding ``secret`` (RFC 6238, 6 digits, 30 s, SHA-1: what Cognito uses)."""
    totp = TOTP(base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True), 6, SHA1(), 30,
                enforce_key_length=False)

    def code_now() -> str:
        # Cognito (and moto) accept only the current 30 s window. Like a person who sees the code about to
        # change, wait for the next one when under 10 s are left, so a slow request cannot outlive it.
        left = 30 - time.time() % 30
        if left < 10:
            time.sleep(left + 0.05)
        return totp.generate(time.time()).decode()

    return code_now


def test_an_invited_coach_sets_a_new_password_with_cognito_and_is_signed_in(seeded):
    # Given a coach added as `moodline coach add` adds one: a temporary password, first sign-in pending
    email = "riley@practice.example"
    temporary = invite_coach(seeded.stack, "c4", "Riley", email)
    browser = Browser(seeded)
    # When Riley signs in with it, Cognito asks for a new password
    status, headers, _ = browser.sign_in(email, temporary, "/Prod/coach/clients")
    assert status == 303 and headers["Location"] == "/Prod/coach/sign-in/step" and "ml_step" in browser.cookies
    # And a password the pool's policy refuses is explained, the step staying open
    status, _, html = browser.answer({"new_password": "alllowercase-no-digits", "confirm_password":
                                      "alllowercase-no-digits"})
    assert status == 400 and "Use at least 12 characters, with an upper-case letter" in text(html)
    # When Riley sets a good one
    new = "Riley-Chose-This-2026"
    status, headers, _ = browser.answer({"new_password": new, "confirm_password": new})
    # Then Riley is signed in where the link pointed, and Cognito holds the new password
    assert status == 303 and headers["Location"] == "/Prod/coach/clients" and "ml_session" in browser.cookies
    assert "ml_step" not in browser.cookies
    assert browser.request("GET", "/clients")[0] == 200
    user = cognito_client().admin_get_user(UserPoolId=seeded.stack.resource("CoachUserPool").name, Username=email)
    assert user["UserStatus"] == "CONFIRMED"
    assert Browser(seeded).sign_in(email, new)[1]["Location"] == "/Prod/coach/alerts"


def test_a_coach_with_totp_preferred_enters_the_code_cognito_checks(seeded):
    # Given a coach who turned on TOTP in an authenticator app
    email = "morgan@practice.example"
    create_coach_user(seeded.stack, "c5", email)
    cognito = cognito_client()
    client_id = seeded.stack.runtime.functions["CoachWebFunction"].environment["USER_POOL_CLIENT_ID"]
    access = cognito.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={
        "USERNAME": email, "PASSWORD": seeded.password})["AuthenticationResult"]["AccessToken"]
    app = authenticator(cognito.associate_software_token(AccessToken=access)["SecretCode"])
    cognito.verify_software_token(AccessToken=access, UserCode=app())
    cognito.set_user_mfa_preference(AccessToken=access,
                                    SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    browser = Browser(seeded)
    # When Morgan signs in, the code step follows the password
    status, headers, _ = browser.sign_in(email, seeded.password)
    assert status == 303 and headers["Location"] == "/Prod/coach/sign-in/step"
    # Then a wrong code is refused by Cognito in plain words, and the step stays open
    status, _, html = browser.answer({"code": f"{(int(app()) + 1) % 10**6:06d}"})
    assert status == 400 and "That code is not right" in text(html)
    # And the code the app shows signs Morgan in
    status, headers, _ = browser.answer({"code": app()})
    assert status == 303 and headers["Location"] == "/Prod/coach/alerts" and "ml_session" in browser.cookies


def test_a_cognito_session_that_is_gone_sends_the_coach_back_to_sign_in(seeded):
    # Given a step whose Cognito session no longer exists (expired, used, or a restarted pool)
    from moodline.workspace.auth import Challenge, ChallengeExpired, CognitoSignIn
    from moodline.workspace.wiring import WorkspaceSettings

    env = seeded.stack.runtime.functions["CoachWebFunction"].environment
    signin = CognitoSignIn(WorkspaceSettings.from_env({**env, "AWS_REGION": "us-east-1",
                                                       "AWS_ENDPOINT_URL": seeded.stack.moto_url}).cognito)
    with pytest.raises(ChallengeExpired):
        signin.respond(Challenge("NEW_PASSWORD_REQUIRED", "f" * 40, "nobody"), {"NEW_PASSWORD": "Whatever-2026x"})
