"""The coach workspace on in-memory ports: sessions, CSRF, who sees what, and what each page shows."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import parse_qs, unquote, urlsplit

import boto3
import jwt
import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given
from hypothesis import strategies as st

from moodline.domain import has_words
from moodline.workspace import present
from moodline.workspace.app import Workspace
from moodline.workspace.auth import (
    MIN_PASSWORD_LENGTH,
    PASSWORD_RULES,
    AnswerRefused,
    Challenge,
    ChallengeExpired,
    CognitoConfig,
    CognitoSignIn,
    Jwks,
    SignInFailed,
    TokenVerifier,
    jwks_url,
)
from moodline.workspace.http import Request, Response
from moodline.workspace.ports import AlertView, ClientView, CoachView, MessageView, TimelineView
from moodline.workspace.session import csrf_token, safe_return_path
from tests.workspace_fakes import Account, MemoryActions, MemoryData, MemorySignIn

NOW = datetime(2026, 11, 30, 21, 0, tzinfo=UTC)
ROOT = "/Prod/coach"
CONFIG = CognitoConfig("us-east-1", "us-east-1_pool", "app-client")
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
CSRF_KEY = b"k" * 32
PASSWORDS = {"casey@practice.example": ("pw-casey", "c1", []), "jordan@practice.example": ("pw-jordan", "c2", []),
             "ada@practice.example": ("pw-ada", "c9", ["admins"])}


def token(coach_id: str = "c1", *, key: rsa.RSAPrivateKey = KEY, exp: datetime | None = None, aud: str = "app-client",
          token_use: str = "id", groups: list[str] | None = None, kid: str = "k1", **extra: object) -> str:
    claims = {"iss": CONFIG.issuer, "aud": aud, "token_use": token_use, "iat": int(NOW.timestamp()) - 60,
              "exp": int((exp or NOW + timedelta(hours=1)).timestamp()), "custom:coach_id": coach_id,
              "email": f"{coach_id}@practice.example", **extra}
    if groups:
        claims["cognito:groups"] = groups
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def jwks_document() -> dict[str, object]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
    return {"keys": [{**jwk, "kid": "k1", "alg": "RS256", "use": "sig"}]}


def accounts() -> dict[str, Account]:
    return {email: Account(password, lambda c=coach_id, g=groups: token(c, groups=g))
            for email, (password, coach_id, groups) in PASSWORDS.items()}


def at(days_ago: float, hour: int = 13) -> datetime:
    return (NOW - timedelta(days=days_ago)).replace(hour=hour, minute=5)


def reply(client_id: str, when: datetime, body: str, *, mood: float | None = None, level: str = "low",
          review: bool = False) -> MessageView:
    return MessageView(client_id, f"{when.isoformat()}#SM{abs(hash((client_id, body))) % 10**8}", when, "inbound",
                       "reply", body, mood, level, review=review)


def probe(client_id: str, when: datetime) -> MessageView:
    return MessageView(client_id, f"{when.isoformat()}#SMp", when, "outbound", "probe")


@pytest.fixture
def data() -> MemoryData:
    d = MemoryData()
    d.coaches = {"c1": CoachView("c1", "Casey"), "c2": CoachView("c2", "Jordan"), "c3": CoachView("c3", "Riley"),
                 "c7": CoachView("c7", "Sam")}
    d.clients = {
        "cl_ben": ClientView("cl_ben", "c1", "Ben", "+15550100002", "America/Los_Angeles", "active", "al_1"),
        "cl_amy": ClientView("cl_amy", "c1", "Amy", "+15550100003", "America/New_York", "stopped"),
        "cl_zoe": ClientView("cl_zoe", "c2", "Zoe", "+15550100004", "Europe/Madrid", "active"),
    }
    for day in range(28):
        d.add_message(probe("cl_ben", at(day, 17)))
        if day % 3:
            d.add_message(reply("cl_ben", at(day, 18), str(3 + day % 2), mood=3 + day % 2))
    crisis = d.add_message(reply("cl_ben", at(0, 20), "I can't do this anymore <script>alert(1)</script>",
                                 mood=1, level="crisis"))
    d.add_message(MessageView("cl_ben", f"{at(0, 20).isoformat()}#SMr", at(0, 20) + timedelta(seconds=1),
                              "outbound", "resources"))
    d.add_message(reply("cl_amy", at(2), "tired, work is a lot", mood=2, level="moderate"))
    d.add_message(reply("cl_amy", at(1), "4", mood=4))
    d.add_message(reply("cl_amy", at(0.5), "3", mood=3, review=True))
    d.add_message(reply("cl_zoe", at(1), "un poco triste", mood=2))
    d.alerts = {"al_1": AlertView("al_1", "cl_ben", "c1", "crisis", "open", at(0, 20), ("crisis.goodbye",),
                                  (crisis.key,), (TimelineView(at(0, 20), "raised", "crisis: crisis.goodbye"),
                                                  TimelineView(at(0, 20), "paged", "c2 (primary), step crisis")),
                                  ("c2",))}
    return d


@pytest.fixture
def actions(data: MemoryData) -> MemoryActions:
    return MemoryActions(data)


@pytest.fixture
def cognito() -> MemorySignIn:
    return MemorySignIn(accounts())


@pytest.fixture
def workspace(data: MemoryData, actions: MemoryActions, cognito: MemorySignIn) -> Workspace:
    verifier = TokenVerifier(CONFIG, Jwks("https://example.test/jwks.json", lambda url: jwks_document()),
                             clock=NOW.timestamp)
    return Workspace(data=data, actions=actions, verifier=verifier, sign_in=cognito, csrf_key=lambda: CSRF_KEY)


def get(ws: Workspace, path: str, session: str | None = None, **query: str) -> Response:
    cookie = f"ml_session={session}" if session else ""
    return ws.handle(Request("GET", path, ROOT, NOW, query=query, cookie=cookie))


def post(ws: Workspace, path: str, session: str | None, form: dict[str, str], *, csrf: bool = True,
         cookie: str = "") -> Response:
    form = dict(form)
    if csrf and session:
        form["csrf"] = csrf_token(CSRF_KEY, session)
    return ws.handle(Request("POST", path, ROOT, NOW, form=form,
                             cookie=cookie or (f"ml_session={session}" if session else "")))


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


# --- sign-in, sessions, CSRF --------------------------------------------------------------------------


def sign_in(ws: Workspace, email: str, password: str, next_path: str = "") -> Response:
    page = get(ws, "/sign-in", next=next_path) if next_path else get(ws, "/sign-in")
    nonce = page.cookies[0].split(";", 1)[0].split("=", 1)[1]
    field = re.search(r'name="csrf" value="([^"]+)"', page.body)
    assert field is not None
    next_field = re.search(r'name="next" value="([^"]*)"', page.body)
    return post(ws, "/sign-in", None, {"email": email, "password": password, "csrf": field.group(1),
                                       "next": next_field.group(1) if next_field else ""},
                csrf=False, cookie=f"ml_pre={nonce}")


def test_signing_in_returns_to_the_alert_the_page_linked_and_sets_a_strict_httponly_secure_cookie(workspace):
    # Given a coach who opens the alert link from a page without a session
    first = get(workspace, "/alerts/al_1")
    # Then they are sent to sign in, with the alert as the place to return to
    assert first.status == 303
    location = first.headers["Location"]
    assert location.startswith(f"{ROOT}/sign-in?next=")
    assert parse_qs(urlsplit(location).query)["next"] == [f"{ROOT}/alerts/al_1"]

    # When they sign in with the right password
    done = sign_in(workspace, "casey@practice.example", "pw-casey", f"{ROOT}/alerts/al_1")

    # Then they land on the alert, with a session cookie no script can read and no other site can send
    assert done.status == 303 and done.headers["Location"] == f"{ROOT}/alerts/al_1"
    session = next(c for c in done.cookies if c.startswith("ml_session="))
    for attribute in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/"):
        assert attribute in session
    assert "Max-Age=3600" in session  # as long as the token lives, no longer


def test_a_wrong_password_shows_the_sign_in_page_again_with_a_plain_message(workspace):
    response = sign_in(workspace, "casey@practice.example", "nope")
    assert response.status == 401
    assert "do not match" in response.body and "ml_session=" not in "".join(response.cookies)


@pytest.mark.parametrize("evil", ["https://evil.example/x", "//evil.example/x", "/\\evil.example", "/other/path",
                                  f"{ROOT}/../../x", "javascript:alert(1)", f"{ROOT}/%2e%2e/%2e%2e/evil",
                                  f"{ROOT}/.%2E/x", f"{ROOT}/alerts/%2E./../x"])
def test_sign_in_never_redirects_off_the_workspace(workspace, evil):
    # Given a sign-in link whose return path points elsewhere
    done = sign_in(workspace, "casey@practice.example", "pw-casey", evil)
    # Then signing in lands on the workspace's own alerts page
    assert done.headers["Location"] == f"{ROOT}/alerts"


@pytest.mark.parametrize(("asked", "location"), [
    (f"{ROOT}/。x", f"{ROOT}/%E3%80%82x"),  # not Latin-1: the local server could not even write the header
    (f"{ROOT}/é", f"{ROOT}/%C3%A9"),  # Latin-1: went out as one raw byte, which no browser reads as é
    (f"{ROOT}/alerts?q=ü ok", f"{ROOT}/alerts?q=%C3%BC%20ok"),
])
def test_sign_in_returns_to_a_path_with_other_characters_percent_encoded(workspace, asked, location):
    # Given a sign-in link whose return path has characters a Location header cannot carry as they are
    done = sign_in(workspace, "casey@practice.example", "pw-casey", asked)
    # Then signing in returns there, written in ASCII with percent-encoding
    assert done.status == 303 and done.headers["Location"] == location
    done.headers["Location"].encode("ascii")


def test_a_sign_in_post_without_its_csrf_token_is_refused(workspace):
    response = post(workspace, "/sign-in", None, {"email": "casey@practice.example", "password": "pw-casey"},
                    csrf=False)
    assert response.status == 403


@pytest.mark.parametrize("bad", [
    pytest.param(lambda: token(exp=NOW - timedelta(minutes=5)), id="expired"),
    pytest.param(lambda: token(key=OTHER_KEY), id="forged"),
    pytest.param(lambda: token().rsplit(".", 2)[0] + "." + token("c2").split(".")[1] + "." + token().rsplit(".", 1)[1],
                 id="tampered"),
    pytest.param(lambda: token(aud="another-app"), id="other-app"),
    pytest.param(lambda: token(token_use="access"), id="access-token"),
    pytest.param(lambda: token(coach_id=""), id="no-coach-id"),
    pytest.param(lambda: token(kid="unknown"), id="unknown-key"),
    pytest.param(lambda: jwt.encode({"custom:coach_id": "c1"}, "s" * 32, algorithm="HS256"), id="hs256"),
    pytest.param(lambda: "not-a-jwt", id="garbage"),
])
def test_an_expired_forged_or_tampered_token_leads_to_the_sign_in_page(workspace, bad):
    # When a request carries a session that is not a valid ID token of this pool and app
    response = get(workspace, "/alerts/al_1", bad())
    # Then it goes to sign-in (returning to the same page) and the bad cookie is cleared
    assert response.status == 303 and response.headers["Location"].startswith(f"{ROOT}/sign-in?next=")
    assert any(c.startswith("ml_session=;") and "Max-Age=0" in c for c in response.cookies)


def test_a_post_without_csrf_is_refused_with_403_and_changes_nothing(workspace, data):
    session = token("c1")
    response = post(workspace, "/alerts/al_1/acknowledge", session, {}, csrf=False)
    assert response.status == 403
    assert data.alerts["al_1"].status == "open"
    # And a token from another session does not pass either
    forged = post(workspace, "/alerts/al_1/acknowledge", session, {"csrf": csrf_token(CSRF_KEY, token("c2"))},
                  csrf=False)
    assert forged.status == 403


def test_sign_out_clears_the_session(workspace):
    session = token("c1")
    response = post(workspace, "/sign-out", session, {})
    assert response.status == 303 and response.headers["Location"] == f"{ROOT}/sign-in"
    assert any(c.startswith("ml_session=;") and "Max-Age=0" in c for c in response.cookies)


# --- sign-in steps: Cognito's challenges ------------------------------------------------------------

TEMPORARY = "Temp0rary-Pass1"
NEW_PASSWORD = "Riley-chose-this-2026"


class Jar:
    """What a browser does between requests: keep the cookies it is given (by name) and send them back."""

    def __init__(self, ws: Workspace, now: datetime = NOW) -> None:
        self.ws, self.now = ws, now
        self.cookies: dict[str, str] = {}
        self.set_cookies: list[str] = []

    def send(self, method: str, path: str, form: dict[str, str] | None = None, **query: str) -> Response:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.ws.handle(Request(method, path, ROOT, self.now, query=query, form=form or {}, cookie=cookie))
        self.set_cookies = response.cookies
        for header in response.cookies:
            name, value = header.split(";", 1)[0].split("=", 1)
            if "Max-Age=0" in header:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response

    def sign_in(self, email: str, password: str, next_path: str = "") -> Response:
        page = self.send("GET", "/sign-in", **({"next": next_path} if next_path else {}))
        return self.send("POST", "/sign-in", {"email": email, "password": password, "csrf": csrf_of(page.body),
                                              "next": next_path})

    def answer(self, **form: str) -> Response:
        page = self.send("GET", "/sign-in/step")
        assert page.status == 200, page.body
        return self.send("POST", "/sign-in/step", {**form, "csrf": csrf_of(page.body)})


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def invite(cognito: MemorySignIn, email: str = "riley@practice.example", *, totp: str | None = None) -> None:
    """A coach as `moodline coach add` leaves them: a temporary password, maybe TOTP turned on later."""
    cognito.accounts[email] = Account(TEMPORARY, lambda: token("c3"), temporary=True, totp_code=totp)


def test_an_invited_coach_chooses_a_password_on_first_sign_in_and_lands_where_the_link_pointed(workspace, cognito):
    # Given Riley, just invited with a temporary password, opening an alert link
    invite(cognito)
    jar = Jar(workspace)
    # When Riley signs in with the temporary password
    asked = jar.sign_in("riley@practice.example", TEMPORARY, f"{ROOT}/alerts/al_1")
    # Then Riley is sent to the new-password step, which rides in a short-lived strict cookie, not in the URL
    assert asked.status == 303 and asked.headers["Location"] == f"{ROOT}/sign-in/step"
    step = next(c for c in asked.cookies if c.startswith("ml_step="))
    for attribute in ("HttpOnly", "Secure", "SameSite=Strict", f"Path={ROOT}/sign-in", "Max-Age=180"):
        assert attribute in step
    assert "ml_session" not in jar.cookies and "session-1" not in asked.headers["Location"]
    # And the step is a real form: labelled, new-password autocomplete, the rules before typing
    page = jar.send("GET", "/sign-in/step")
    assert page.status == 200 and "Choose your password" in page.body
    assert '<label for="new-password">' in page.body and '<label for="confirm-password">' in page.body
    assert page.body.count('autocomplete="new-password"') == 2 and 'minlength="12"' in page.body
    assert "at least 12 characters" in text_of(page.body)
    assert "session-1" not in page.body and "riley@" not in page.body
    # When Riley chooses a password
    done = jar.answer(new_password=NEW_PASSWORD, confirm_password=NEW_PASSWORD)
    # Then Cognito got it for the pool's user name, and Riley is signed in on the alert; the step cookie is gone
    assert cognito.answered == [("NEW_PASSWORD_REQUIRED", {"NEW_PASSWORD": NEW_PASSWORD})]
    assert done.status == 303 and done.headers["Location"] == f"{ROOT}/alerts/al_1"
    assert "ml_session" in jar.cookies and "ml_step" not in jar.cookies
    assert any(c.startswith("ml_step=;") and f"Path={ROOT}/sign-in" in c for c in done.cookies)
    assert jar.send("GET", "/alerts").status == 200  # signed in (al_1 itself is not Riley's to see)
    # And the new password is the one that works from now on
    assert Jar(workspace).sign_in("riley@practice.example", NEW_PASSWORD).headers["Location"] == f"{ROOT}/alerts"


def test_a_password_the_policy_refuses_is_explained_in_plain_words_and_the_step_stays_open(workspace, cognito):
    invite(cognito)
    jar = Jar(workspace)
    jar.sign_in("riley@practice.example", TEMPORARY)
    # When Riley picks a short password
    refused = jar.answer(new_password="short1A", confirm_password="short1A")
    # Then one plain line says why and what the rules are, announced to screen readers
    assert refused.status == 400
    alert = re.search(r'<p class="error" role="alert" id="step-error">([^<]+)</p>', refused.body)
    assert alert is not None
    assert unescape(alert.group(1)) == ("That password is too short. Use at least 12 characters, with an upper-case "
                                        "letter, a lower-case letter and a number.")
    assert 'aria-invalid="true"' in refused.body
    # And the same step takes a better one
    assert jar.answer(new_password=NEW_PASSWORD, confirm_password=NEW_PASSWORD).headers["Location"] == f"{ROOT}/alerts"


def test_two_different_new_passwords_are_caught_before_cognito_sees_them(workspace, cognito):
    invite(cognito)
    jar = Jar(workspace)
    jar.sign_in("riley@practice.example", TEMPORARY)
    response = jar.answer(new_password=NEW_PASSWORD, confirm_password=NEW_PASSWORD + "x")
    assert response.status == 400 and "The two passwords differ" in text_of(response.body)
    assert jar.answer(new_password="", confirm_password="").status == 400
    assert cognito.answered == []


def test_a_coach_with_totp_enters_the_code_after_choosing_a_password(workspace, cognito):
    # Given an invited coach whose account asks for a TOTP code too
    invite(cognito, totp="123456")
    jar = Jar(workspace)
    jar.sign_in("riley@practice.example", TEMPORARY)
    # When the new password is set, the next step is the code, in a fresh step cookie
    before = jar.cookies["ml_step"]
    asked = jar.answer(new_password=NEW_PASSWORD, confirm_password=NEW_PASSWORD)
    assert asked.status == 303 and asked.headers["Location"] == f"{ROOT}/sign-in/step"
    assert jar.cookies["ml_step"] != before and "ml_session" not in jar.cookies
    page = jar.send("GET", "/sign-in/step")
    assert "Enter your code" in page.body and '<label for="code">' in page.body
    assert 'inputmode="numeric"' in page.body and 'autocomplete="one-time-code"' in page.body
    # Then a code that is not six digits is caught here, a wrong one is refused by Cognito, both plainly
    assert "Enter the 6-digit code" in text_of(jar.answer(code="12a456").body)
    wrong = jar.answer(code="654321")
    assert wrong.status == 400 and "That code is not right" in text_of(wrong.body)
    # And the right code, typed with a space as apps show it, signs the coach in
    done = jar.answer(code="123 456")
    assert done.status == 303 and done.headers["Location"] == f"{ROOT}/alerts" and "ml_session" in jar.cookies
    assert [name for name, _ in cognito.answered] == ["NEW_PASSWORD_REQUIRED", "SOFTWARE_TOKEN_MFA",
                                                     "SOFTWARE_TOKEN_MFA"]


def test_a_coach_who_turned_on_totp_is_asked_for_the_code_at_every_sign_in(workspace, cognito):
    cognito.accounts["casey@practice.example"].totp_code = "000111"
    jar = Jar(workspace)
    assert jar.sign_in("casey@practice.example", "pw-casey").headers["Location"] == f"{ROOT}/sign-in/step"
    assert jar.answer(code="000111").headers["Location"] == f"{ROOT}/alerts"


def timed_out(response: Response) -> bool:
    return (response.status == 401 and "That step timed out: sign in again." in text_of(response.body)
            and 'action="/Prod/coach/sign-in"' in response.body
            and any(c.startswith("ml_step=;") and "Max-Age=0" in c for c in response.cookies))


def test_when_cognitos_session_has_expired_the_coach_is_sent_back_to_sign_in(workspace, cognito):
    invite(cognito)
    jar = Jar(workspace)
    jar.sign_in("riley@practice.example", TEMPORARY, f"{ROOT}/clients")
    cognito.expire_sessions = True
    response = jar.answer(new_password=NEW_PASSWORD, confirm_password=NEW_PASSWORD)
    # Then the sign-in page says so in one line, and still returns to where the coach was going
    assert timed_out(response) and 'name="next" value="/Prod/coach/clients"' in response.body
    assert "ml_step" not in jar.cookies and "ml_session" not in jar.cookies


def test_a_step_older_than_three_minutes_is_refused_without_asking_cognito(workspace, cognito):
    invite(cognito)
    jar = Jar(workspace)
    jar.sign_in("riley@practice.example", TEMPORARY)
    page = jar.send("GET", "/sign-in/step")
    # When the coach comes back after Cognito's 3 minutes (a browser that kept the cookie past its Max-Age)
    jar.now = NOW + timedelta(seconds=181)
    late = jar.send("POST", "/sign-in/step", {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD,
                                              "csrf": csrf_of(page.body)})
    assert timed_out(late) and cognito.answered == []
    # And a step page with no step at all says the same
    assert timed_out(Jar(workspace).send("GET", "/sign-in/step"))


@pytest.mark.parametrize("tamper", [
    pytest.param(lambda v: v.replace(v[5], "A" if v[5] != "A" else "B", 1), id="payload-changed"),
    pytest.param(lambda v: v.split(".")[0] + "." + "x" * 43, id="signature-forged"),
    pytest.param(lambda v: v.split(".")[0], id="unsigned"),
    pytest.param(lambda v: "garbage", id="garbage"),
])
def test_a_changed_or_forged_step_cookie_is_refused_without_asking_cognito(workspace, cognito, tamper):
    invite(cognito)
    jar = Jar(workspace)
    jar.sign_in("riley@practice.example", TEMPORARY)
    page = jar.send("GET", "/sign-in/step")
    jar.cookies["ml_step"] = tamper(jar.cookies["ml_step"])
    response = jar.send("POST", "/sign-in/step", {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD,
                                                  "csrf": csrf_of(page.body)})
    assert timed_out(response) and cognito.answered == []


def test_a_step_post_without_its_own_csrf_token_is_refused(workspace, cognito):
    invite(cognito)
    jar = Jar(workspace)
    sign_in_page = jar.send("GET", "/sign-in")
    jar.sign_in("riley@practice.example", TEMPORARY)
    form = {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    assert jar.send("POST", "/sign-in/step", form).status == 403
    assert jar.send("POST", "/sign-in/step", {**form, "csrf": csrf_of(sign_in_page.body)}).status == 403
    assert cognito.answered == []


def test_a_step_the_workspace_cannot_do_asks_for_an_administrator(workspace, cognito):
    cognito.extra_challenge = "MFA_SETUP"
    response = Jar(workspace).sign_in("casey@practice.example", "pw-casey")
    assert response.status == 401
    assert "This account needs a step this page cannot do (MFA_SETUP): ask an administrator." in text_of(response.body)


def test_sign_in_steps_log_the_step_and_outcome_and_never_the_answers(workspace, cognito, capsys, caplog):
    invite(cognito, totp="123456")
    jar = Jar(workspace)
    jar.sign_in("riley@practice.example", TEMPORARY)
    jar.answer(new_password="short1A", confirm_password="short1A")
    jar.answer(new_password=NEW_PASSWORD, confirm_password=NEW_PASSWORD)
    jar.answer(code="654321")
    jar.answer(code="123456")
    steps = [(r.challenge, r.outcome) for r in caplog.records  # type: ignore[attr-defined]
             if r.getMessage() == "sign-in step"]
    assert steps == [("NEW_PASSWORD_REQUIRED", "asked"), ("NEW_PASSWORD_REQUIRED", "password_policy"),
                     ("NEW_PASSWORD_REQUIRED", "answered"), ("SOFTWARE_TOKEN_MFA", "asked"),
                     ("SOFTWARE_TOKEN_MFA", "code_mismatch"), ("SOFTWARE_TOKEN_MFA", "answered")]
    out = capsys.readouterr().out + caplog.text
    for secret in (TEMPORARY, NEW_PASSWORD, "short1A", "654321", "123456", "session-", "riley"):
        assert secret not in out


# --- who sees what ----------------------------------------------------------------------------------


def test_a_coach_cannot_open_another_coachs_client_by_url(workspace, data):
    # Given Zoe, a client of Jordan (c2) with no alert
    # When Casey (c1) types Zoe's URL
    response = get(workspace, "/clients/cl_zoe", token("c1"))
    # Then it is not found (the id is not even confirmed), and nothing of Zoe's is shown or audited
    assert response.status == 404 and "un poco triste" not in response.body
    assert all(e.client_id != "cl_zoe" for e in data.audit)
    # And a text to Zoe is refused the same way
    assert post(workspace, "/clients/cl_zoe/text", token("c1"), {"body": "hi", "submission": "s1"}).status == 404


def test_the_coach_an_alert_paged_sees_that_client_and_an_admin_sees_everyone(workspace):
    # Given Ben (Casey's client) whose alert paged Jordan (c2)
    assert get(workspace, "/alerts/al_1", token("c2")).status == 200
    assert get(workspace, "/clients/cl_ben", token("c2")).status == 200
    # But not Amy, Casey's other client
    assert get(workspace, "/clients/cl_amy", token("c2")).status == 404
    # And a member of admins sees everyone
    assert get(workspace, "/clients/cl_zoe", token("c9", groups=["admins"])).status == 200


def test_an_alert_that_paged_the_team_is_visible_to_every_coach(workspace, data):
    data.alerts["al_1"] = replace(data.alerts["al_1"], paged_to=("team",))
    assert get(workspace, "/alerts/al_1", token("c7")).status == 200
    assert get(workspace, "/alerts/al_nope", token("c7")).status == 404


def test_every_view_of_a_clients_messages_is_audited(workspace, data):
    get(workspace, "/alerts/al_1", token("c2"))
    get(workspace, "/clients/cl_amy", token("c1"))
    get(workspace, "/inbox", token("c1"))
    assert [(e.coach_id, e.client_id, e.what) for e in data.audit] == [
        ("c2", "cl_ben", "alert"), ("c1", "cl_amy", "thread"), ("c1", "cl_ben", "inbox"), ("c1", "cl_amy", "inbox")]
    assert all(e.at == NOW for e in data.audit)


# --- pages -------------------------------------------------------------------------------------------


def test_the_alert_page_shows_what_a_paged_coach_needs_in_plain_words(workspace):
    response = get(workspace, "/alerts/al_1", token("c1"))
    html, text = response.body, text_of(response.body)
    assert response.status == 200
    assert "Ben" in text and "Crisis: reach them now" in text
    # Reasons in plain words, never rule ids
    assert "said goodbye in a way that can mean suicide" in text.lower() and "crisis.goodbye" not in text
    # The reply, with its time in the client's own timezone (Los Angeles: 20:05 UTC is 12:05 PST)
    assert "I can't do this anymore" in text and "12:05 PST" in text
    # A 28-day chart, what was sent, the timeline, the client's own coach, and every action
    assert html.count("<svg") == 1 and "<polyline" in html
    assert "Crisis resources sent" in text and "paged" in text and "Casey" in text
    assert 'href="tel:+15550100002"' in html
    assert f'action="{ROOT}/alerts/al_1/acknowledge"' in html and f'action="{ROOT}/alerts/al_1/resolve"' in html
    assert f'action="{ROOT}/clients/cl_ben/text"' in html


def test_a_reply_containing_script_renders_as_text(workspace):
    html = get(workspace, "/alerts/al_1", token("c1")).body
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_acknowledge_then_resolve_with_an_outcome_and_a_note(workspace, data):
    session = token("c1")
    ack = post(workspace, "/alerts/al_1/acknowledge", session, {})
    assert ack.status == 303 and ack.headers["Location"] == f"{ROOT}/alerts/al_1?done=acknowledged"
    assert data.alerts["al_1"].status == "acknowledged" and data.alerts["al_1"].acknowledged_by == "c1"
    assert post(workspace, "/alerts/al_1/resolve", session, {"outcome": "maybe"}).status == 400
    done = post(workspace, "/alerts/al_1/resolve", session, {"outcome": "true_alarm", "note": "spoke, safe plan"})
    assert done.status == 303 and data.alerts["al_1"].outcome == "true_alarm"
    page = get(workspace, "/alerts/al_1", session, done="resolved")
    assert "Resolved." in page.body and "True alarm" in page.body and "/acknowledge" not in page.body


def test_open_alerts_lists_the_alerts_a_coach_may_see_most_urgent_first(workspace, data):
    data.alerts["al_2"] = AlertView("al_2", "cl_amy", "c1", "high", "open", at(0.1), ("mood.very_low",), ())
    text = text_of(get(workspace, "/alerts", token("c1")).body)
    assert text.index("Ben") < text.index("Amy")
    assert "held by Jordan" in text  # by name, not by coach id
    # Jordan sees Ben's (it paged them) but not Amy's
    other = text_of(get(workspace, "/alerts", token("c2")).body)
    assert "Ben" in other and "Amy" not in other


def test_my_clients_puts_the_open_alert_first_and_shows_rate_missed_and_opt_out(workspace):
    text = text_of(get(workspace, "/clients", token("c1")).body)
    assert text.index("Ben") < text.index("Amy")
    assert "Open alert: crisis" in text and "Opted out" in text and "missed" in text and "answered" in text
    assert "Zoe" not in text


def test_the_thread_shows_probes_replies_and_automatic_answers_in_local_time(workspace):
    text = text_of(get(workspace, "/clients/cl_ben", token("c1")).body)
    assert "Check-in" in text and "Reply" in text and "Crisis resources sent" in text and "PST" in text


def test_texting_a_client_is_stored_once_per_submission(workspace, actions):
    session = token("c1")
    form = {"body": "Hi Ben, it's Casey. Can I call you now?", "submission": "sub-1", "back": "/alerts/al_1"}
    first = post(workspace, "/clients/cl_ben/text", session, form)
    again = post(workspace, "/clients/cl_ben/text", session, form)  # a double tap
    assert first.status == again.status == 303
    assert first.headers["Location"] == f"{ROOT}/alerts/al_1?done=texted"
    assert actions.texts == [("cl_ben", form["body"], "c1")]
    thread = text_of(get(workspace, "/clients/cl_ben", session).body)
    assert "Coach (c1)" in thread and "Can I call you now?" in thread


def test_an_opted_out_client_cannot_be_texted_and_the_coach_is_offered_the_call_button(workspace, actions):
    session = token("c1")
    page = get(workspace, "/clients/cl_amy", session)
    assert "cannot be texted" in page.body and "<textarea" not in page.body
    response = post(workspace, "/clients/cl_amy/text", session, {"body": "hi", "submission": "s2"})
    assert response.status == 409 and 'href="tel:+15550100003"' in response.body
    assert "opted out" in response.body and actions.texts == []


def test_the_review_inbox_holds_replies_with_words_or_flagged_by_triage_by_risk_then_age(workspace, data):
    page = get(workspace, "/inbox", token("c1"))
    text = text_of(page.body)
    # Ben's crisis reply, Amy's moderate words, Amy's bare "3" that triage flagged; not Amy's bare "4"
    assert "3 replies are waiting" in text
    assert text.index("I can't do this") < text.index("tired, work is a lot") < text.index("triage unsure")
    assert "un poco triste" not in text  # Zoe is Jordan's


def test_marking_inbox_items_removes_them_and_should_have_paged_opens_an_alert(workspace, data, actions):
    session = token("c1")
    amy = data.messages_by_client["cl_amy"]
    words, flagged = amy[0], amy[2]
    fine = post(workspace, "/inbox/mark", session, {"client_id": "cl_amy", "key": words.key, "mark": "seen_fine"})
    assert fine.status == 303 and fine.headers["Location"] == f"{ROOT}/inbox?done=seen_fine"
    missed = post(workspace, "/inbox/mark", session,
                  {"client_id": "cl_amy", "key": flagged.key, "mark": "should_have_paged"})
    assert missed.status == 303 and missed.headers["Location"].startswith(f"{ROOT}/alerts/al_miss1")
    assert actions.misses == [("cl_amy", flagged.key)]
    assert "1 reply is waiting" in text_of(get(workspace, "/inbox", session).body)
    # A reply of another coach's client cannot be marked
    zoe = data.messages_by_client["cl_zoe"][0]
    assert post(workspace, "/inbox/mark", session,
                {"client_id": "cl_zoe", "key": zoe.key, "mark": "seen_fine"}).status == 404


# --- what every response carries ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/sign-in", "/alerts", "/alerts/al_1", "/clients", "/clients/cl_ben", "/inbox"])
def test_every_page_has_a_strict_csp_and_no_inline_script_style_or_handler(workspace, path):
    response = get(workspace, path, token("c1"))
    csp = response.all_headers()["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "http" not in csp
    assert "frame-ancestors 'none'" in csp
    html = response.body
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert not re.search(r"\sstyle=|\son[a-z]+=", html)
    assert response.all_headers()["Cache-Control"] == "no-store"


def test_static_files_are_served_and_unknown_paths_are_404(workspace):
    assert get(workspace, "/static/app.js").status == 200
    assert get(workspace, "/static/../app.py").status == 404
    assert get(workspace, "/nope", token("c1")).status == 404


# --- pieces ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("", (1, "GSM-7")), ("a" * 160, (1, "GSM-7")), ("a" * 161, (2, "GSM-7")), ("€" * 80, (1, "GSM-7")),
    ("€" * 81, (2, "GSM-7")), ("ñ" * 160, (1, "GSM-7")), ("hola 🙂", (1, "UCS-2")), ("ł" * 71, (2, "UCS-2")),
])
def test_sms_segments_follow_gsm7_and_ucs2_limits(text, expected):
    assert present.sms_segments(text) == expected


@pytest.mark.parametrize(("body", "words"), [("4", False), (" 3.5 ", False), ("2/5", False), ("10", False),
                                              ("4 ok", True), ("meh", True), ("", False), (None, False)])
def test_a_bare_rating_has_no_words(body, words):
    assert has_words(body) is words


def test_return_paths_stay_inside_the_workspace():
    assert safe_return_path(f"{ROOT}/alerts/al_1?x=1", ROOT) == f"{ROOT}/alerts/al_1?x=1"
    for bad in ("https://e.example", "//e.example", f"{ROOT}evil", "/Prod/other", f"{ROOT}/a\r\nb", ""):
        assert safe_return_path(bad, ROOT) is None


@pytest.mark.parametrize(("asked", "returned"), [
    (f"{ROOT}/%C3%A9", f"{ROOT}/%C3%A9"),  # already encoded: never twice
    (f"{ROOT}/inbox?done=seen_fine#top", f"{ROOT}/inbox?done=seen_fine#top"),
    (f"{ROOT}/100%", f"{ROOT}/100%25"),  # a lone % is a literal one
    (f"{ROOT}/a b\"<>", f"{ROOT}/a%20b%22%3C%3E"),
    (f"{ROOT}/alerts/../inbox", f"{ROOT}/inbox"),  # dot segments resolved, as the browser would
    (f"{ROOT}/alerts/%2e/al_1", f"{ROOT}/alerts/al_1"),
    (ROOT, ROOT),
])
def test_a_return_path_is_ascii_with_its_dot_segments_resolved(asked, returned):
    assert safe_return_path(asked, ROOT) == returned


@pytest.mark.parametrize("bad", [
    f"{ROOT}/%2e%2e/%2e%2e/evil",  # a browser reads %2e as a dot: /Prod/evil, same origin but off the workspace
    f"{ROOT}/..", f"{ROOT}/%2E%2E", f"{ROOT}/.%2e/", f"{ROOT}/alerts/../../x",
    f"{ROOT}/a%2F..%2F..%2Fx", f"{ROOT}/a%5C..%5C..%5Cx",  # a server that decodes them would see other segments
    f"{ROOT}/\x7f", f"{ROOT}/\x00", f"{ROOT}/\u0085",
    f"{ROOT}/" + "é" * 100,  # 600 characters once encoded: longer than a return path gets
])
def test_a_return_path_that_leaves_the_workspace_or_cannot_be_written_is_refused(bad):
    assert safe_return_path(bad, ROOT) is None


_PIECES = st.sampled_from(["/", ".", "..", "%", "%2e", "%2E", "%2F", "%5c", "2", "e", "f", "?", "#", "é", "。", " ",
                           "a", "\\", "\x00", ":", "coach", "Prod", "//"])


@given(st.lists(_PIECES, max_size=30).map("".join))
def test_any_return_path_accepted_is_ascii_under_the_workspace_and_stable(tail):
    path = safe_return_path(ROOT + tail, ROOT)
    if path is None:
        return
    assert path.isascii() and path.isprintable() and len(path) <= 512
    route = urlsplit(path).path
    assert route == ROOT or route.startswith(ROOT + "/")
    segments = [unquote(s) for s in route.split("/")]
    assert not {".", ".."} & set(segments) and not any("/" in s or "\\" in s for s in segments)
    assert safe_return_path(path, ROOT) == path  # what is returned is itself a return path, unchanged


def test_the_jwks_url_is_the_issuers_in_aws_and_the_local_servers_under_moto():
    assert jwks_url(CONFIG) == f"{CONFIG.issuer}/.well-known/jwks.json"
    local = replace(CONFIG, endpoint_url="http://127.0.0.1:5055/")
    assert jwks_url(local) == "http://127.0.0.1:5055/us-east-1_pool/.well-known/jwks.json"


def test_the_jwks_is_fetched_once_and_cached():
    fetched: list[str] = []
    jwks = Jwks("https://example.test/jwks.json", lambda url: fetched.append(url) or jwks_document())
    verifier = TokenVerifier(CONFIG, jwks, clock=NOW.timestamp)
    for _ in range(3):
        assert verifier.verify(token("c1")).coach_id == "c1"
    assert len(fetched) == 1


def test_the_mood_chart_leaves_gaps_for_unrated_days_and_rings_alert_days():
    svg = present.mood_chart([3, None, 4, 2], {3})
    assert svg.count("<polyline") == 2 and 'stroke="#b00020"' in svg




# --- CognitoSignIn: what it sends Cognito and how it reads the answers (botocore's Stubber) -------------


S1, S2 = "S1" * 10, "S2" * 10  # Cognito's sessions are opaque, 20 to 2048 characters


@pytest.fixture
def stubbed() -> Iterator[tuple[CognitoSignIn, Stubber]]:
    client = boto3.client("cognito-idp", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    signin = CognitoSignIn(CONFIG)
    signin._client = client
    with Stubber(client) as stubber:
        yield signin, stubber
        stubber.assert_no_pending_responses()


def test_cognito_sign_in_returns_the_new_password_step_for_the_pools_own_user_name(stubbed):
    signin, stub = stubbed
    stub.add_response("initiate_auth", {
        "ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": S1,
        "ChallengeParameters": {"USER_ID_FOR_SRP": "0f7c-sub", "requiredAttributes": "[]",
                                "userAttributes": '{"email":"riley@practice.example"}'}},
        {"ClientId": "app-client", "AuthFlow": "USER_PASSWORD_AUTH",
         "AuthParameters": {"USERNAME": "riley@practice.example", "PASSWORD": TEMPORARY}})
    assert signin.sign_in("riley@practice.example", TEMPORARY) == Challenge("NEW_PASSWORD_REQUIRED", S1,
                                                                            "0f7c-sub")


def test_cognito_respond_sends_the_answer_and_returns_the_next_step_then_the_token(stubbed):
    signin, stub = stubbed
    first = Challenge("NEW_PASSWORD_REQUIRED", S1, "0f7c-sub")
    stub.add_response("respond_to_auth_challenge", {
        "ChallengeName": "SOFTWARE_TOKEN_MFA", "Session": S2, "ChallengeParameters": {}},
        {"ClientId": "app-client", "ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": S1,
         "ChallengeResponses": {"USERNAME": "0f7c-sub", "NEW_PASSWORD": NEW_PASSWORD}})
    stub.add_response("respond_to_auth_challenge", {"AuthenticationResult": {"IdToken": "id.token.here"}},
                      {"ClientId": "app-client", "ChallengeName": "SOFTWARE_TOKEN_MFA", "Session": S2,
                       "ChallengeResponses": {"USERNAME": "0f7c-sub", "SOFTWARE_TOKEN_MFA_CODE": "123456"}})
    second = signin.respond(first, {"NEW_PASSWORD": NEW_PASSWORD})
    assert second == Challenge("SOFTWARE_TOKEN_MFA", S2, "0f7c-sub")
    assert signin.respond(second, {"SOFTWARE_TOKEN_MFA_CODE": "123456"}) == "id.token.here"


@pytest.mark.parametrize(("code", "message", "expected", "reason"), [
    ("InvalidPasswordException", "Password did not conform with policy: Password not long enough",
     "That password is too short.", "password_policy"),
    ("InvalidPasswordException", "Password did not conform with policy: Password must have numeric characters",
     "That password has no number.", "password_policy"),
    ("InvalidPasswordException", "Password did not conform with policy: Password must have uppercase characters",
     "That password has no upper-case letter.", "password_policy"),
    ("InvalidPasswordException", "The provided password does not confirm to the configured password policy",
     "That password does not meet the policy.", "password_policy"),
    ("CodeMismatchException", "Invalid code received for user", "That code is not right", "code_mismatch"),
    ("ExpiredCodeException", "Invalid code provided, please request a code again.", "That code has expired",
     "expired_code"),
])
def test_cognito_refusals_of_an_answer_become_one_plain_line_and_keep_the_step(stubbed, code, message, expected,
                                                                                 reason):
    signin, stub = stubbed
    stub.add_client_error("respond_to_auth_challenge", code, message)
    with pytest.raises(AnswerRefused) as refused:
        signin.respond(Challenge("NEW_PASSWORD_REQUIRED", S1, "sub"), {"NEW_PASSWORD": "x"})
    assert str(refused.value).startswith(expected) and refused.value.reason == reason
    assert message not in str(refused.value)  # plain words, not Cognito's


@pytest.mark.parametrize("code", ["NotAuthorizedException", "ResourceNotFoundException"])
def test_an_expired_or_unknown_cognito_session_means_sign_in_again(stubbed, code):
    signin, stub = stubbed
    stub.add_client_error("respond_to_auth_challenge", code, "Invalid session for the user, session is expired.")
    with pytest.raises(ChallengeExpired, match="timed out: sign in again"):
        signin.respond(Challenge("SOFTWARE_TOKEN_MFA", S1, "sub"), {"SOFTWARE_TOKEN_MFA_CODE": "123456"})


@pytest.mark.parametrize("result", [
    pytest.param({"ChallengeName": "MFA_SETUP", "Session": S1, "ChallengeParameters": {}}, id="mfa-setup"),
    pytest.param({"ChallengeName": "SMS_MFA", "Session": S1, "ChallengeParameters": {}}, id="sms"),
    pytest.param({"ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": S1,
                  "ChallengeParameters": {"requiredAttributes": '["userAttributes.name"]'}}, id="required-attributes"),
])
def test_a_step_the_workspace_cannot_complete_is_refused_with_ask_an_administrator(stubbed, result):
    signin, stub = stubbed
    stub.add_response("initiate_auth", result)
    with pytest.raises(SignInFailed, match="ask an administrator"):
        signin.sign_in("casey@practice.example", "pw")


def unreachable(client) -> None:
    """Make every call of ``client`` fail as botocore does when Cognito's endpoint cannot be reached."""
    def refuse(**kwargs: object) -> None:
        raise EndpointConnectionError(endpoint_url="https://cognito-idp.us-east-1.amazonaws.com/")

    client.meta.events.register("before-send.cognito-idp.*", refuse)


