"""The session cookie, CSRF tokens and safe return-to paths.

The session *is* the Cognito ID token, in an HttpOnly, Secure, SameSite=Strict cookie: verified on
every request, so expiry, sign-out and tampering need no server-side state. The CSRF token is an
HMAC of the token under a key of our own: a form from another site cannot know it.

Between sign-in steps (a new password, a TOTP code) the step Cognito asked for rides in ``ml_step``:
HttpOnly, Secure, SameSite=Strict, scoped to the sign-in paths, as long as Cognito's session (3 minutes),
and signed with its own expiry, so a changed, swapped or stale step is refused here, not sent to Cognito.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from urllib.parse import quote, unquote, urlsplit

SESSION_COOKIE = "ml_session"
STEP_COOKIE = "ml_step"
STEP_SECONDS = 180  # Cognito's challenge session lives 3 minutes
CSRF_FIELD = "csrf"


def csrf_token(key: bytes, session_token: str) -> str:
    """The CSRF token of one session (stable for the session, useless for any other)."""
    return hmac.new(key, b"moodline/csrf/v1|" + session_token.encode(), hashlib.sha256).hexdigest()


def csrf_valid(key: bytes, session_token: str, submitted: str) -> bool:
    return bool(submitted) and hmac.compare_digest(csrf_token(key, session_token), submitted)


def session_cookie(token: str, max_age: int) -> str:
    """``Set-Cookie`` for a new session; ``Secure`` always (browsers accept it on http://localhost too)."""
    return (f"{SESSION_COOKIE}={token}; Path=/; Max-Age={max(max_age, 0)}; HttpOnly; Secure; "
            "SameSite=Strict")


def clear_session_cookie() -> str:
    return f"{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict"


def cookie_value(header: str, name: str) -> str:
    """One cookie's value from a ``Cookie`` header, or ``""`` (a malformed header is no cookie)."""
    if not header:
        return ""
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return ""
    morsel = jar.get(name)
    return morsel.value if morsel is not None else ""


def session_from_cookies(header: str) -> str:
    """The session token from a ``Cookie`` header, or ``""``."""
    return cookie_value(header, SESSION_COOKIE)


@dataclass(frozen=True)
class PendingStep:
    """A sign-in step in progress: Cognito's challenge, where to go after it, and when it lapses."""

    name: str
    session: str
    username: str
    next_path: str
    expires_at: int


def _step_mac(key: bytes, payload: bytes) -> str:
    digest = hmac.new(key, b"moodline/sign-in-step/v1|" + payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def seal_step(key: bytes, step: PendingStep) -> str:
    """The cookie value of ``step``: base64url JSON, a dot, its HMAC (cookie-safe characters only)."""
    payload = json.dumps([step.name, step.session, step.username, step.next_path, step.expires_at],
                         separators=(",", ":")).encode()
    body = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
    return f"{body}.{_step_mac(key, body.encode())}"


def open_step(key: bytes, value: str, now: float) -> PendingStep | None:
    """The step sealed in ``value`` if the signature holds and it has not lapsed; None otherwise."""
    body, _, mac = value.partition(".")
    if not body or not mac or len(value) > 4000 or not hmac.compare_digest(_step_mac(key, body.encode()), mac):
        return None
    try:
        fields = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        name, session, username, next_path, expires_at = fields
        step = PendingStep(str(name), str(session), str(username), str(next_path), int(expires_at))
    except (ValueError, TypeError, IndexError):
        return None
    return step if step.expires_at > now else None


def step_cookie(value: str, root: str, max_age: int = STEP_SECONDS) -> str:
    """``Set-Cookie`` for a sign-in step: only the sign-in paths ever see it."""
    return (f"{STEP_COOKIE}={value}; Path={root}/sign-in; Max-Age={max(max_age, 0)}; HttpOnly; Secure; "
            "SameSite=Strict")


def clear_step_cookie(root: str) -> str:
    return step_cookie("", root, 0)


# A return path goes into a Location header and, between sign-in steps, into the 4,000-character step cookie
# beside Cognito's session (up to 2,048): 512 ASCII characters, once encoded, is room enough for any page of ours.
MAX_RETURN_PATH = 512
# What a Location header may carry as it is; the rest is percent-encoded (UTF-8). A '%' starting an escape is
# kept: a path already encoded is never encoded twice.
_PATH_SAFE = "/!$&'()*+,;=:@%"
_QUERY_SAFE = _PATH_SAFE + "?"
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _ascii(text: str, safe: str) -> str:
    return quote(_STRAY_PERCENT.sub("%25", text), safe=safe)


def _resolved(path: str) -> str | None:
    """``path`` with its dot segments resolved as a browser does (``%2e`` is a dot too: WHATWG URL), or None for
    a segment that would read differently to a server that decodes it (an encoded ``/`` or ``\\``)."""
    kept: list[str] = []
    segments = path.split("/")[1:]
    for position, segment in enumerate(segments, start=1):
        decoded = unquote(segment)
        if "/" in decoded or "\\" in decoded:
            return None
        last = position == len(segments)
        if decoded == "..":
            if kept:
                kept.pop()
        elif decoded != ".":
            kept.append(segment)
            continue
        if last:  # "/a/.." and "/a/." end in a slash
            kept.append("")
    return "/" + "/".join(kept)


def safe_return_path(candidate: str, root: str) -> str | None:
    """Where to return after signing in: ``candidate`` if it is a path inside the workspace (``root``/…), else
    None (the default page): never an open redirect, never a path off the workspace.

    What is returned is the path a browser would go to, written as a Location header can carry it: ASCII only
    (anything else percent-encoded as UTF-8), dot segments resolved (``%2e`` included) and checked to stay
    under ``root``; no control characters or backslashes (browsers drop or rewrite them).
    """
    if not candidate or len(candidate) > MAX_RETURN_PATH or "\\" in candidate:
        return None
    if any(not c.isprintable() for c in candidate):
        return None
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc or not candidate.startswith("/") or candidate.startswith("//"):
        return None
    path = _resolved(_ascii(parts.path, _PATH_SAFE))
    if path is None or not (path == root or path.startswith(root + "/")):
        return None
    query = f"?{_ascii(parts.query, _QUERY_SAFE)}" if parts.query else ""
    fragment = f"#{_ascii(parts.fragment, _QUERY_SAFE)}" if parts.fragment else ""
    result = path + query + fragment
    return result if len(result) <= MAX_RETURN_PATH else None
