"""The SNS pager: pages go out on the alerts topic; each coach's pager is a subscription filtered on ``coach_id``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from moodline.domain import Page
from moodline.vocabulary import TEAM

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

class SnsPager:
    """The :class:`moodline.ports.Pager`: publishes pages with the attributes subscription filter policies match on."""

    def __init__(self, topic_arn: str, sns: Callable[[], SNSClient] | None = None) -> None:
        if not topic_arn:
            raise ValueError("the alerts topic ARN is required")
        self._topic_arn = topic_arn
        self._client = sns or _default_client  # the container's shared client, made on the first page
        self._sns: SNSClient | None = None

    def publish(self, page: Page) -> str:
        """Publish ``page``; returns the SNS message id."""
        if self._sns is None:
            self._sns = self._client()
        attributes: dict[str, Any] = {
            "coach_id": {"DataType": "String", "StringValue": page.coach_id},
            "severity": {"DataType": "String", "StringValue": page.severity},
            "alert_id": {"DataType": "String", "StringValue": page.alert_id},
        }
        response = self._sns.publish(
            TopicArn=self._topic_arn,
            Subject=page.subject[:100],
            Message=page.body,
            MessageAttributes=attributes,
        )
        return response["MessageId"]


def _default_client() -> SNSClient:
    import boto3  # noqa: PLC0415 - only when no shared client was given

    return boto3.client("sns")


def subscribe_pager(coach_id: str, *, topic_arn: str, protocol: str, endpoint: str,
                    sns: SNSClient | None = None) -> str:
    """Subscribe a coach's pager (sms, email, https, sqs…) to pages for them and for the whole team.

    Messages with no ``coach_id`` at all are CloudWatch alarms (scoring DLQ, escalation errors):
    they go to every coach too, or a filter would drop them silently.
    """
    client = sns or _default_client()
    policy = {"$or": [{"coach_id": [coach_id, TEAM]}, {"coach_id": [{"exists": False}]}]}
    response = client.subscribe(
        TopicArn=topic_arn,
        Protocol=protocol,
        Endpoint=endpoint,
        Attributes={"FilterPolicy": json.dumps(policy)},
        ReturnSubscriptionArn=True,
    )
    return response["SubscriptionArn"]
