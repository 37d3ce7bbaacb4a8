"""The coach workspace on in-memory ports: sessions, CSRF, who sees what, and what each page shows."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from moodline.workspace import present
from moodline.workspace.app import Workspace
from moodline.workspace.auth import CognitoConfig, Jwks, SignInFailed, TokenVerifier, jwks_url
from moodline.workspace.fakes import MemoryActions, MemoryData
from moodline.workspace.http import Request, Response
from moodline.workspace.ports import AlertView, ClientView, CoachView, MessageView, TimelineView
from moodline.workspace.session import csrf_token, safe_return_path

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


def fake_sign_in(email: str, password: str) -> str:
    known = PASSWORDS.get(email)
    if known is None or known[0] != password:
        raise SignInFailed("That e-mail and password do not match.")
    return token(known[1], groups=known[2])


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
    d.coaches = {"c1": CoachView("c1", "Casey"), "c2": CoachView("c2", "Jordan")}
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
def workspace(data: MemoryData, actions: MemoryActions) -> Workspace:
    verifier = TokenVerifier(CONFIG, Jwks("https://example.test/jwks.json", lambda url: jwks_document()),
                             clock=NOW.timestamp)
    return Workspace(data=data, actions=actions, verifier=verifier, sign_in=fake_sign_in, csrf_key=lambda: CSRF_KEY)


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
                                  f"{ROOT}/../../x", "javascript:alert(1)"])
def test_sign_in_never_redirects_off_the_workspace(workspace, evil):
    # Given a sign-in link whose return path points elsewhere
    done = sign_in(workspace, "casey@practice.example", "pw-casey", evil)
    # Then signing in lands on the workspace's own alerts page
    assert done.headers["Location"] == f"{ROOT}/alerts"


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
    assert "held by c2" in text
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
    assert present.has_words(body) is words


def test_return_paths_stay_inside_the_workspace():
    assert safe_return_path(f"{ROOT}/alerts/al_1?x=1", ROOT) == f"{ROOT}/alerts/al_1?x=1"
    for bad in ("https://e.example", "//e.example", f"{ROOT}evil", "/Prod/other", f"{ROOT}/a\r\nb", ""):
        assert safe_return_path(bad, ROOT) is None


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