# What Cognito can answer InitiateAuth besides a wrong password, and what the coach reads then.
SIGN_IN_FAULTS = [
    pytest.param("TooManyRequestsException", 429, "Too many attempts; wait a minute and try again.", id="throttled"),
    pytest.param("LimitExceededException", 429, "Too many attempts; wait a minute and try again.", id="limit"),
    pytest.param("UserNotConfirmedException", 403, "This account is not confirmed: ask an administrator.",
                 id="not-confirmed"),
    pytest.param("InvalidParameterException", 400, "Those details cannot be used to sign in: check the e-mail "
                 "address and try again.", id="invalid-parameter"),
    pytest.param("InternalErrorException", 503, "Sign-in is unavailable right now; try again shortly.",
                 id="cognito-failing"),
    pytest.param("ResourceNotFoundException", 503, "Sign-in is unavailable right now; try again shortly.",
                 id="app-client-gone"),
]


@pytest.mark.parametrize(("code", "status", "words"), SIGN_IN_FAULTS)
def test_cognito_faults_at_sign_in_become_one_plain_line_with_a_status_of_their_own(stubbed, code, status, words):
    # Given Cognito answering InitiateAuth with something other than tokens, a step or a wrong password
    signin, stub = stubbed
    stub.add_client_error("initiate_auth", code, "Cognito's own words, which may quote the user name")
    # When a coach signs in, then the workspace gets a refusal it can show, with the status for the page
    with pytest.raises(SignInFailed) as refused:
        signin.sign_in("casey@practice.example", "pw")
    assert (str(refused.value), refused.value.status) == (words, status)


