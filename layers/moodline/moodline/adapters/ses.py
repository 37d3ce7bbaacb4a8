"""E-mail through SES v2: one message with an HTML and a plain-text part."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client


class SesMailer:
    """The :class:`moodline.ports.Mailer`: e-mail from one verified sender identity."""

    def __init__(self, sender: str, ses: SESV2Client | None = None) -> None:
        if not sender:
            raise ValueError("a verified sender address is required")
        self._sender = sender
        self._ses = ses

    def send(self, *, to: str, subject: str, html: str, text: str) -> str:
        """Send one e-mail; returns the SES message id."""
        if self._ses is None:
            self._ses = boto3.client("sesv2")
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
