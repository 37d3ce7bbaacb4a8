"""Pages go out on the SNS alerts topic; each coach's pager is a subscription filtered on ``coach_id``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

TEAM = "team"  # every coach's subscription also accepts coach_id=team: paging the team pages everyone


@dataclass(frozen=True)
class Page:
    """One page: the step of one alert, to one coach (or the team)."""

    alert_id: str
    step: str
    coach_id: str
    severity: str
    subject: str
    body: str


class SnsPager:
    """Publishes pages with the attributes subscription filter policies match on."""

    def __init__(self, topic_arn: str, sns: SNSClient | None = None) -> None:
        if not topic_arn:
            raise ValueError("the alerts topic ARN is required")
        self._topic_arn = topic_arn
        self._sns = sns

    def publish(self, page: Page) -> str:
        """Publish ``page``; returns the SNS message id."""
        if self._sns is None:
            self._sns = boto3.client("sns")
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
