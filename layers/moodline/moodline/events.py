"""What handlers read from their events: the event time (never the wall clock), and API Gateway's URL and form."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from moodline.schedule import from_iso


class BadEvent(ValueError):
    """An event without the time it should carry."""


def scheduled_time(event: Mapping[str, Any]) -> datetime:
    """The time a schedule fired for: Scheduler's ``scheduled_time`` input, or an EventBridge ``time``."""
    raw = event.get("scheduled_time") or event.get("time")
    if not isinstance(raw, str):
        raise BadEvent("scheduled event carries no 'scheduled_time' (or 'time')")
    try:
        return from_iso(raw)
    except ValueError as exc:
        raise BadEvent("scheduled event time is not ISO-8601 with a timezone") from exc


def request_time(event: Mapping[str, Any]) -> datetime:
    """When API Gateway received the request (``requestContext.requestTimeEpoch``, milliseconds)."""
    epoch_ms = (event.get("requestContext") or {}).get("requestTimeEpoch")
    if not isinstance(epoch_ms, int | float):
        raise BadEvent("API Gateway event carries no requestContext.requestTimeEpoch")
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)


def request_url(event: Mapping[str, Any], public_base_url: str = "") -> str:
    """The exact URL the caller used (what a webhook provider signs).

    Behind API Gateway, ``requestContext.path`` keeps the stage (``/Prod/twilio/inbound``) that
    ``path`` drops; the query string is part of the URL too. A custom domain or proxy in front is
    set with ``PUBLIC_BASE_URL`` instead.
    """
    context = event.get("requestContext") or {}
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    path = context.get("path") or event.get("path") or "/"
    if public_base_url:
        base = public_base_url
        path = event.get("path") or path
    else:
        scheme = headers.get("x-forwarded-proto", "https")
        host = context.get("domainName") or headers.get("host", "")
        base = f"{scheme}://{host}"
    query = event.get("multiValueQueryStringParameters") or {}
    pairs = [(k, v) for k, values in query.items() for v in values]
    return base + path + (f"?{urlencode(pairs)}" if pairs else "")


def stage_prefix(event: Mapping[str, Any]) -> str:
    """The stage in the caller's URL path (``/Prod`` behind the default execute-api URL; ``""`` on a custom
    domain): ``requestContext.path`` keeps it, ``path`` does not. Root-relative links built on it stay on the
    origin the caller used, whatever ``PUBLIC_BASE_URL`` says."""
    path = event.get("path") or "/"
    full = (event.get("requestContext") or {}).get("path") or path
    return full[: len(full) - len(path)] if full.endswith(path) else ""


def form_of(event: Mapping[str, Any]) -> dict[str, str]:
    """The form fields of a URL-encoded body (decoded from base64 when API Gateway did so)."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(body, validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadEvent("body is not valid base64 UTF-8") from exc
    return dict(parse_qsl(body, keep_blank_values=True))
