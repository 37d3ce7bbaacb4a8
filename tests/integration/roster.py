"""Test roster helpers: coaches, clients and pagers on the local stack, through the real admin code."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3

from moodline.adapters.sns import subscribe_pager
from moodline.admin import Enrolment
from moodline.domain import Client
from moodline.settings import Settings


@dataclass
class Pager:
    coach_id: str
    queue_url: str

    def pages(self) -> list[dict[str, Any]]:
        sqs = boto3.client("sqs", region_name="us-east-1")
        found = []
        while True:
            batch = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return found
            for message in batch:
                found.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


def settings_of(stack: Any) -> Settings:
    return stack.settings()


def use_function_env(stack: Any, monkeypatch: Any, function: str = "ScoreReplyFunction") -> None:
    """Run the CLI in-process as ops would: with a function's environment exported."""
    for name, value in stack.runtime.functions[function].environment.items():
        monkeypatch.setenv(name, value)


def add_coach_with_pager(stack: Any, coach_id: str, email: str | None = None) -> Pager:
    stack.roster.add_coach(coach_id, coach_id.title(), email or f"{coach_id}@practice.example")
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName=f"pager-{coach_id}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    subscribe_pager(coach_id, topic_arn=stack.resource("AlertsTopic").arn, protocol="sqs", endpoint=arn)
    return Pager(coach_id, url)


def enrol(stack: Any, *, name: str, phone: str, coach: str, timezone: str = "America/New_York",
          checkin: str = "09:00", locale: str = "en-US", now: datetime) -> Client:
    settings = settings_of(stack)
    return stack.roster.enroll_client(
        Enrolment(coach, name, phone, timezone, checkin, locale),
        phone_key=stack.phone_key(), now=now, shards=settings.due_shards,
    )
