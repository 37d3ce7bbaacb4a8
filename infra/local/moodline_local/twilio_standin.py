"""Offline stand-in for Twilio's Messages API, its status callbacks and its inbound SMS webhooks."""

from __future__ import annotations

import base64
import binascii
import hmac
import http.client
import json
import logging
import re
import secrets
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Final, Literal, Self, cast, get_args

from twilio.request_validator import RequestValidator

__all__ = [
    "API_VERSION",
    "DEFAULT_SERVICE_SENDER",
    "CallbackAttempt",
    "Encoding",
    "FinalStatus",
    "SentMessage",
    "TwilioStandIn",
    "build_inbound_params",
    "sms_segments",
]

logger = logging.getLogger(__name__)

API_VERSION: Final = "2010-04-01"
# Sender a Messaging Service "picks" from its pool; +15005550006 is Twilio's documented test From number.
DEFAULT_SERVICE_SENDER: Final = "+15005550006"

MAX_BODY_CHARS: Final = 1600
MAX_VALIDITY_PERIOD: Final = 36000
MAX_CALLBACK_URL_CHARS: Final = 4000
DEFAULT_PAGE_SIZE: Final = 50
MAX_PAGE_SIZE: Final = 1000
MAX_REQUEST_BYTES: Final = 1 << 20

Encoding = Literal["GSM-7", "UCS-2"]
FinalStatus = Literal["delivered", "undelivered", "failed"]

# 3GPP TS 23.038 default alphabet (ESC itself excluded: it only introduces an extension character).
_GSM7_BASIC: Final = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each of these costs two septets (ESC + char).
_GSM7_EXTENSION: Final = frozenset("\f^{}\\[~]|€")

# Single-part limits, and per-part limits once the 6-byte concatenation header eats into 140 bytes.
_GSM7_SINGLE, _GSM7_PART = 160, 153
_UCS2_SINGLE, _UCS2_PART = 70, 67

_E164: Final = re.compile(r"^\+[1-9]\d{1,14}$")
_SHORT_CODE: Final = re.compile(r"^\d{5,6}$")
_ALPHANUMERIC_SENDER: Final = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
_LIST_PATH: Final = re.compile(rf"^/{API_VERSION}/Accounts/(?P<account_sid>[^/]+)/Messages\.json$")
_INSTANCE_PATH: Final = re.compile(
    rf"^/{API_VERSION}/Accounts/(?P<account_sid>[^/]+)/Messages/(?P<sid>[^/]+)\.json$"
)

# Carrier outcomes used when a test asks for undelivered/failed without naming a code.
_DEFAULT_ERROR_CODES: Final[dict[str, int]] = {"undelivered": 30003, "failed": 30008}
_DELIVERY_ERROR_MESSAGES: Final[dict[int, str]] = {
    30001: "Queue overflow",
    30003: "Unreachable destination handset",
    30005: "Unknown destination handset",
    30006: "Landline or unreachable carrier",
    30007: "Carrier violation",
    30008: "Unknown error",
}
# Country codes Twilio's number lookup would resolve for geo fields; +1 is read as US (it is also CA).
_COUNTRY_BY_PREFIX: Final = (
    ("+353", "IE"),
    ("+1", "US"),
    ("+44", "GB"),
    ("+61", "AU"),
    ("+64", "NZ"),
    ("+49", "DE"),
    ("+33", "FR"),
)

# Webhook targets are local processes: an inherited HTTP(S)_PROXY must not capture them.
_OPENER: Final = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def sms_segments(body: str) -> tuple[Encoding, int]:
    """Encoding and segment count Twilio reports for ``body`` sent as SMS."""
    if all(ch in _GSM7_BASIC or ch in _GSM7_EXTENSION for ch in body):
        septets = [2 if ch in _GSM7_EXTENSION else 1 for ch in body]
        return "GSM-7", _pack(septets, _GSM7_SINGLE, _GSM7_PART)
    # One non-GSM character switches the whole message; astral characters take two UTF-16 units.
    units = [2 if ord(ch) > 0xFFFF else 1 for ch in body]
    return "UCS-2", _pack(units, _UCS2_SINGLE, _UCS2_PART)


def _pack(costs: list[int], single: int, per_part: int) -> int:
    """Fill parts greedily, never splitting an escape pair or surrogate pair, as handsets require."""
    if sum(costs) <= single:
        return 1
    parts, used = 1, 0
    for cost in costs:
        if used + cost > per_part:
            parts, used = parts + 1, 0
        used += cost
    return parts