def test_cognito_out_of_reach_at_sign_in_means_unavailable_not_an_error():
    signin = CognitoSignIn(CONFIG)
    signin._client = boto3.client("cognito-idp", region_name="us-east-1", aws_access_key_id="x",
                                  aws_secret_access_key="x")
    unreachable(signin._client)
    with pytest.raises(SignInFailed) as refused:
        signin.sign_in("casey@practice.example", "pw")
    assert (str(refused.value), refused.value.status) == ("Sign-in is unavailable right now; try again shortly.", 503)


@pytest.fixture
def on_cognito(data, actions, stubbed) -> tuple[Workspace, Stubber]:
    """The workspace signing in with the real ``CognitoSignIn`` on a stubbed Cognito client."""
    signin, stub = stubbed
    verifier = TokenVerifier(CONFIG, Jwks("https://example.test/jwks.json", lambda url: jwks_document()),
                             clock=NOW.timestamp)
    return Workspace(data=data, actions=actions, verifier=verifier, sign_in=signin, csrf_key=lambda: CSRF_KEY), stub


@pytest.mark.parametrize(("code", "status", "words"), [
    *SIGN_IN_FAULTS, pytest.param("unreachable", 503, "Sign-in is unavailable right now; try again shortly.",
                                  id="unreachable")])
