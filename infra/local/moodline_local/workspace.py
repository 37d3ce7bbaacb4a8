"""The coach workspace on the local stack: coaches' sign-ins on moto's Cognito, and its pages as HTML files.

Everything goes through the workspace's one entry point, the ``CoachWebFunction`` handler, with the
API Gateway proxy events AWS would send: sign-in with ``USER_PASSWORD_AUTH`` against the user pool,
the session cookie, the pages. Nothing here knows how the workspace is built inside.
"""

from __future__ import annotations

import contextlib
import html
import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import boto3

from moodline_local.stack import LocalStack
from moodline_local.template import REGION

FUNCTION = "CoachWebFunction"
POOL = "CoachUserPool"
# Local only: a moto user pool on 127.0.0.1. Meets the pool's policy (12+, upper, lower, digit).
LOCAL_PASSWORD = "Moodline-local-2026"
CHROMIUM = "/usr/bin/chromium"
SCREEN_WIDTH = 400  # the workspace is mobile-first: 400 px, no sideways scroll


class WorkspaceUnavailable(RuntimeError):
    """The workspace cannot be reached on this stack; the message says why in one line."""


@dataclass(frozen=True)
class SignIn:
    coach_id: str
    name: str
    email: str
    password: str


def workspace_url(stack: LocalStack) -> str:
    return f"{stack.base_url}/coach/"


def unavailable_reason(stack: LocalStack) -> str:
    """Why the workspace cannot serve here ("" when it can)."""
    assert stack.runtime is not None
    if FUNCTION in stack.runtime.broken:
        return f"its code does not load ({stack.runtime.broken[FUNCTION][1]})"
    if FUNCTION not in stack.runtime.functions:
        return "template.yaml declares no CoachWebFunction"
    if stack.template is None or POOL not in stack.template.resources:
        return "no Cognito user pool was provisioned"
    return ""


def create_sign_ins(stack: LocalStack, coaches: Iterable[tuple[str, str, str]], *,
                    password: str = LOCAL_PASSWORD, admins: Iterable[str] = ()) -> list[SignIn]:
    """A Cognito user per coach ``(coach_id, name, email)``, with ``custom:coach_id``, as ops create them."""
    assert stack.template is not None
    if POOL not in stack.template.resources:
        raise WorkspaceUnavailable("no Cognito user pool was provisioned")
    cognito = boto3.client("cognito-idp", region_name=REGION)
    pool = stack.resource(POOL).name
    admin_ids = set(admins)
    created = []
    for coach_id, name, email in coaches:
        # Seeded before (a second run on the same pool): only the password is set again below.
        with contextlib.suppress(cognito.exceptions.UsernameExistsException):
            cognito.admin_create_user(UserPoolId=pool, Username=email, MessageAction="SUPPRESS",
                                      UserAttributes=[{"Name": "email", "Value": email},
                                                      {"Name": "email_verified", "Value": "true"},
                                                      {"Name": "custom:coach_id", "Value": coach_id}])
        cognito.admin_set_user_password(UserPoolId=pool, Username=email, Password=password, Permanent=True)
        if coach_id in admin_ids:
            cognito.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName="admins")
        created.append(SignIn(coach_id, name, email, password))
    return created


class Browser:
    """A cookie jar in front of the workspace: what a coach's browser does, without a browser."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        assert self.stack.runtime is not None
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        body = ""
        if form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urlencode(form)
        path, _, query = path.partition("?")
        parsed = {k: [v] for k, v in (p.split("=", 1) for p in query.split("&") if "=" in p)} or None
        with self.stack.quiet():
            response = self.stack.runtime.api_request(method, path, headers=headers, body=body,
                                                      host=f"127.0.0.1:{self.stack.http_port}",
                                                      at=self.stack.clock(), query=parsed)
        for cookie in response.multi_headers.get("Set-Cookie", []) + (
                [response.headers["Set-Cookie"]] if "Set-Cookie" in response.headers else []):
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in cookie or not value:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        return response.status, response.headers, response.body

    def sign_in(self, email: str, password: str) -> None:
        """Fill in the sign-in form as a coach would (CSRF nonce included); raises if it is refused."""
        status, _, page = self.request("GET", "/coach/sign-in")
        if status != 200:
            raise WorkspaceUnavailable(f"the sign-in page answered {status}")
        form = {name: html.unescape(value) for name, value in re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)}
        form.update(email=email, password=password)
        before = dict(self.cookies)
        status, headers, _ = self.request("POST", "/coach/sign-in", form)
        if status not in (302, 303) or "sign-in" in headers.get("Location", "") or self.cookies == before:
            raise WorkspaceUnavailable(f"signing in as {email} was refused ({status})")

    def page(self, path: str) -> str:
        status, _, body = self.request("GET", path)
        if status != 200:
            raise WorkspaceUnavailable(f"GET {path} answered {status}")
        return body


def export_pages(stack: LocalStack, coach: SignIn, pages: dict[str, str], out_dir: Path) -> list[Path]:
    """Sign in as ``coach`` and save each workspace page ``{file stem: path}`` as HTML under ``out_dir``.

    The stylesheet and icon are saved beside them and the pages point at those copies, so the files
    open as they look on a phone.
    """
    reason = unavailable_reason(stack)
    if reason:
        raise WorkspaceUnavailable(reason)
    browser = Browser(stack)
    browser.sign_in(coach.email, coach.password)
    out_dir.mkdir(parents=True, exist_ok=True)
    static = out_dir / "static"
    static.mkdir(exist_ok=True)
    written = []
    for stem, path in pages.items():
        body = browser.page(path)
        for asset in sorted(set(re.findall(r'(?:href|src)="(/[^"]*/static/([^"/?]+))', body))):
            url, name = asset
            status, _, content = browser.request("GET", url)
            if status == 200:
                (static / name).write_text(content, encoding="utf-8")
            body = body.replace(f'"{url}"', f'"static/{name}"')
        target = out_dir / f"{stem}.html"
        target.write_text(body, encoding="utf-8")
        written.append(target)
    return written


def screenshot(html_file: Path, png: Path, *, chromium: str = CHROMIUM, height: int = 2000) -> None:
    """A 400 px-wide screenshot of ``html_file`` with headless Chromium."""
    png.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
         f"--screenshot={png}", f"--window-size={SCREEN_WIDTH},{height}", html_file.resolve().as_uri()],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60,
    )


def find_chromium(chromium: str = CHROMIUM) -> str | None:
    return shutil.which(chromium)