def build_inbound_params(
    *,
    account_sid: str,
    to: str,
    from_: str,
    body: str,
    message_sid: str | None = None,
    messaging_service_sid: str | None = None,
) -> dict[str, str]:
    """The form fields Twilio POSTs to an inbound SMS webhook (geo fields empty when unknown, as Twilio)."""
    sid = message_sid or _new_sid("SM")
    _, num_segments = sms_segments(body)
    params = {
        "ToCountry": _country(to),
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": _country(from_),
        "To": to,
        "ToZip": "",
        "NumSegments": str(num_segments),
        "ReferralNumMedia": "0",
        "MessageSid": sid,
        "AccountSid": account_sid,
        "From": from_,
        "ApiVersion": API_VERSION,
    }
    if messaging_service_sid:
        params["MessagingServiceSid"] = messaging_service_sid
    return params


@dataclass(frozen=True)
class SentMessage:
    """One outbound message as the stand-in recorded it (numbers and body kept out of ``repr``)."""

    sid: str
    to: str = field(repr=False)
    from_: str | None = field(repr=False)
    body: str = field(repr=False)
    status: str
    status_callback: str | None
    num_segments: int
    encoding: Encoding
    messaging_service_sid: str | None
    media_urls: tuple[str, ...] = ()
    error_code: int | None = None
    validity_period: int | None = None


@dataclass(frozen=True)
class CallbackAttempt:
    """One status callback POST; ``http_status`` is None when no HTTP answer came back at all."""

    message_sid: str
    url: str
    message_status: str
    http_status: int | None
    error: str | None = None


class _ApiError(Exception):
    """An error answered in Twilio's JSON error shape."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        detail: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail
        self.headers = dict(headers or {})

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code}
        if self.detail:
            body["detail"] = self.detail
        body["message"] = self.message
        body["more_info"] = f"https://www.twilio.com/docs/errors/{self.code}"
        body["status"] = self.status
        return body


@dataclass(frozen=True)
class _Reply:
    status: int
    payload: dict[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass
class _Record:
    """Mutable server-side state of one message; only touched while holding the stand-in's lock."""

    sid: str
    account_sid: str
    to: str
    from_: str | None
    body: str
    status: str
    messaging_service_sid: str | None
    status_callback: str | None
    num_segments: int
    encoding: Encoding
    media_urls: tuple[str, ...]
    validity_period: int | None
    date_created: datetime
    date_updated: datetime
    date_sent: datetime | None
    error_code: int | None = None
    error_message: str | None = None

    def snapshot(self) -> SentMessage:
        return SentMessage(
            sid=self.sid,
            to=self.to,
            from_=self.from_,
            body=self.body,
            status=self.status,
            status_callback=self.status_callback,
            num_segments=self.num_segments,
            encoding=self.encoding,
            messaging_service_sid=self.messaging_service_sid,
            media_urls=self.media_urls,
            error_code=self.error_code,
            validity_period=self.validity_period,
        )

    def resource(self) -> dict[str, Any]:
        """The api.v2010.account.message representation, keys in the order Twilio's examples use."""
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}.json"
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": self.body,
            "date_created": _rfc2822(self.date_created),
            "date_sent": _rfc2822(self.date_sent) if self.date_sent else None,
            "date_updated": _rfc2822(self.date_updated),
            "direction": "outbound-api",
            "error_code": self.error_code,
            "error_message": self.error_message,
            "from": self.from_,
            "messaging_service_sid": self.messaging_service_sid,
            "num_media": str(len(self.media_urls)),
            # The spec: a Messaging Service message reports 0 segments until a sender is assigned.
            "num_segments": "0" if self.status == "accepted" else str(self.num_segments),
            "price": None,
            "price_unit": None,
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {"media": uri.removesuffix(".json") + "/Media.json"},
            "to": self.to,
            "uri": uri,
        }


