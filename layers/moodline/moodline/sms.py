"""Outbound SMS through Twilio's Messages API, with Twilio's errors sorted into retry or give up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from moodline.credentials import TwilioCredentials

if TYPE_CHECKING:  # twilio.rest costs ~120 ms to import: only functions that send SMS pay for it
    from twilio.rest import Client as TwilioClient

# Twilio error codes that say this *recipient* cannot take our SMS: retrying will not help, and
# the client's status should change. Any other refusal (bad credentials 20003, bad sender 21606,
# region not enabled 21408) is our configuration: it must alarm, never unenrol clients.
RECIPIENT_CODES = {
    21211: "invalid 'To' number",
    21610: "recipient opted out",
    21612: "unreachable carrier route",
    21614: "not a mobile number",
}
HTTP_TIMEOUT_SECONDS = 10  # the twilio client has no timeout of its own; a hung send would hold the batch
# Throttling and queue pressure: worth retrying after a pause (RapidPro marks these retryable too).
RETRYABLE_CODES = {20429, 30001, 63018}

@dataclass(frozen=True)
class SentSms:
    """What Twilio answered for one message."""

    sid: str
    status: str


class SmsSendError(Exception):
    """Twilio refused a message. ``retryable`` says whether sending it again later can succeed;
    ``recipient`` whether the refusal is about the number (opted out, invalid), not our setup."""

    def __init__(self, message: str, *, status: int | None, code: int | None, retryable: bool) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.retryable = retryable
        self.recipient = code in RECIPIENT_CODES


def build_twilio_client(credentials: TwilioCredentials, *, api_base_url: str = "") -> TwilioClient:
    """The real twilio ``Client``; ``api_base_url`` points it elsewhere (the offline stand-in)."""
    from twilio.http.http_client import TwilioHttpClient  # noqa: PLC0415
    from twilio.rest import Client as TwilioClient  # noqa: PLC0415 - only senders pay its import time

    client = TwilioClient(credentials.account_sid, credentials.auth_token,
                          http_client=TwilioHttpClient(timeout=HTTP_TIMEOUT_SECONDS))
    if api_base_url:
        client.api.base_url = api_base_url.rstrip("/")
    return client


class TwilioSms:
    """Sends SMS with the official client; rebuilds it when the credentials rotate."""

    def __init__(
        self,
        credentials: Callable[[], TwilioCredentials],
        *,
        from_number: str = "",
        messaging_service_sid: str = "",
        status_callback_url: str = "",
        api_base_url: str = "",
    ) -> None:
        if not (from_number or messaging_service_sid):
            raise ValueError("a sender is required: a from number or a messaging service SID")
        self._credentials = credentials
        self._from_number = from_number
        self._messaging_service_sid = messaging_service_sid
        self._status_callback_url = status_callback_url
        self._api_base_url = api_base_url
        self._client: TwilioClient | None = None
        self._client_credentials: TwilioCredentials | None = None

    def _twilio(self) -> TwilioClient:
        credentials = self._credentials()
        if self._client is None or credentials != self._client_credentials:
            self._client = build_twilio_client(credentials, api_base_url=self._api_base_url)
            self._client_credentials = credentials
        return self._client

    def send(self, to: str, body: str) -> SentSms:
        """Send one SMS; raises :class:`SmsSendError` with ``retryable`` set from Twilio's answer."""
        from twilio.base.exceptions import TwilioRestException  # noqa: PLC0415 - loaded with twilio.rest

        sender = (
            {"messaging_service_sid": self._messaging_service_sid}
            if self._messaging_service_sid
            else {"from_": self._from_number}
        )
        extra = {"status_callback": self._status_callback_url} if self._status_callback_url else {}
        try:
            message = self._twilio().messages.create(to=to, body=body, **sender, **extra)
        except TwilioRestException as exc:
            code = exc.code if isinstance(exc.code, int) else None
            retryable = code not in RECIPIENT_CODES and (
                code in RETRYABLE_CODES or exc.status == 429 or exc.status >= 500
            )
            raise SmsSendError(
                RECIPIENT_CODES.get(code or 0, f"Twilio refused the message (HTTP {exc.status})"),
                status=exc.status,
                code=code,
                retryable=retryable,
            ) from None  # the cause carries the recipient number; keep it out of logs
        except OSError as exc:  # connection reset, DNS, timeout: the message may not have left
            raise SmsSendError(f"Twilio unreachable: {type(exc).__name__}", status=None, code=None,
                               retryable=True) from None
        return SentSms(sid=str(message.sid), status=str(message.status or "queued"))
