"""The workspace on 127.0.0.1 for browser and HTTP tests: the whole local stack on a moto *server*
(Cognito included, so the JWKS is fetched over HTTP exactly as in AWS), seeded with coaches, a client
with 28 days of history and a real crisis alert, and the coach function (and the one-tap alert links'
function) behind a tiny HTTP adapter that speaks API Gateway's proxy format (``/Prod`` stage prefix,
multi-value ``Set-Cookie``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3

from moodline.admin import Enrolment
from moodline.domain import Client, Message, message_key
from moodline.triage.model import Level
from moodline.vocabulary import ClientStatus, Direction, MessageKind
from moodline_local.runtime import build_api_event
from moodline_local.stack import LOCAL_FROM_NUMBER, LocalStack, free_port
from tests.conftest import ROOT

STAGE = "/Prod"
PASSWORD = "Correct-Horse-42"  # local only: a moto user pool on 127.0.0.1
FUNCTION = "CoachWebFunction"
LINKS_FUNCTION = "AlertActionsFunction"


@dataclass
class Seeded:
    base_url: str
    stack: LocalStack
    coaches: dict[str, str]  # coach_id → e-mail
    clients: dict[str, Client] = field(default_factory=dict)
    alert_id: str = ""
    password: str = PASSWORD

    def url(self, path: str) -> str:
        return f"{self.base_url}{STAGE}/coach{path}"

    def ack_link(self, coach_id: str, *, now: datetime, round: int = 0) -> str:
        """The one-tap acknowledge link a page to ``coach_id`` carries, signed with the stack's own key."""
        from moodline.links import AlertLink

        key = self.stack.functions_services(LINKS_FUNCTION).link_key()
        return AlertLink.for_page("ack", self.alert_id, coach_id, now, round=round).url(f"{self.base_url}{STAGE}", key)

    @property
    def services(self) -> Any:
        """The coach function's own composition root: its repositories, workspace tables included."""
        return self.stack.functions_services(FUNCTION)


def create_coach_user(stack: LocalStack, coach_id: str, email: str, *, admin_group: bool = False) -> None:
    cognito = boto3.client("cognito-idp", region_name="us-east-1")
    pool = stack.resource("CoachUserPool").name
    cognito.admin_create_user(UserPoolId=pool, Username=email, MessageAction="SUPPRESS",
                              UserAttributes=[{"Name": "email", "Value": email},
                                              {"Name": "custom:coach_id", "Value": coach_id}])
    cognito.admin_set_user_password(UserPoolId=pool, Username=email, Password=PASSWORD, Permanent=True)
    if admin_group:
        cognito.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName="admins")


def invite_coach(stack: LocalStack, coach_id: str, name: str, email: str) -> str:
    """What `moodline coach add` does: the roster entry and a Cognito user with a temporary password (returned),
    so the coach's first sign-in is Cognito's new-password step."""
    from moodline.adapters.cognito import CognitoSignIn

    pool = stack.resource("CoachUserPool").name
    _, password = stack.roster.onboard_coach(coach_id, name, email, sign_in=CognitoSignIn(pool, send_invitation=False))
    assert password is not None
    return password


def _history(stack: LocalStack, client: Client, now: datetime, days: int, retention: int) -> None:
    """Probes and rated replies for ``days`` days (some missed), written as the webhook and scorer would."""
    messages = stack.ops.messages
    for day in range(days, 0, -1):
        probe_at = (now - timedelta(days=day)).replace(hour=17, minute=0, second=0, microsecond=0)
        messages.record(Message(client_id=client.client_id, at=message_key(probe_at, f"SMp{day}"), sid=f"SMp{day}",
                                direction=Direction.OUTBOUND, kind=MessageKind.PROBE,
                                local_date=probe_at.date().isoformat()), retention_days=retention)
        if day % 4 == 0:
            continue  # a missed check-in
        mood = 4 if day > 10 else 3 if day > 4 else 2
        reply_at = probe_at + timedelta(minutes=20)
        body = f"{mood} tired, not sleeping" if day % 5 == 0 else str(mood)
        message = messages.record(Message(
            client_id=client.client_id, at=message_key(reply_at, f"SMr{day}"), sid=f"SMr{day}",
            direction=Direction.INBOUND, kind=MessageKind.REPLY, local_date=reply_at.date().isoformat(), body=body),
            retention_days=retention)
        messages.save_assessment(message, mood=float(mood), level=Level.LOW, reasons=[], alert_id=None)