class TwilioStandIn:
    """Twilio's Messages REST API on 127.0.0.1, with recording, opt-outs, failure injection and callbacks."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        port: int = 0,
        *,
        service_sender: str = DEFAULT_SERVICE_SENDER,
        callback_timeout: float = 5.0,
        clock: Callable[[], datetime] | None = None,
        api_key: tuple[str, str] | None = None,
    ) -> None:
        self._account_sid = account_sid
        self._auth_token = auth_token
        # An API key (SID, secret) authenticates REST calls like the auth token, as at Twilio.
        self._api_key = api_key
        self._requested_port = port
        self._service_sender = service_sender
        self._callback_timeout = callback_timeout
        self._clock = clock or (lambda: datetime.now(UTC))
        self._validator = RequestValidator(auth_token)
        self._lock = threading.Lock()
        self._records: dict[str, _Record] = {}
        self._pending: list[str] = []
        self._opted_out: set[str] = set()
        self._failures: deque[_ApiError] = deque()
        self._callback_attempts: list[CallbackAttempt] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind 127.0.0.1 and serve on a daemon thread; returns self for chaining."""
        with self._lock:
            if self._server is not None:
                raise RuntimeError("TwilioStandIn is already running")
            server = _Server(self, self._requested_port)
            # A short poll keeps stop() fast; tests start and stop one of these per test.
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="twilio-standin",
                daemon=True,
            )
            self._server, self._thread = server, thread
        thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port; safe to call twice."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (the ephemeral one when constructed with port=0)."""
        server = self._server
        if server is None:
            raise RuntimeError("TwilioStandIn is not running; call start() first")
        return int(server.server_address[1])

    @property
    def url(self) -> str:
        """Base URL to assign to ``client.api.base_url``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def account_sid(self) -> str:
        """The only AccountSid this stand-in authenticates."""
        return self._account_sid

    # -- recording -------------------------------------------------------------------------------

    @property
    def messages(self) -> list[SentMessage]:
        """Snapshot of every message created, oldest first."""
        with self._lock:
            return [record.snapshot() for record in self._records.values()]

    def messages_to(self, number: str) -> list[SentMessage]:
        """Snapshot of the messages created to ``number``, oldest first."""
        with self._lock:
            return [record.snapshot() for record in self._records.values() if record.to == number]

    @property
    def callback_attempts(self) -> list[CallbackAttempt]:
        """Snapshot of every status callback POST attempted, in order."""
        with self._lock:
            return list(self._callback_attempts)

    def reset(self) -> None:
        """Forget messages, pending callbacks, opt-outs, injected failures and callback attempts."""
        with self._lock:
            self._records.clear()
            self._pending.clear()
            self._opted_out.clear()
            self._failures.clear()
            self._callback_attempts.clear()

    # -- test controls ---------------------------------------------------------------------------

    def opt_out(self, number: str) -> None:
        """Mark ``number`` as having texted STOP: creates to it now fail with 21610."""
        with self._lock:
            self._opted_out.add(number)

    def opt_in(self, number: str) -> None:
        """Undo :meth:`opt_out`, as a START from the handset would."""
        with self._lock:
            self._opted_out.discard(number)

    def is_opted_out(self, number: str) -> bool:
        """Whether creates to ``number`` currently fail with 21610."""
        with self._lock:
            return number in self._opted_out

    def fail_next(self, status: int, code: int, message: str, count: int = 1) -> None:
        """Answer the next ``count`` authenticated creates with this Twilio error instead."""
        if not 400 <= status <= 599:
            raise ValueError("status must be an HTTP error status (4xx or 5xx)")
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._failures.extend(_ApiError(status, code, message) for _ in range(count))

    # -- status callbacks --------------------------------------------------------------------------

    def flush_status_callbacks(
        self, final_status: FinalStatus = "delivered", *, error_code: int | None = None
    ) -> int:
        """Move every in-flight message to ``final_status``; POST signed callbacks; return how many.

        Callbacks follow Twilio's lifecycle: ``queued`` first for Messaging Service messages (they
        start as ``accepted``), then ``sent``, then the final status. ``failed`` means the message
        never left Twilio, so it skips ``sent``. Messages without a StatusCallback advance silently.
        """
        if final_status not in get_args(FinalStatus):
            raise ValueError(f"final_status must be one of {get_args(FinalStatus)}")
        if final_status == "delivered" and error_code is not None:
            raise ValueError("a delivered message carries no error code")
        code = error_code if error_code is not None else _DEFAULT_ERROR_CODES.get(final_status)
        with self._lock:
            sids, self._pending = self._pending, []
        posted = 0
        for sid in sids:
            for status in self._transitions(sid, final_status):
                callback = self._advance(sid, status, code)
                if callback is None:
                    continue
                url, params = callback
                self._deliver_callback(sid, url, status, params)
                posted += 1
        return posted

    def _transitions(self, sid: str, final_status: str) -> list[str]:
        with self._lock:
            record = self._records.get(sid)
            if record is None:  # reset() raced the flush
                return []
            steps = ["queued"] if record.status == "accepted" else []
        return [*steps, final_status] if final_status == "failed" else [*steps, "sent", final_status]

    def _advance(self, sid: str, status: str, error_code: int | None) -> tuple[str, dict[str, str]] | None:
        """Apply one status change; return the callback to post for it, if the message asked for one."""
        now = self._clock()
        with self._lock:
            record = self._records.get(sid)
            if record is None:
                return None
            record.status, record.date_updated = status, now
            if status == "queued":  # a Messaging Service picks its sender when it queues the message
                record.from_ = record.from_ or self._service_sender
            if status == "sent":
                record.date_sent = record.date_sent or now
            if status in ("undelivered", "failed"):
                record.error_code = error_code
                record.error_message = _DELIVERY_ERROR_MESSAGES.get(error_code or 0, "Unknown error")
            if record.status_callback is None:
                return None
            params = {
                "SmsSid": record.sid,
                "SmsStatus": status,
                "MessageStatus": status,
                "To": record.to,
                "MessageSid": record.sid,
                "AccountSid": record.account_sid,
                "From": record.from_ or "",
                "ApiVersion": API_VERSION,
            }
            if record.messaging_service_sid:
                params["MessagingServiceSid"] = record.messaging_service_sid
            if record.error_code is not None:
                params["ErrorCode"] = str(record.error_code)
            if status in ("delivered", "undelivered"):  # the carrier's DLR done date, YYMMDDhhmm
                params["RawDlrDoneDate"] = now.strftime("%y%m%d%H%M")
            return record.status_callback, params

    def _deliver_callback(self, sid: str, url: str, status: str, params: Mapping[str, str]) -> None:
        """POST one callback; a broken receiver is recorded (as Twilio logs 11200), never raised."""
        http_status: int | None
        error: str | None = None
        try:
            http_status, _ = _post_form(url, params, self.signature_for(url, params), self._callback_timeout)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            http_status, error = None, type(exc).__name__
        if http_status is None or not 200 <= http_status < 300:
            logger.warning("status callback for %s (%s) got %s", sid, status, http_status or error)
        with self._lock:
            self._callback_attempts.append(CallbackAttempt(sid, url, status, http_status, error))

    # -- playing Twilio towards Moodline's webhooks --------------------------------------------------

    def signature_for(self, url: str, params: Mapping[str, str]) -> str:
        """The X-Twilio-Signature Twilio would send for a form POST of ``params`` to ``url``."""
        return str(self._validator.compute_signature(url, dict(params)))

    def post_signed(
        self,
        url: str,
        params: Mapping[str, str],
        *,
        signature: str | None = None,
        sign: bool = True,
    ) -> tuple[int, str]:
        """POST a form as Twilio does; ``signature`` forges the header, ``sign=False`` omits it."""
        if signature is None and sign:
            signature = self.signature_for(url, params)
        return _post_form(url, params, signature, self._callback_timeout)

    def post_inbound(
        self,
        webhook_url: str,
        *,
        to: str,
        from_: str,
        body: str,
        message_sid: str | None = None,
        messaging_service_sid: str | None = None,
    ) -> tuple[int, str]:
        """Deliver an inbound SMS to ``webhook_url`` as Twilio would; returns (HTTP status, body/TwiML)."""
        params = build_inbound_params(
            account_sid=self._account_sid,
            to=to,
            from_=from_,
            body=body,
            message_sid=message_sid,
            messaging_service_sid=messaging_service_sid,
        )
        return self.post_signed(webhook_url, params)

    # -- REST API ----------------------------------------------------------------------------------

    def _handle(self, method: str, target: str, authorization: str | None, raw_body: bytes) -> _Reply:
        path, _, query = target.partition("?")
        list_match = _LIST_PATH.match(path)
        instance_match = _INSTANCE_PATH.match(path)
        match = list_match or instance_match
        if match is None:
            raise _not_found(path)
        self._authenticate(authorization, match["account_sid"])
        if list_match and method == "POST":
            form = urllib.parse.parse_qs(raw_body.decode("utf-8", "replace"), keep_blank_values=True)
            return _Reply(201, self._create(form))
        if list_match and method == "GET":
            return _Reply(200, self._list(path, urllib.parse.parse_qs(query)))
        if instance_match and method == "GET":
            return _Reply(200, self._fetch(path, instance_match["sid"]))
        raise _ApiError(405, 20004, "Method not allowed")

    def _authenticate(self, authorization: str | None, path_account_sid: str) -> None:
        scheme, _, encoded = (authorization or "").partition(" ")
        try:
            username, _, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            username = password = ""
        # compare_digest on both halves so a wrong token costs the same time as a wrong SID.
        pairs = [(self._account_sid, self._auth_token), *([self._api_key] if self._api_key else [])]
        valid = (
            scheme.lower() == "basic"
            and any(hmac.compare_digest(username.encode(), user.encode())
                    & hmac.compare_digest(password.encode(), secret.encode()) for user, secret in pairs)
            and path_account_sid == self._account_sid
        )
        if not valid:
            raise _ApiError(
                401,
                20003,
                "Authenticate",
                detail="Your AccountSid or AuthToken was incorrect.",
                headers={"WWW-Authenticate": 'Basic realm="Twilio API"'},
            )

    def _create(self, form: Mapping[str, list[str]]) -> dict[str, Any]:
        with self._lock:
            injected = self._failures.popleft() if self._failures else None
        if injected is not None:  # outages and rate limits hit before Twilio reads the request
            raise injected

        def first(name: str) -> str | None:
            values = form.get(name)
            return values[0] if values and values[0] != "" else None

        to = first("To")
        from_ = first("From")
        service_sid = first("MessagingServiceSid")
        body = first("Body") or ""
        media_urls = tuple(url for url in form.get("MediaUrl", []) if url)
        status_callback = first("StatusCallback")
        # Check order follows Twilio's: required fields, then formats, then recipient state.
        if to is None:
            raise _ApiError(400, 21604, "A 'To' phone number is required.")
        if from_ is None and service_sid is None:
            raise _ApiError(400, 21603, "A 'From' phone number is required.")
        if not body and not media_urls:
            raise _ApiError(400, 21602, "Message body is required.")
        if len(body) > MAX_BODY_CHARS:
            raise _ApiError(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        # Twilio echoes the number in these two messages; we don't, because callers log exception text.
        if not _E164.match(to):
            raise _ApiError(400, 21211, "The 'To' number is not a valid phone number.")
        if from_ is not None and not (
            _E164.match(from_) or _SHORT_CODE.match(from_) or _ALPHANUMERIC_SENDER.match(from_)
        ):
            raise _ApiError(
                400,
                21212,
                "The 'From' number is not a valid phone number, shortcode, or alphanumeric sender ID.",
            )
        if from_ == to:
            raise _ApiError(400, 21266, "'To' and 'From' number cannot be the same")
        if status_callback is not None and not _valid_callback_url(status_callback):
            raise _ApiError(400, 21609, "Invalid StatusCallback url")
        validity_period = _validity_period(first("ValidityPeriod"))

        encoding, num_segments = sms_segments(body)
        now = self._clock()
        status = "accepted" if service_sid else "queued"
        record = _Record(
            sid=_new_sid("MM" if media_urls else "SM"),
            account_sid=self._account_sid,
            to=to,
            from_=from_,
            body=body,
            status=status,
            messaging_service_sid=service_sid,
            status_callback=status_callback,
            num_segments=1 if media_urls else num_segments,  # an MMS is one message however long
            encoding=encoding,
            media_urls=media_urls,
            validity_period=validity_period,
            date_created=now,
            date_updated=now,
            date_sent=None if status == "accepted" else now,
        )
        with self._lock:  # check and insert together so an opt-out can't slip between them
            if to in self._opted_out:
                raise _ApiError(400, 21610, "Attempt to send to unsubscribed recipient")
            self._records[record.sid] = record
            self._pending.append(record.sid)
            resource = record.resource()
        logger.debug("created %s status=%s segments=%d %s", record.sid, status, num_segments, encoding)
        return resource

    def _fetch(self, path: str, sid: str) -> dict[str, Any]:
        with self._lock:
            record = self._records.get(sid)
            if record is None:
                raise _not_found(path)
            return record.resource()

    def _list(self, path: str, query: Mapping[str, list[str]]) -> dict[str, Any]:
        filters = {name: query[name][0] for name in ("To", "From") if query.get(name)}
        page_size = min(max(_int_or(query, "PageSize", DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE)
        page = max(_int_or(query, "Page", 0), 0)
        with self._lock:
            matching = [
                record.resource()
                for record in reversed(self._records.values())  # newest first, as Twilio lists
                if filters.get("To", record.to) == record.to
                and filters.get("From", record.from_) == record.from_
            ]
        start = page * page_size
        chunk = matching[start : start + page_size]

        def page_uri(number: int) -> str:
            return f"{path}?{urllib.parse.urlencode({**filters, 'PageSize': page_size, 'Page': number})}"

        return {
            "end": start + len(chunk) - 1 if chunk else start,
            "first_page_uri": page_uri(0),
            "messages": chunk,
            "next_page_uri": page_uri(page + 1) if start + page_size < len(matching) else None,
            "page": page,
            "page_size": page_size,
            "previous_page_uri": page_uri(page - 1) if page > 0 else None,
            "start": start,
            "uri": page_uri(page),
        }


class _Server(ThreadingHTTPServer):
    # Daemon handler threads: an idle keep-alive client must never block stop().
    daemon_threads = True

    def __init__(self, standin: TwilioStandIn, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.standin = standin

    def handle_error(self, request: Any, client_address: Any) -> None:
        """socketserver prints a traceback to stderr here (e.g. a client hanging up mid-reply); log a line."""
        logger.debug("connection error while serving a request", exc_info=False)


class _Handler(BaseHTTPRequestHandler):
    server_version = "TwilioStandIn/1.0"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: request lines carry list filters with phone numbers, and stderr is for tests."""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_REQUEST_BYTES:
            self._reply(_Reply(400, _ApiError(400, 20001, "Invalid Content-Length").payload()))
            return
        raw_body = self.rfile.read(length) if length > 0 else b""
        standin = cast(_Server, self.server).standin
        try:
            reply = standin._handle(method, self.path, self.headers.get("Authorization"), raw_body)
        except _ApiError as err:
            reply = _Reply(err.status, err.payload(), err.headers)
        except Exception as exc:  # a stand-in bug must reach the client as a 500, not a dropped socket
            logger.error("stand-in failed on %s: %s", method, type(exc).__name__)
            reply = _Reply(500, _ApiError(500, 20500, "Internal Server Error").payload())
        self._reply(reply)

    def _reply(self, reply: _Reply) -> None:
        data = json.dumps(reply.payload, ensure_ascii=False).encode("utf-8")
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Twilio-Request-Id", _new_sid("RQ"))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _post_form(url: str, params: Mapping[str, str], signature: str | None, timeout: float) -> tuple[int, str]:
    """POST ``params`` form-encoded with Twilio's webhook headers; any HTTP status is returned, not raised."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise ValueError("webhook URLs must be http or https")
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "User-Agent": "TwilioProxy/1.1",
        "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
    }
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    data = urllib.parse.urlencode(dict(params)).encode("utf-8")
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return int(response.status), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        try:
            return int(err.code), err.read().decode("utf-8", "replace")
        finally:
            err.close()


def _new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def _rfc2822(moment: datetime) -> str:
    """'Thu, 24 Aug 2023 05:01:45 +0000', the format every Twilio date field uses."""
    return format_datetime(moment.astimezone(UTC))


def _country(number: str) -> str:
    return next((country for prefix, country in _COUNTRY_BY_PREFIX if number.startswith(prefix)), "")


def _not_found(path: str) -> _ApiError:
    return _ApiError(404, 20404, f"The requested resource {path} was not found")


def _valid_callback_url(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    # Twilio rejects hostnames with underscores and URLs over 4000 characters.
    return (
        len(url) <= MAX_CALLBACK_URL_CHARS
        and parts.scheme in ("http", "https")
        and bool(host)
        and "_" not in host
    )


def _validity_period(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_VALIDITY_PERIOD:
        raise _ApiError(400, 21624, "Invalid validity period value")
    return value


def _int_or(query: Mapping[str, list[str]], name: str, default: int) -> int:
    values = query.get(name)
    try:
        return int(values[0]) if values else default
    except ValueError:
        return default
