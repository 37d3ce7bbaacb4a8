"""The workspace: routes, sign-in gate, CSRF on every POST, and the pages a coach works from."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from moodline.domain import AuditEntry, ReviewMark
from moodline.observability import logger
from moodline.triage.model import Level
from moodline.workspace import present
from moodline.workspace.access import may_see_alert, may_see_client
from moodline.workspace.auth import (
    MIN_PASSWORD_LENGTH,
    NEW_PASSWORD_REQUIRED,
    PASSWORD_RULES,
    SOFTWARE_TOKEN_MFA,
    AnswerRefused,
    Challenge,
    ChallengeExpired,
    InvalidToken,
    SignInFailed,
    SignInService,
    SignInUnavailable,
    TokenVerifier,
)
from moodline.workspace.http import Request, Response, redirect
from moodline.workspace.ports import (
    OUTCOMES,
    REVIEW_MARKS,
    ActionError,
    AlertView,
    ClientView,
    CoachView,
    Identity,
    MessageView,
    WorkspaceActions,
    WorkspaceData,
)
from moodline.workspace.session import (
    CSRF_FIELD,
    STEP_COOKIE,
    STEP_SECONDS,
    PendingStep,
    clear_session_cookie,
    clear_step_cookie,
    cookie_value,
    csrf_token,
    csrf_valid,
    open_step,
    safe_return_path,
    seal_step,
    session_cookie,
    session_from_cookies,
    step_cookie,
)

HERE = Path(__file__).parent
HISTORY_DAYS = 28
ROSTER_WORKERS = 8  # concurrent message queries for one roster page
THREAD_DAYS = 90
INBOX_DAYS = 14
ACCESS_LOOKBACK_DAYS = 90
PRE_SESSION_COOKIE = "ml_pre"
STATIC_TYPES = {"app.css": "text/css; charset=utf-8", "app.js": "text/javascript; charset=utf-8",
                "icon.svg": "image/svg+xml"}
STATIC = {name: (HERE / "static" / name).read_text() for name in STATIC_TYPES}
_TEMPLATES = Environment(loader=FileSystemLoader(HERE / "templates"),
                         autoescape=select_autoescape(default=True, default_for_string=True),
                         trim_blocks=True, lstrip_blocks=True)
_ID = re.compile(r"[A-Za-z0-9_\-]{1,80}")
_TOTP_CODE = re.compile(r"[0-9]{6}")
TIMED_OUT = "That step timed out: sign in again."


def _level_rank(level: str | None) -> int:
    try:
        return Level(level or "low").rank
    except ValueError:
        return 0


def _retry_after(response: Response, refusal: SignInFailed) -> Response:
    """``response`` with a Retry-After header when Cognito asked us to wait (429) or could not answer (503)."""
    if isinstance(refusal, SignInUnavailable):
        response.headers["Retry-After"] = str(refusal.retry_after)
    return response


@dataclass
class Page:
    """What one request knows: the request, who is signed in, their CSRF token."""

    request: Request
    who: Identity
    token: str
    csrf: str
    extra: dict[str, Any] = field(default_factory=dict)
    # The roster's coaches, read once per request (one small table): the session check, and names for ids.
    coaches: dict[str, CoachView] = field(default_factory=dict)

    @property
    def coach_names(self) -> dict[str, str]:
        return {coach_id: coach.name for coach_id, coach in self.coaches.items()}


class Workspace:
    """Everything behind ``/coach``; built once per cold start with its ports and Cognito."""

    def __init__(self, *, data: WorkspaceData, actions: WorkspaceActions, verifier: TokenVerifier,
                 sign_in: SignInService, csrf_key: Callable[[], bytes]) -> None:
        self.data = data
        self.actions = actions
        self.verifier = verifier
        self._auth = sign_in
        self._csrf_key = csrf_key

    # --- dispatch --------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        try:
            return self._dispatch(request)
        except ActionError as exc:
            return self._message(request, "Not possible", str(exc), 409)

    def _dispatch(self, request: Request) -> Response:
        method, parts = request.method, [p for p in request.path.split("/") if p]
        if parts[:1] == ["static"] and len(parts) == 2 and parts[1] in STATIC and method == "GET":
            return Response(200, STATIC[parts[1]], STATIC_TYPES[parts[1]],
                            headers={"Cache-Control": "public, max-age=300"})
        if parts == ["sign-in"]:
            return self._sign_in_page(request) if method == "GET" else self._sign_in_post(request)
        if parts == ["sign-in", "step"]:
            return self._step_page(request) if method == "GET" else self._step_post(request)
        if any(not _ID.fullmatch(p) for p in parts):
            return self._message(request, "Not found", "There is no such page.", 404)
        page = self._authenticate(request)
        if isinstance(page, Response):
            return page
        if method == "POST" and not csrf_valid(self._csrf_key(), page.token, request.form.get(CSRF_FIELD, "")):
            return self._message(request, "Refused", "This form is out of date. Go back, reload and try again.", 403)
        route: dict[tuple[str, int, str], Callable[[Page, list[str]], Response]] = {
            ("GET", 0, ""): lambda p, a: redirect(p.request.root + "/alerts"),
            ("GET", 1, "alerts"): self.open_alerts,
            ("GET", 2, "alerts"): self.alert_page,
            ("POST", 3, "alerts"): self.alert_action,
            ("GET", 1, "clients"): self.roster,
            ("GET", 2, "clients"): self.client_page,
            ("POST", 3, "clients"): self.text_client,
            ("GET", 1, "inbox"): self.inbox,
            ("POST", 2, "inbox"): self.mark_review,
            ("POST", 1, "sign-out"): self.sign_out,
        }
        view = route.get((method, len(parts), parts[0] if parts else ""))
        if view is None:
            return self._message(request, "Not found", "There is no such page.", 404)
        return view(page, parts)

    # --- sessions ----------------------------------------------------------------------------------

    def _authenticate(self, request: Request) -> Page | Response:
        token = session_from_cookies(request.cookie)
        try:
            who = self.verifier.verify(token) if token else None
        except InvalidToken as exc:
            logger.info("workspace session refused", reason=str(exc))
            who = None
        coaches = {c.coach_id: c for c in self.data.all_coaches()} if who is not None else {}
        if who is not None and not who.admin and who.coach_id not in coaches:
            # A coach removed from the roster (`moodline coach remove` also deletes the sign-in) must not keep
            # reading clients until their ID token expires: the roster is checked on every request.
            logger.info("workspace session refused", reason="coach not on the roster", coach_id=who.coach_id)
            who = None
        if who is None:
            target = request.full_path if request.method == "GET" else request.root + "/alerts"
            from urllib.parse import quote  # noqa: PLC0415

            return redirect(f"{request.root}/sign-in?next={quote(target, safe='')}",
                            cookies=[clear_session_cookie()] if token else [])
        return Page(request, who, token, csrf_token(self._csrf_key(), token), coaches=coaches)

    def _sign_in_page(self, request: Request, error: str = "", status: int = 200, next_path: str = "",
                      cookies: tuple[str, ...] = ()) -> Response:
        nonce = secrets.token_urlsafe(24)
        next_path = next_path or safe_return_path(request.query.get("next", "") or request.form.get("next", ""),
                                                  request.root) or ""
        body = self._render("sign_in.html.j2", request, None, error=error, next=next_path,
                            csrf=csrf_token(self._csrf_key(), "pre|" + nonce))
        cookie = f"{PRE_SESSION_COOKIE}={nonce}; Path=/; Max-Age=1800; HttpOnly; Secure; SameSite=Strict"
        return Response(status, body, cookies=[*cookies, cookie])

    def _sign_in_post(self, request: Request) -> Response:
        nonce = cookie_value(request.cookie, PRE_SESSION_COOKIE)
        if not nonce or not csrf_valid(self._csrf_key(), "pre|" + nonce, request.form.get(CSRF_FIELD, "")):
            return self._message(request, "Refused", "This form is out of date. Reload the page and try again.", 403)
        email, password = request.form.get("email", "").strip(), request.form.get("password", "")
        if not email or not password:
            return self._sign_in_page(request, "Enter your e-mail and password.", 400)
        next_path = safe_return_path(request.form.get("next", ""), request.root) or ""
        try:
            result = self._auth.sign_in(email, password)
        except SignInFailed as exc:
            return _retry_after(self._sign_in_page(request, str(exc), exc.status), exc)
        spent = f"{PRE_SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict"
        if isinstance(result, Challenge):
            return self._next_step(request, result, next_path, [spent])
        return self._signed_in(request, result, next_path, [spent])

    def _signed_in(self, request: Request, token: str, next_path: str, cookies: list[str]) -> Response:
        try:
            who = self.verifier.verify(token)
        except InvalidToken:
            return self._sign_in_page(request, "Sign-in did not produce a valid session.", 401, next_path)
        logger.info("coach signed in", coach_id=who.coach_id)
        max_age = int(who.expires_at - request.now.timestamp())
        return redirect(next_path or request.root + "/alerts", cookies=[session_cookie(token, max_age), *cookies])

    # --- sign-in steps (Cognito challenges) ---------------------------------------------------------
    # The step rides in a signed cookie (``ml_step``) and is shown at ``/sign-in/step`` after a redirect, so a
    # reload never re-sends a password. Logs name the step and its outcome only: never the answer, the
    # Cognito session or the e-mail.

    def _next_step(self, request: Request, challenge: Challenge, next_path: str, cookies: list[str]) -> Response:
        logger.info("sign-in step", challenge=challenge.name, outcome="asked")
        step = PendingStep(challenge.name, challenge.session, challenge.username, next_path,
                           int(request.now.timestamp()) + STEP_SECONDS)
        return redirect(request.root + "/sign-in/step",
                        cookies=[*cookies, step_cookie(seal_step(self._csrf_key(), step), request.root)])

    def _pending_step(self, request: Request) -> tuple[PendingStep, str] | None:
        value = cookie_value(request.cookie, STEP_COOKIE)
        step = open_step(self._csrf_key(), value, request.now.timestamp()) if value else None
        return (step, value) if step is not None else None

    def _timed_out(self, request: Request, challenge: str, next_path: str = "") -> Response:
        logger.info("sign-in step", challenge=challenge, outcome="timed_out")
        return self._sign_in_page(request, TIMED_OUT, 401, next_path, (clear_step_cookie(request.root),))

    def _step_form(self, request: Request, step: PendingStep, value: str, error: str = "",
                   status: int = 200) -> Response:
        body = self._render("sign_in_step.html.j2", request, None, step=step.name, error=error,
                            csrf=csrf_token(self._csrf_key(), "step|" + value),
                            min_length=MIN_PASSWORD_LENGTH, rules=PASSWORD_RULES)
        return Response(status, body)

    def _step_page(self, request: Request) -> Response:
        pending = self._pending_step(request)
        if pending is None:
            return self._timed_out(request, "unknown")
        return self._step_form(request, *pending)

    def _step_post(self, request: Request) -> Response:
        pending = self._pending_step(request)
        if pending is None:
            return self._timed_out(request, "unknown")
        step, value = pending
        if not csrf_valid(self._csrf_key(), "step|" + value, request.form.get(CSRF_FIELD, "")):
            return self._message(request, "Refused", "This form is out of date. Reload the page and try again.", 403)
        answers: dict[str, str]
        if step.name == NEW_PASSWORD_REQUIRED:
            new, again = request.form.get("new_password", ""), request.form.get("confirm_password", "")
            if not new:
                return self._step_form(request, step, value, "Enter a new password.", 400)
            if new != again:
                return self._step_form(request, step, value, "The two passwords differ: type the same one twice.",
                                       400)
            answers = {"NEW_PASSWORD": new}
        elif step.name == SOFTWARE_TOKEN_MFA:
            code = re.sub(r"[\s-]", "", request.form.get("code", ""))
            if not _TOTP_CODE.fullmatch(code):
                return self._step_form(request, step, value, "Enter the 6-digit code from your authenticator app.",
                                       400)
            answers = {"SOFTWARE_TOKEN_MFA_CODE": code}
        else:  # sealed by us, so only a step we ask for; kept total all the same
            return self._timed_out(request, step.name, step.next_path)
        try:
            result = self._auth.respond(Challenge(step.name, step.session, step.username), answers)
        except AnswerRefused as exc:
            logger.info("sign-in step", challenge=step.name, outcome=exc.reason)
            return self._step_form(request, step, value, str(exc), 400)
        except SignInUnavailable as exc:  # Cognito judged nothing: the same step, tried again in a moment
            logger.info("sign-in step", challenge=step.name, outcome=exc.reason)
            return _retry_after(self._step_form(request, step, value, str(exc), exc.status), exc)
        except ChallengeExpired:
            return self._timed_out(request, step.name, step.next_path)
        except SignInFailed as exc:
            logger.info("sign-in step", challenge=step.name, outcome="refused")
            return self._sign_in_page(request, str(exc), 401, step.next_path, (clear_step_cookie(request.root),))
        logger.info("sign-in step", challenge=step.name, outcome="answered")
        if isinstance(result, Challenge):
            return self._next_step(request, result, step.next_path, [])
        return self._signed_in(request, result, step.next_path, [clear_step_cookie(request.root)])

    def sign_out(self, page: Page, parts: list[str]) -> Response:
        logger.info("coach signed out", coach_id=page.who.coach_id)
        return redirect(page.request.root + "/sign-in", cookies=[clear_session_cookie()])

    # --- rendering --------------------------------------------------------------------------------

    def _render(self, template: str, request: Request, page: Page | None, **context: Any) -> str:
        return _TEMPLATES.get_template(template).render(
            root=request.root, who=page.who if page else None, csrf_field=CSRF_FIELD,
            csrf=context.pop("csrf", page.csrf if page else ""), words=present, now=request.now, **context)

    def _message(self, request: Request, title: str, text: str, status: int) -> Response:
        return Response(status, self._render("message.html.j2", request, None, title=title, text=text))

    def _not_found(self, request: Request, what: str) -> Response:
        return self._message(request, "Not found", f"There is no such {what}, or it is not yours to see.", 404)

    def _visible_client(self, page: Page, client_id: str) -> ClientView | None:
        client = self.data.client(client_id)
        if client is None:
            return None
        now = page.request.now
        if client.coach_id == page.who.coach_id or page.who.admin:
            return client
        alerts = self.data.alerts_of_client(client_id, now - timedelta(days=ACCESS_LOOKBACK_DAYS), now)
        return client if may_see_client(page.who, client, alerts) else None

    def _audit(self, page: Page, client_ids: list[str], what: str) -> None:
        self.data.record_audit([AuditEntry(page.who.coach_id, cid, page.request.now, what)
                                for cid in dict.fromkeys(client_ids)])

    # --- alerts ------------------------------------------------------------------------------------

    def open_alerts(self, page: Page, parts: list[str]) -> Response:
        alerts = [a for a in self.data.open_alerts() if may_see_alert(page.who, a)]
        alerts.sort(key=lambda a: (a.status != "open", -_level_rank(a.level), a.opened_at))
        clients = {a.client_id: self.data.client(a.client_id) for a in alerts}
        return Response(200, self._render("alerts.html.j2", page.request, page, alerts=alerts, clients=clients,
                                          coach_names=page.coach_names))

    def alert_page(self, page: Page, parts: list[str]) -> Response:
        now = page.request.now
        alert = self.data.alert(parts[1])
        client = self.data.client(alert.client_id) if alert is not None else None
        if alert is None or client is None or not may_see_alert(page.who, alert):
            return self._message(page.request, "Not found", "There is no such alert, or it is not yours to see.", 404)
        start = min(now - timedelta(days=HISTORY_DAYS), alert.opened_at - timedelta(days=1))
        messages = self.data.messages(client.client_id, start, now + timedelta(seconds=1))
        self._audit(page, [client.client_id], "alert")
        replies = [m for m in messages if m.key in set(alert.replies)]
        sent = [m for m in messages if (m.direction == "outbound" and m.kind in {"resources", "notice", "coach"}
                                        and m.at >= alert.opened_at - timedelta(minutes=5))
                or (m in replies and m.reply_sent in present.ANSWER_WORDS)]
        end_day = now.astimezone(present.zone(client.timezone)).date()
        moods = present.daily_moods(messages, client.timezone, end_day, HISTORY_DAYS)
        alert_day = (end_day - alert.opened_at.astimezone(present.zone(client.timezone)).date()).days
        chart = Markup(present.mood_chart(moods, {HISTORY_DAYS - 1 - alert_day}))  # noqa: S704 - numbers only
        coach = page.coaches.get(client.coach_id)
        body = self._render("alert.html.j2", page.request, page, alert=alert, client=client, replies=replies,
                            sent=sent, chart=chart, coach=coach, outcomes=OUTCOMES, coach_names=page.coach_names,
                            done=page.request.query.get("done", ""),
                            submission=secrets.token_urlsafe(16), back=f"/alerts/{alert.alert_id}")
        return Response(200, body)

    def alert_action(self, page: Page, parts: list[str]) -> Response:
        alert = self.data.alert(parts[1])
        if alert is None or not may_see_alert(page.who, alert):
            return self._message(page.request, "Not found", "There is no such alert, or it is not yours to see.", 404)
        form, now, url = page.request.form, page.request.now, f"{page.request.root}/alerts/{alert.alert_id}"
        if parts[2] == "acknowledge":
            self.actions.acknowledge(alert.alert_id, by=page.who.coach_id, at=now)
            return redirect(url + "?done=acknowledged")
        if parts[2] == "resolve":
            outcome = form.get("outcome", "")
            if outcome not in OUTCOMES:
                return self._message(page.request, "Choose an outcome", "Go back and choose how it ended.", 400)
            self.actions.resolve(alert.alert_id, by=page.who.coach_id, outcome=outcome,
                                 note=form.get("note", "")[:500], at=now)
            return redirect(url + "?done=resolved")
        return self._message(page.request, "Not found", "There is no such action.", 404)

    # --- clients -----------------------------------------------------------------------------------

    def roster(self, page: Page, parts: list[str]) -> Response:
        """A caseload: one coach's clients, plus (on the viewer's own) every client whose open alert paged them.

        An admin sees everyone, one caseload at a time (``?coach=``), and every open alert of the practice
        on their own: the page costs one caseload's reads, never the whole practice's."""
        now = page.request.now
        who = page.who
        caseload = who.coach_id
        asked = page.request.query.get("coach", "")
        if who.admin and asked and asked != who.coach_id:
            if asked not in page.coaches:  # the roster's coaches, read once per request
                return self._not_found(page.request, "coach")
            caseload = asked
        open_alerts = {a.client_id: a for a in self.data.open_alerts()}
        clients = self.data.clients_of(caseload)
        if caseload == who.coach_id:
            shown = {c.client_id for c in clients}
            for alert in open_alerts.values():
                if alert.client_id not in shown and may_see_alert(who, alert):
                    other = self.data.client(alert.client_id)
                    if other is not None:
                        clients.append(other)
                        shown.add(other.client_id)
        # One message query per client (the sparkline, the week's rate): concurrently, so a caseload of 170
        # costs about 170 / ROSTER_WORKERS round trips in a row, not 170 (PynamoDB's client is thread-safe;
        # the scheduler's tick reads its shards the same way).
        with ThreadPoolExecutor(max_workers=ROSTER_WORKERS) as pool:
            rows = list(pool.map(lambda c: self._roster_row(c, open_alerts.get(c.client_id), now), clients))
        rows.sort(key=lambda r: r["attention"], reverse=True)
        heading = "My clients" if caseload == who.coach_id else f"{page.coaches[caseload].name}'s clients"
        caseloads = sorted((c for c in page.coaches.values() if c.coach_id != who.coach_id),
                           key=lambda c: c.name.casefold()) if who.admin else []
        return Response(200, self._render("clients.html.j2", page.request, page, rows=rows, heading=heading,
                                          caseloads=caseloads, caseload=caseload))

    def _roster_row(self, client: ClientView, alert: AlertView | None, now: datetime) -> dict[str, Any]:
        messages = self.data.messages(client.client_id, now - timedelta(days=HISTORY_DAYS), now)
        tz = present.zone(client.timezone)
        end_day = now.astimezone(tz).date()
        week = now - timedelta(days=7)
        probes = [m for m in messages if m.kind == "probe" and m.at >= week]
        replied_days = {m.at.astimezone(tz).date() for m in messages
                        if m.direction == "inbound" and m.kind == "reply" and m.at >= week}
        answered = sum(1 for p in probes if p.at.astimezone(tz).date() in replied_days)
        missed = len(probes) - answered
        replies = [m for m in messages if m.direction == "inbound" and m.kind == "reply"]
        last = replies[-1] if replies else None
        attention = ((100 + 10 * _level_rank(alert.level) if alert else 0) + (20 if client.status != "active" else 0)
                     + 3 * missed + (5 - (last.mood or 5) if last else 2))
        return {"client": client, "alert": alert, "last": last, "missed": missed,
                "rate": f"{answered}/{len(probes)}" if probes else "no check-ins",
                "spark": Markup(present.sparkline(present.daily_moods(messages, client.timezone, end_day, 14))),  # noqa: S704
                "attention": attention}

    def client_page(self, page: Page, parts: list[str]) -> Response:
        now = page.request.now
        client = self._visible_client(page, parts[1])
        if client is None:
            return self._not_found(page.request, "client")
        messages = self.data.messages(client.client_id, now - timedelta(days=THREAD_DAYS), now + timedelta(seconds=1))
        alerts = self.data.alerts_of_client(client.client_id, now - timedelta(days=THREAD_DAYS), now)
        self._audit(page, [client.client_id], "thread")
        coach = page.coaches.get(client.coach_id)
        body = self._render("client.html.j2", page.request, page, client=client, messages=messages, alerts=alerts,
                            coach=coach, submission=secrets.token_urlsafe(16), back=f"/clients/{client.client_id}",
                            done=page.request.query.get("done", ""))
        return Response(200, body)

    def text_client(self, page: Page, parts: list[str]) -> Response:
        if parts[2] != "text":
            return self._message(page.request, "Not found", "There is no such action.", 404)
        client = self._visible_client(page, parts[1])
        if client is None:
            return self._not_found(page.request, "client")
        form = page.request.form
        back = safe_return_path(page.request.root + form.get("back", ""), page.request.root) or (
            f"{page.request.root}/clients/{client.client_id}")
        text = form.get("body", "").strip()
        if not text or len(text) > 1000:
            return self._message(page.request, "Nothing sent", "Write a message of up to 1000 characters.", 400)
        if client.status != "active":
            return Response(409, self._render("opted_out.html.j2", page.request, page, client=client, back=back))
        sent = self.actions.text_client(client, text, by=page.who.coach_id,
                                        submission_id=form.get("submission", "")[:64] or secrets.token_urlsafe(16),
                                        at=page.request.now)
        if not sent.ok:
            if sent.error == "opted_out":
                return Response(409, self._render("opted_out.html.j2", page.request, page, client=client, back=back))
            return self._message(page.request, "Not sent", sent.error or "The message could not be sent.", 502)
        return redirect(back + ("&" if "?" in back else "?") + "done=texted")

    # --- review inbox ------------------------------------------------------------------------------

    def _inbox_items(self, page: Page) -> list[tuple[ClientView, MessageView]]:
        now = page.request.now
        since = now - timedelta(days=INBOX_DAYS)
        if page.who.admin:
            return self._waiting_items(now, since, None)
        return self._waiting_items(now, since, {c.client_id: c for c in self.data.clients_of(page.who.coach_id)})

    def _waiting_items(self, now: datetime, since: datetime,
                       caseload: dict[str, ClientView] | None) -> list[tuple[ClientView, MessageView]]:
        """The inbox: a coach's caseload, or (``None``) the whole practice for an admin. Read from the replies
        waiting (the review index), so its cost follows them and not the number of clients; then each of
        those clients' recent messages once."""
        waiting: dict[str, set[str]] = {}
        for client_id, key in self.data.awaiting_review(since, None if caseload is None else set(caseload)):
            waiting.setdefault(client_id, set()).add(key)
        items: list[tuple[ClientView, MessageView]] = []
        for client_id, keys in waiting.items():
            client = caseload[client_id] if caseload is not None else self.data.client(client_id)
            if client is None:  # erased meanwhile
                continue
            items += [(client, m) for m in self.data.messages(client_id, since, now + timedelta(seconds=1))
                      if m.key in keys]
        items.sort(key=lambda item: (-_level_rank(item[1].level), not item[1].review, item[1].at))
        return items

    def inbox(self, page: Page, parts: list[str]) -> Response:
        items = self._inbox_items(page)
        self._audit(page, [c.client_id for c, _ in items], "inbox")
        return Response(200, self._render("inbox.html.j2", page.request, page, items=items,
                                          marks=REVIEW_MARKS, done=page.request.query.get("done", "")))

    def mark_review(self, page: Page, parts: list[str]) -> Response:
        form, now = page.request.form, page.request.now
        if parts[1] != "mark" or form.get("mark") not in REVIEW_MARKS:
            return self._message(page.request, "Not found", "There is no such action.", 404)
        client = self._visible_client(page, form.get("client_id", ""))
        key = form.get("key", "")
        message = None
        if client is not None:
            message = next((m for m in self.data.messages(client.client_id, now - timedelta(days=INBOX_DAYS), now
                                                          + timedelta(seconds=1)) if m.key == key), None)
        if client is None or message is None:
            return self._message(page.request, "Not found", "There is no such reply, or it is not yours to see.", 404)
        mark = form["mark"]
        if mark == "should_have_paged":
            alert = self.actions.should_have_paged(client, message, by=page.who.coach_id, at=now)
            self.data.record_review(ReviewMark(client.client_id, key, mark, page.who.coach_id, now))
            return redirect(f"{page.request.root}/alerts/{alert.alert_id}?done=opened")
        self.data.record_review(ReviewMark(client.client_id, key, mark, page.who.coach_id, now))
        return redirect(f"{page.request.root}/inbox?done={mark}")
