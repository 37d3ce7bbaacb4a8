"""The probe queue on SQS: one message per probe request, sent in batches of ten."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import boto3

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

SQS_BATCH = 10  # SendMessageBatch takes at most ten entries


def _batches(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SqsQueue:
    """:class:`moodline.ports.Queue` on one SQS queue."""

    def __init__(self, queue_url: str, sqs: SQSClient | None = None) -> None:
        self._queue_url = queue_url
        self._sqs = sqs

    def send_all(self, bodies: Sequence[str]) -> None:
        if not bodies:
            return
        if self._sqs is None:
            self._sqs = boto3.client("sqs")
        for batch in _batches(bodies, SQS_BATCH):
            response = self._sqs.send_message_batch(
                QueueUrl=self._queue_url,
                Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(batch)],
            )
            if response.get("Failed"):
                raise RuntimeError(f"SQS refused {len(response['Failed'])} messages")


class SqsDeadLetters:
    """:class:`moodline.ports.DeadLetters` on one SQS dead-letter queue (the scoring DLQ)."""

    def __init__(self, queue_url: str, *, hide_seconds: int = 900, sqs: SQSClient | None = None) -> None:
        if not queue_url:
            raise ValueError("the dead-letter queue URL is required")
        self._queue_url = queue_url
        self._hide_seconds = hide_seconds
        self._sqs = sqs

    def _client(self) -> SQSClient:
        if self._sqs is None:
            self._sqs = boto3.client("sqs")
        return self._sqs

    def receive(self, limit: int) -> list[tuple[str, str]]:
        letters: list[tuple[str, str]] = []
        while len(letters) < limit:
            response = self._client().receive_message(
                QueueUrl=self._queue_url, MaxNumberOfMessages=min(SQS_BATCH, limit - len(letters)),
                VisibilityTimeout=self._hide_seconds, WaitTimeSeconds=0)
            batch = response.get("Messages", [])
            if not batch:
                break
            letters += [(m["ReceiptHandle"], m["Body"]) for m in batch]
        return letters

    def delete(self, receipts: Sequence[str]) -> None:
        for batch in _batches(receipts, SQS_BATCH):
            response = self._client().delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": receipt} for i, receipt in enumerate(batch)])
            if response.get("Failed"):
                raise RuntimeError(f"SQS refused to delete {len(response['Failed'])} dead letters")