def test_whatever_cognito_answers_the_coach_gets_the_sign_in_page_with_one_line_never_a_500(on_cognito, stubbed,
                                                                                              code, status, words):
    # Given Cognito refusing, throttling, failing or out of reach
    workspace, stub = on_cognito
    if code == "unreachable":
        unreachable(stubbed[0]._client)
        stub.deactivate()
    else:
        stub.add_client_error("initiate_auth", code, "Cognito's own words")
    # When a coach signs in from a page's alert link
    response = Jar(workspace).sign_in("casey@practice.example", "pw-casey", f"{ROOT}/alerts/al_1")
    # Then the sign-in page says what happened and what to do, announced, with its own status and no session
    assert response.status == status
    assert f'<p class="error" role="alert">{words}</p>' in response.body
    assert f'name="next" value="{ROOT}/alerts/al_1"' in response.body  # the way back is kept for the next try
    assert not any(c.startswith("ml_session=") for c in response.cookies)
    # And a wait that will pass is said in Retry-After, for the browser and any proxy
    assert response.headers.get("Retry-After") == {429: "60", 503: "30"}.get(status)


@pytest.mark.parametrize(("code", "status", "words"), [
    pytest.param("TooManyRequestsException", 429, "Too many attempts; wait a minute and try again.", id="throttled"),
    pytest.param("InternalErrorException", 503, "Sign-in is unavailable right now; try again shortly.",
                 id="cognito-failing"),
    pytest.param("unreachable", 503, "Sign-in is unavailable right now; try again shortly.", id="unreachable"),
    pytest.param("InvalidParameterException", 400, "That answer cannot be used: check it and try again.",
                 id="invalid-parameter"),
])
def test_when_cognito_cannot_take_a_steps_answer_the_step_stays_open_for_another_try(on_cognito, stubbed, code,
                                                                                      status, words):
    # Given an invited coach at the new-password step
    workspace, stub = on_cognito
    stub.add_response("initiate_auth", {"ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": S1,
                                        "ChallengeParameters": {"USER_ID_FOR_SRP": "0f7c-sub"}})
    jar = Jar(workspace)
    assert jar.sign_in("riley@practice.example", TEMPORARY).headers["Location"] == f"{ROOT}/sign-in/step"
    # When Cognito cannot take the new password (throttled, failing, out of reach, or refusing the parameter)
    if code == "unreachable":
        unreachable(stubbed[0]._client)
        stub.deactivate()
    else:
        stub.add_client_error("respond_to_auth_challenge", code, "Cognito's own words")
    refused = jar.answer(new_password=NEW_PASSWORD, confirm_password=NEW_PASSWORD)
    # Then the same step shows one line with its status, never a 500, and the step is kept for another try
    assert refused.status == status and f'role="alert" id="step-error">{words}</p>' in refused.body
    assert "Choose your password" in refused.body and "ml_step" in jar.cookies
    assert refused.headers.get("Retry-After") == {429: "60", 503: "30"}.get(status)
    if code == "unreachable":
        return
    # And the next try goes to Cognito with the same step, and signs the coach in
    stub.add_response("respond_to_auth_challenge", {"AuthenticationResult": {"IdToken": token("c7")}},
                      {"ClientId": "app-client", "ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": S1,
                       "ChallengeResponses": {"USERNAME": "0f7c-sub", "NEW_PASSWORD": NEW_PASSWORD}})
    done = jar.answer(new_password=NEW_PASSWORD, confirm_password=NEW_PASSWORD)
    assert done.status == 303 and "ml_session" in jar.cookies