def seed(stack: LocalStack, now: datetime) -> Seeded:
    """Two coaches (Casey on call), Ben with 28 days of history and a crisis reply, Amy who opted out."""
    coaches = {"c1": "casey@practice.example", "c2": "jordan@practice.example", "ad": "ada@practice.example"}
    roster = stack.roster
    for coach_id, email in coaches.items():
        roster.add_coach(coach_id, {"c1": "Casey", "c2": "Jordan", "ad": "Ada"}[coach_id], email)
        create_coach_user(stack, coach_id, email, admin_group=coach_id == "ad")
    roster.set_shift("primary", starts_at=now - timedelta(days=40), ends_at=now + timedelta(days=1), primary="c1")
    settings = stack.settings()
    start = now - timedelta(days=30)

    def enrol(coach_id: str, name: str, phone: str, timezone: str, locale: str) -> Client:
        return roster.enroll_client(Enrolment(coach_id, name, phone, timezone, "09:00", locale),
                                    phone_key=stack.phone_key(), now=start, shards=settings.due_shards)

    ben = enrol("c1", "Ben", "+15550100002", "America/Los_Angeles", "en-US")
    amy = enrol("c1", "Amy", "+15550100003", "America/New_York", "en-US")
    zoe = enrol("c2", "Zoe", "+15550100004", "Europe/Madrid", "es-US")
    for client in (ben, amy, zoe):
        _history(stack, client, now, 28, settings.retention_days)
    # Amy texted STOP: she cannot be texted.
    clients = stack.ops.clients
    clients.set_status(clients.get(amy.client_id) or amy, ClientStatus.STOPPED, now=now, shards=settings.due_shards)
    # Ben's crisis reply arrives through the real webhook and scorer: a real alert, a real page.
    stack.clock = lambda: now - timedelta(minutes=3)
    stack.twilio.post_inbound(stack.inbound_url, to=LOCAL_FROM_NUMBER, from_="+15550100002",
                              body="I can't do this anymore <script>alert(1)</script> saying goodbye tonight")
    stack.settle()
    stack.clock = lambda: datetime.now(UTC)
    alert_id = (clients.get(ben.client_id) or ben).open_alert_id or ""
    return Seeded("", stack, coaches, {"ben": ben, "amy": amy, "zoe": zoe}, alert_id)


class _Adapter(BaseHTTPRequestHandler):
    """API Gateway in front of the coach function (``/Prod/coach/...``) and the one-tap links
    (``/Prod/alerts/{alert_id}/{action}``): proxy event → response."""

    stack: LocalStack
    lock = threading.Lock()

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _route(self) -> None:
        parts = urlsplit(self.path)
        if parts.path.startswith(f"{STAGE}/coach"):
            function, resource = FUNCTION, "/coach/{proxy+}"
        elif parts.path.startswith(f"{STAGE}/alerts/"):
            function, resource = LINKS_FUNCTION, "/alerts/{alert_id}/{action}"
        else:
            self.send_error(404)
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        path = parts.path[len(STAGE):]
        headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        event = build_api_event(self.command, path, resource, headers=headers, body=body,
                                host=self.headers.get("Host", "localhost"), at=datetime.now(UTC),
                                query=parse_qs(parts.query, keep_blank_values=True) or None, stage_prefix=STAGE)
        assert self.stack.runtime is not None
        with self.lock, self.stack.quiet():
            result = self.stack.runtime.invoke(function, event)
        payload = (result.get("body") or "").encode()
        self.send_response(int(result["statusCode"]))
        for key, value in (result.get("headers") or {}).items():
            if key.lower() != "content-length":
                self.send_header(key, value)
        for key, values in (result.get("multiValueHeaders") or {}).items():
            for value in values:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _route  # noqa: N815


@contextmanager
def workspace_server(log_stream: Any = None) -> Iterator[Seeded]:
    """The seeded stack and the workspace on ``http://localhost:<port>/Prod/coach``."""
    stack = LocalStack(ROOT, aws="server", clock=lambda: datetime.now(UTC), log_stream=log_stream)
    stack.start()
    server: ThreadingHTTPServer | None = None
    try:
        seeded = seed(stack, datetime.now(UTC))
        handler = type("Adapter", (_Adapter,), {"stack": stack})
        port = free_port()
        server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        threading.Thread(target=server.serve_forever, name="coach-web", daemon=True).start()
        seeded.base_url = f"http://localhost:{port}"
        yield seeded
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        stack.stop()
