"""The session cookie, CSRF tokens and safe return-to paths.

The session *is* the Cognito ID token, in an HttpOnly, Secure, SameSite=Strict cookie: verified on
every request, so expiry, sign-out and tampering need no server-side state. The CSRF token is an
HMAC of the token under a key of our own: a form from another site cannot know it.
"""

from __future__ import annotations

import hashlib
import hmac
from http.cookies import CookieError, SimpleCookie
from urllib.parse import urlsplit

SESSION_COOKIE = "ml_session"
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


def session_from_cookies(header: str) -> str:
    """The session token from a ``Cookie`` header, or ``""``."""
    if not header:
        return ""
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return ""
    morsel = jar.get(SESSION_COOKIE)
    return morsel.value if morsel is not None else ""


def safe_return_path(candidate: str, root: str) -> str | None:
    """``candidate`` if it is a path inside the workspace (``root``/…), else None: never an open redirect."""
    if not candidate or len(candidate) > 512 or any(c in candidate for c in "\\\r\n\t"):
        return None
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc or candidate.startswith("//"):
        return None
    if not (parts.path == root or parts.path.startswith(root + "/")) or "/../" in parts.path + "/":
        return None
    return candidate