def test_the_password_rules_shown_are_the_pools_policy_in_the_template():
    from samtranslator.yaml_helper import yaml_parse

    from tests.conftest import ROOT as REPO

    template = yaml_parse((REPO / "template.yaml").read_text())
    policy = template["Resources"]["CoachUserPool"]["Properties"]["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] == MIN_PASSWORD_LENGTH
    assert f"at least {MIN_PASSWORD_LENGTH} characters" in PASSWORD_RULES
    for rule, words in (("RequireUppercase", "upper-case"), ("RequireLowercase", "lower-case"),
                        ("RequireNumbers", "number"), ("RequireSymbols", "symbol")):
        assert (words in PASSWORD_RULES) == bool(policy.get(rule)), rule


def test_the_sign_in_steps_have_a_strict_csp_and_no_inline_script_style_or_handler(workspace, cognito):
    invite(cognito, totp="123456")
    jar = Jar(workspace)
    jar.sign_in("riley@practice.example", TEMPORARY)
    pages = [jar.send("GET", "/sign-in/step")]
    jar.answer(new_password=NEW_PASSWORD, confirm_password=NEW_PASSWORD)
    pages.append(jar.send("GET", "/sign-in/step"))
    for page in pages:
        assert "script-src 'self'" in page.all_headers()["Content-Security-Policy"]
        assert page.all_headers()["Cache-Control"] == "no-store"
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page.body) == []
        assert not re.search(r"\sstyle=|\son[a-z]+=", page.body)


