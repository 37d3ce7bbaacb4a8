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


class SnsPagerSubscriptions:
    """:class:`moodline.ports.PagerSubscriptions`: which coaches a confirmed subscription reaches, by its filter."""

    def __init__(self, topic_arn: str, sns: Callable[[], SNSClient] | None = None) -> None:
        if not topic_arn:
            raise ValueError("the alerts topic ARN is required")
        self._topic_arn = topic_arn
        self._client = sns or _default_client  # the container's shared client, made on first use

    def confirmed_coaches(self) -> set[str]:
        sns = self._client()
        reached: set[str] = set()
        for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=self._topic_arn):
            for subscription in page["Subscriptions"]:
                arn = subscription["SubscriptionArn"]
                if not arn.startswith("arn:"):  # "PendingConfirmation" (or "Deleted"): reaches nobody
                    continue
                attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
                reached |= filtered_coaches(attributes.get("FilterPolicy", ""))
        return reached


def filtered_coaches(filter_policy: str) -> set[str]:
    """The coach ids a subscription's filter policy accepts by name (``team`` excluded).

    A subscription with no filter gets every page, but it is nobody's pager in particular: it
    counts for no coach, so the check keeps asking for each coach's own subscription.
    """
    if not filter_policy:
        return set()
    policy = json.loads(filter_policy)
    branches = policy.get("$or", [policy])
    names: set[str] = set()
    for branch in branches:
        for value in branch.get("coach_id", []):
            if isinstance(value, str) and value != TEAM:
                names.add(value)
    return names


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


def unsubscribe_pagers(coach_id: str, *, topic_arn: str, sns: SNSClient | None = None) -> int:
    """Remove every confirmed pager whose filter delivers ``coach_id``'s pages alone; returns how many.

    A removed coach's pager would otherwise keep receiving the team's crisis pages (its filter also
    takes ``team``). One still pending confirmation has no ARN to remove; it lapses after three days.
    """
    client = sns or _default_client()
    removed = 0
    for page in client.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic_arn):
        for subscription in page["Subscriptions"]:
            arn = subscription["SubscriptionArn"]
            if not arn.startswith("arn:"):
                continue
            attributes = client.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
            if filtered_coaches(attributes.get("FilterPolicy", "")) == {coach_id}:
                client.unsubscribe(SubscriptionArn=arn)
                removed += 1
    return removed
