"""A local pager per coach: an SQS queue subscribed to the alerts topic with the coach's filter policy.

In production a coach's pager is an SMS, e-mail or HTTPS subscription made with the same
``subscribe_pager`` call; locally the queue is drained and every page is shown on the console
whole: subject, body, acknowledge code and links.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import boto3

from moodline_local.template import REGION

_LINK = re.compile(r"https?://\S+")
_ACK_CODE = re.compile(r"\bACK (\w+)")


@dataclass(frozen=True)
class ReceivedPage:
    """One page as one coach's pager received it."""

    pager: str  # whose pager it reached
    target: str  # whom it was for: that coach, or "team" (or "" for a CloudWatch alarm)
    severity: str
    alert_id: str
    subject: str
    body: str

    @property
    def ack_code(self) -> str:
        found = _ACK_CODE.search(self.body)
        return found[1] if found else ""

    @property
    def links(self) -> list[str]:
        return _LINK.findall(self.body)

    @property
    def escalated(self) -> bool:
        return "(escalated)" in self.subject


class LocalPagers:
    """Subscribes one queue per coach to the alerts topic and drains them."""

    def __init__(self, topic_arn: str) -> None:
        self.topic_arn = topic_arn
        self.queues: dict[str, str] = {}  # coach_id → queue URL
        self._sqs: Any = boto3.client("sqs", region_name=REGION)

    def subscribe(self, coach_id: str) -> str:
        """The coach's pager (idempotent); returns its queue URL."""
        from moodline.adapters.sns import subscribe_pager

        if coach_id in self.queues:
            return self.queues[coach_id]
        # Queue names allow letters, digits, - and _: other characters of an id become "-".
        name = "pager-" + re.sub(r"[^A-Za-z0-9_-]", "-", coach_id)[:70]
        url = str(self._sqs.create_queue(QueueName=name)["QueueUrl"])
        arn = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        subscribe_pager(coach_id, topic_arn=self.topic_arn, protocol="sqs", endpoint=arn,
                        sns=boto3.client("sns", region_name=REGION))
        self.queues[coach_id] = url
        return url

    def drain(self) -> list[ReceivedPage]:
        """Every page waiting on every pager, removed from its queue."""
        pages: list[ReceivedPage] = []
        for coach_id, url in self.queues.items():
            while True:
                messages = self._sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
                if not messages:
                    break
                for message in messages:
                    self._sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                    pages.append(_page_of(coach_id, json.loads(message["Body"])))
        return pages


def _page_of(pager: str, envelope: dict[str, Any]) -> ReceivedPage:
    attributes = envelope.get("MessageAttributes") or {}

    def value(name: str) -> str:
        return str((attributes.get(name) or {}).get("Value", ""))

    return ReceivedPage(pager=pager, target=value("coach_id"), severity=value("severity"),
                        alert_id=value("alert_id"), subject=str(envelope.get("Subject") or ""),
                        body=str(envelope.get("Message") or ""))


def page_lines(page: ReceivedPage, names: dict[str, str]) -> list[str]:
    """The page as the coach reads it: ``→ whose pager: subject``, then the body line by line."""
    to = names.get(page.pager, page.pager)
    why = "" if page.target in {page.pager, ""} else f" (for {names.get(page.target, page.target)})"
    head = f"→ {to}{why}: {page.subject or '(no subject)'}"
    return [head, *(f"│ {line}" for line in page.body.splitlines())]
