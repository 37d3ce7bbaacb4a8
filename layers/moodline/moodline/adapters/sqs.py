"""The probe queue on SQS: one message per probe request, sent in batches of ten."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

SQS_BATCH = 10  # SendMessageBatch takes at most ten entries
SQS_MAX_DELAY = 900  # DelaySeconds: at most 15 minutes


def _batches(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SqsQueue:
    """:class:`moodline.ports.Queue` on one SQS queue."""

    def __init__(self, queue_url: str, sqs: Callable[[], SQSClient] | None = None) -> None:
        self._queue_url = queue_url
        self._client = sqs or _default_client  # the container's shared client, made on the first send
        self._sqs: SQSClient | None = None

    def send_all(self, bodies: Sequence[str], *, delay_seconds: int = 0) -> None:
        if not 0 <= delay_seconds <= SQS_MAX_DELAY:
            raise ValueError(f"an SQS delay is 0-{SQS_MAX_DELAY} s, not {delay_seconds}")
        if not bodies:
            return
        if self._sqs is None:
            self._sqs = self._client()
        for batch in _batches(bodies, SQS_BATCH):
            # Per message, so one queue carries work due now and work due later.
            response = self._sqs.send_message_batch(
                QueueUrl=self._queue_url,
                Entries=[{"Id": str(i), "MessageBody": body, "DelaySeconds": delay_seconds}
                         for i, body in enumerate(batch)],
            )
            if response.get("Failed"):
                raise RuntimeError(f"SQS refused {len(response['Failed'])} messages")


def _default_client() -> SQSClient:
    import boto3  # noqa: PLC0415 - only when no shared client was given

    return boto3.client("sqs")


class SqsDeadLetters:
    """:class:`moodline.ports.DeadLetters` on one SQS dead-letter queue (the scoring DLQ)."""

    def __init__(self, queue_url: str, *, hide_seconds: int = 900, sqs: Callable[[], SQSClient] | None = None) -> None:
        if not queue_url:
            raise ValueError("the dead-letter queue URL is required")
        self._queue_url = queue_url
        self._hide_seconds = hide_seconds
        self._make_client = sqs or _default_client  # the container's shared client, made on first use
        self._sqs: SQSClient | None = None

    def _client(self) -> SQSClient:
        if self._sqs is None:
            self._sqs = self._make_client()
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
