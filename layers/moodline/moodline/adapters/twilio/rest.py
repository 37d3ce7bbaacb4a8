"""Outbound SMS through Twilio's Messages API, with Twilio's errors sorted into what the use cases do."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from moodline.adapters.twilio.codes import DESCRIPTIONS, rank_of, refusal_of, status_of
from moodline.credentials import TwilioRestCredentials
from moodline.domain import SentSms, SmsSendError
from moodline.vocabulary import DeliveryStatus, Refusal

if TYPE_CHECKING:  # twilio.rest costs ~120 ms to import: only functions that send SMS pay for it
    from twilio.rest import Client as TwilioClient

# Twilio error codes that say this *recipient* cannot take our SMS: retrying will not help, and
# the client's status should change. Any other refusal (bad credentials 20003, bad sender 21606,
# region not enabled 21408) is our configuration: it must alarm, never unenrol clients.
MAX_VALIDITY_SECONDS = 36_000  # Twilio's ceiling for ValidityPeriod (error 90007 above it)
HTTP_TIMEOUT_SECONDS = 10  # the twilio client has no timeout of its own; a hung send would hold the batch


def build_twilio_client(credentials: TwilioRestCredentials, *, api_base_url: str = "") -> TwilioClient:
    """The real twilio ``Client`` on a revocable API key; ``api_base_url`` points it elsewhere (the offline stand-in).

    Authenticating with an API key (SID and secret) rather than the account's auth token means a
    leaked sender can be revoked alone, and the webhook's token never leaves the webhook.
    """
    from twilio.http.http_client import TwilioHttpClient  # noqa: PLC0415
    from twilio.rest import Client as TwilioClient  # noqa: PLC0415 - only senders pay its import time

    client = TwilioClient(credentials.api_key_sid, credentials.api_key_secret, credentials.account_sid,
                          http_client=TwilioHttpClient(timeout=HTTP_TIMEOUT_SECONDS))
    if api_base_url:
        client.api.base_url = api_base_url.rstrip("/")
    return client


class TwilioSms:
    """:class:`moodline.ports.SmsSender` with the official client; rebuilds it when the credentials rotate."""

    def __init__(
        self,
        credentials: Callable[[], TwilioRestCredentials],
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
        self._client_credentials: TwilioRestCredentials | None = None

    def _twilio(self) -> TwilioClient:
        credentials = self._credentials()
        if self._client is None or credentials != self._client_credentials:
            self._client = build_twilio_client(credentials, api_base_url=self._api_base_url)
            self._client_credentials = credentials
        return self._client

    def send(self, to: str, body: str, *, valid_for: timedelta | None = None) -> SentSms:
        """Send one SMS; raises :class:`SmsSendError` with its ``refusal`` read from Twilio's answer."""
        from twilio.base.exceptions import TwilioRestException  # noqa: PLC0415 - loaded with twilio.rest

        sender = (
            {"messaging_service_sid": self._messaging_service_sid}
            if self._messaging_service_sid
            else {"from_": self._from_number}
        )
        extra: dict[str, Any] = {"status_callback": self._status_callback_url} if self._status_callback_url else {}
        if valid_for is not None:
            # Twilio drops a message still queued after ValidityPeriod (error 30036), 1-36,000 s.
            extra["validity_period"] = min(MAX_VALIDITY_SECONDS, max(1, int(valid_for.total_seconds())))
        try:
            message = self._twilio().messages.create(to=to, body=body, **sender, **extra)
        except TwilioRestException as exc:
            code = exc.code if isinstance(exc.code, int) else None
            raise SmsSendError(
                DESCRIPTIONS.get(code or 0, f"Twilio refused the message (HTTP {exc.status})"),
                refusal=refusal_of(code, exc.status),
                code=code,
                http_status=exc.status,
            ) from None  # the cause carries the recipient number; keep it out of logs
        except OSError as exc:  # connection reset, DNS, timeout: the message may not have left
            raise SmsSendError(f"Twilio unreachable: {type(exc).__name__}", refusal=Refusal.RETRYABLE) from None
        status = status_of(str(message.status or "")) or DeliveryStatus.QUEUED
        return SentSms(sid=str(message.sid), status=status, rank=rank_of(status))
