"""E-mail through SES v2: one message with an HTML and a plain-text part."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client


class SesMailer:
    """The :class:`moodline.ports.Mailer`: e-mail from one verified sender identity."""

    def __init__(self, sender: str, ses: Callable[[], SESV2Client] | None = None) -> None:
        if not sender:
            raise ValueError("a verified sender address is required")
        self._sender = sender
        self._client = ses or _default_client  # the container's shared client, made on the first e-mail
        self._ses: SESV2Client | None = None

    def send(self, *, to: str, subject: str, html: str, text: str) -> str:
        """Send one e-mail; returns the SES message id."""
        if self._ses is None:
            self._ses = self._client()
        response = self._ses.send_email(
            FromEmailAddress=self._sender,
            Destination={"ToAddresses": [to]},
            Content={
                "Simple": {
                    "Subject": {"Data": subject, "Charset": "UTF-8"},
                    "Body": {
                        "Text": {"Data": text, "Charset": "UTF-8"},
                        "Html": {"Data": html, "Charset": "UTF-8"},
                    },
                }
            },
        )
        return response["MessageId"]


def _default_client() -> SESV2Client:
    import boto3  # noqa: PLC0415 - only when no shared client was given

    return boto3.client("sesv2")
