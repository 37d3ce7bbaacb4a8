"""The two Lambda shapes the handlers need, without Powertools' event_handler and batch utilities.

Importing ``aws_lambda_powertools.event_handler`` (even ``.api_gateway``) runs its package ``__init__``,
which loads every resolver with asyncio, AppSync and OpenAPI; ``utilities.batch`` loads the data
classes of every event source. Two webhook routes and one partial-batch loop cost a few lines here
instead (measured in docs: README "Performance").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from moodline.observability import logger

T = TypeVar("T")


@dataclass(frozen=True)
class HttpResponse:
    """An API Gateway (REST, proxy integration) response."""

    status: int
    body: str
    content_type: str = "text/plain"
    headers: Mapping[str, str] = field(default_factory=dict)

    def proxy_result(self) -> dict[str, Any]:
        return {"statusCode": self.status, "body": self.body, "isBase64Encoded": False,
                "headers": {"Content-Type": self.content_type, **self.headers}}


NOT_FOUND = HttpResponse(404, "Not Found")


def partial_batch(records: Iterable[Mapping[str, Any]], handle: Callable[[Mapping[str, Any]], None],
                  item_id: Callable[[Mapping[str, Any]], str]) -> dict[str, list[dict[str, str]]]:
    """Handle each record; report the ones that raised as ``batchItemFailures`` (``ReportBatchItemFailures``).

    Lambda retries only those (SQS), or resumes the stream from the first of them (DynamoDB streams).
    The error is logged by type and record id only: an exception's message may quote a phone number.
    """
    failures: list[dict[str, str]] = []
    for record in records:
        try:
            handle(record)
        except Exception as exc:  # every failure is reported to Lambda for a retry, none lost
            logger.warning("record failed", item=item_id(record), error=type(exc).__name__)
            failures.append({"itemIdentifier": item_id(record)})
    return {"batchItemFailures": failures}


def partial_batch_together(records: Iterable[Mapping[str, Any]], parse: Callable[[Mapping[str, Any]], T],
                           handle_all: Callable[[dict[str, T]], Sequence[str]],
                           item_id: Callable[[Mapping[str, Any]], str]) -> dict[str, list[dict[str, str]]]:
    """Parse each record, then handle them all in one call (writes batched across records), which returns the
    ids of those that failed; a record that does not parse fails alone. Reported as in :func:`partial_batch`."""
    parsed: dict[str, T] = {}
    failed: list[str] = []
    for record in records:
        try:
            parsed[item_id(record)] = parse(record)
        except Exception as exc:  # a bad record goes back to the queue (then its DLQ), never the batch with it
            logger.warning("record failed", item=item_id(record), error=type(exc).__name__)
            failed.append(item_id(record))
    failed += handle_all(parsed)
    return {"batchItemFailures": [{"itemIdentifier": item} for item in failed]}


def sqs_message_id(record: Mapping[str, Any]) -> str:
    return str(record["messageId"])


def stream_sequence_number(record: Mapping[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])
