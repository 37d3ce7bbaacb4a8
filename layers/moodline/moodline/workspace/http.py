"""A request and a response, independent of API Gateway (the function adapts events; tests build them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

from moodline.security_headers import SECURITY_HEADERS


@dataclass(frozen=True)
class Request:
    """``path`` is relative to the workspace root (``/alerts/al_1``); ``root`` is where the workspace lives
    as the browser sees it (``/Prod/coach`` behind API Gateway's stage, ``/coach`` on a custom domain)."""

    method: str
    path: str
    root: str
    now: datetime
    query: Mapping[str, str] = field(default_factory=dict)
    form: Mapping[str, str] = field(default_factory=dict)
    cookie: str = ""

    @property
    def full_path(self) -> str:
        query = "&".join(f"{quote(k)}={quote(v)}" for k, v in self.query.items())
        return self.root + self.path + (f"?{query}" if query else "")


@dataclass
class Response:
    status: int
    body: str = ""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    cookies: list[str] = field(default_factory=list)

    def all_headers(self) -> dict[str, str]:
        base = {"Content-Type": self.content_type, "Cache-Control": "no-store", **SECURITY_HEADERS}
        return {**base, **self.headers}


def redirect(location: str, *, cookies: list[str] | None = None) -> Response:
    return Response(303, "", headers={"Location": location}, cookies=cookies or [])