def test_an_admins_inbox_is_the_whole_practice_read_from_the_replies_waiting_not_from_every_client(workspace, data):
    # Given a practice with many quiet clients besides those with replies waiting
    for i in range(200):
        data.clients[f"cl_quiet{i}"] = replace(data.clients["cl_amy"], client_id=f"cl_quiet{i}", coach_id="c2")
    data.reads = 0
    # When an admin opens the inbox
    page = get(workspace, "/inbox", token("c9", groups=["admins"]))
    text = text_of(page.body)
    # Then every coach's waiting replies are there (Zoe is Jordan's), in risk then age order...
    assert "4 replies are waiting" in text and "un poco triste" in text
    assert text.index("I can't do this") < text.index("tired, work is a lot") < text.index("triage unsure")
    # ...and the reads follow the replies waiting (one index read, then each of their clients), not the 203 clients
    assert data.reads <= 1 + 2 * 3 + 2


def test_an_admins_roster_is_one_caseload_at_a_time_and_every_open_alert_on_their_own(workspace, data):
    # Given a practice with a large caseload besides the admin's own (none) and Ben's open crisis alert
    for i in range(200):
        data.clients[f"cl_quiet{i}"] = replace(data.clients["cl_zoe"], client_id=f"cl_quiet{i}", name=f"Quiet {i}")
    data.reads = 0
    admin = token("c9", groups=["admins"])
    # When an admin opens the roster
    own = text_of(get(workspace, "/clients", admin).body)
    # Then it shows every open alert of the practice and links to each coach's caseload, not 203 clients
    assert "My clients" in own and "Ben" in own and "Open alert: crisis" in own and "Quiet 1" not in own
    assert "Mine and open alerts" in own and "Casey" in own and "Jordan" in own
    assert data.reads <= 10
    # And a caseload is one click away, with the whole of it
    jordans = get(workspace, "/clients", admin, coach="c2")
    assert jordans.status == 200
    text = text_of(jordans.body)
    assert "Jordan's clients" in text and "Zoe" in text and "Quiet 199" in text and "Ben" not in text
    # And an unknown caseload is a plain 404
    assert get(workspace, "/clients", admin, coach="c404").status == 404


def test_a_coach_cannot_open_another_caseload(workspace):
    # Given Casey, no admin; when she asks for Jordan's caseload, then she gets her own (no caseload links)
    text = text_of(get(workspace, "/clients", token("c1"), coach="c2").body)
    assert "My clients" in text and "Ben" in text and "Zoe" not in text and "Mine and open alerts" not in text


@pytest.mark.parametrize(("status", "label", "reason"), [
    ("stopped", "Opted out", "opted out of texts"),
    ("unreachable", "Unreachable", "cannot receive texts"),
    ("pending_consent", "Awaiting consent", "has not answered the welcome"),
    ("no_consent", "No consent", "never answered the welcome"),
    ("paused", "Paused", "check-ins paused"),
])
def test_each_status_is_named_for_what_it_is_on_the_roster_the_thread_and_a_refused_text(workspace, data, status,
                                                                                         label, reason):
    # Given Amy in that status (a client just imported awaits consent: she is not "unreachable")
    data.clients["cl_amy"] = replace(data.clients["cl_amy"], status=status)
    # Then the roster, her thread and a text refused all say so
    assert label in text_of(get(workspace, "/clients", token("c1")).body)
    assert reason in text_of(get(workspace, "/clients/cl_amy", token("c1")).body)
    refused = post(workspace, "/clients/cl_amy/text", token("c1"), {"body": "hi", "submission": "s1"})
    assert refused.status == 409 and reason in text_of(refused.body)
    if status != "unreachable":
        assert "Unreachable" not in text_of(get(workspace, "/clients", token("c1")).body)


def test_v4_rule_ids_read_as_their_familys_plain_words_once_and_never_leak(workspace, data):
    # Given an alert raised by several v4 rules (ids are <family>.<name>.<language>), two of one family
    rules = ("crisis.ideation.implicit.passive_wish.en", "crisis.ideation.implicit.better_without.en",
             "crisis.plan.means.overdose.en", "hopelessness.core.en")
    alert = data.alerts["al_1"]
    data.alerts["al_1"] = replace(alert, reasons=rules, timeline=(
        TimelineView(alert.opened_at, "raised", "crisis: " + ", ".join(rules)),))
    # When Casey opens it
    page = text_of(get(workspace, "/alerts/al_1", token("c1")).body)
    # Then each reason is in the words of its family, once, in "why" and in the timeline; no id shows
    assert page.count("Hinted at not wanting to be alive") == 1
    assert "Mentioned a way to end their life" in page and "Wrote about feeling hopeless" in page
    assert "raised: crisis: hinted at not wanting to be alive, mentioned a way to end their life, wrote about " \
           "feeling hopeless" in page
    assert "signals crisis" not in page
    assert not re.search(r"\b(?:crisis|hopelessness)\.[a-z_.]+", page)


def test_the_alert_page_names_coaches_by_name_in_its_status_and_timeline(workspace, data):
    data.alerts["al_1"] = replace(data.alerts["al_1"], acknowledged_by="c2", status="acknowledged")
    page = text_of(get(workspace, "/alerts/al_1", token("c1")).body)
    assert "acknowledged by Jordan" in page and "paged: Jordan (primary), step crisis" in page
    assert not re.search(r"\bc2\b", page)


def test_a_coachs_inbox_reads_follow_the_replies_waiting_not_the_size_of_the_caseload(workspace, data):
    # Given Casey with 200 quiet clients besides Ben and Amy, whose replies wait
    for i in range(200):
        data.clients[f"cl_quiet{i}"] = replace(data.clients["cl_amy"], client_id=f"cl_quiet{i}", coach_id="c1")
    data.reads = 0
    # When she opens her inbox
    text = text_of(get(workspace, "/inbox", token("c1")).body)
    # Then her waiting replies are there and Zoe's (Jordan's client) are not...
    assert "I can't do this" in text and "tired, work is a lot" in text and "un poco triste" not in text
    # ...for the roster's coaches (the session check), her caseload, the index of waiting replies, and the
    # messages of the two clients with replies waiting
    assert data.reads <= 1 + 1 + 1 + 2


def test_a_coach_removed_from_the_roster_is_signed_out_at_once_not_when_the_token_expires(workspace, data):
    # Given Jordan signed in (a valid token for an hour), then removed from the roster
    session = token("c2")
    assert get(workspace, "/alerts", session).status == 200
    del data.coaches["c2"]
    # When the token is used again, then it opens nothing: back to sign-in, the cookie cleared
    response = get(workspace, "/clients/cl_zoe", session)
    assert response.status == 303 and "/sign-in" in response.headers["Location"]


@pytest.mark.parametrize(("detail", "names", "expected"), [
    ("history.past_risk", {"past": "Pat"}, "referred to a past crisis"),  # a coach id may be any word
    ("by sms via sms", {"sms": "Sam Smith"}, "by Sam Smith via sms"),
    ("c2 (primary), step crisis", {"c2": "Jordan"}, "Jordan (primary), step crisis"),
    ("crisis: crisis.plan.means.core.en, crisis.plan.means.overdose.en, mood.very_low", {"core": "Cora"},
     "crisis: mentioned a way to end their life, rated their mood very low"),
])
def test_coach_ids_are_named_only_where_the_machine_writes_them(detail, names, expected):
    assert present.detail_words(detail, names) == expected
