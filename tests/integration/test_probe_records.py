"""DynamoMessages.record_many on moto: 25 puts a call; what BatchWriteItem leaves unprocessed is retried."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from moodline.domain import Message, message_key
from moodline.vocabulary import DeliveryStatus, Direction, MessageKind
from tests.moto_tables import model_tables

NOW = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)


def probe(i: int) -> Message:
    sid = f"SM{i:032x}"
    return Message(client_id=f"cl-{i}", at=message_key(NOW, sid), sid=sid, direction=Direction.OUTBOUND,
                   kind=MessageKind.PROBE, local_date="2026-11-30", status=DeliveryStatus.QUEUED, status_rank=1)


@pytest.fixture
def message_rows() -> Iterator[Any]:
    from moodline.adapters.dynamodb import MessageRow

    with model_tables("records", MessageRow):
        yield MessageRow


class Stingy:
    """BatchWriteItem as DynamoDB may answer it under load: the first ``refusals`` calls leave their first item."""

    def __init__(self, write: Any, refusals: int) -> None:
        self.write, self.refusals, self.sizes = write, refusals, []

    def __call__(self, *, put_items: list[dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
        self.sizes.append(len(put_items))
        if self.refusals:
            self.refusals -= 1
            kept, put_items = put_items[0], put_items[1:]
            self.write(put_items=put_items, **kwargs)
            return {"UnprocessedItems": {"records-MessageRow": [{"PutRequest": {"Item": kept}}]}}
        return self.write(put_items=put_items, **kwargs)


def stingy(rows: Any, monkeypatch: pytest.MonkeyPatch, refusals: int) -> Stingy:
    connection = rows._get_connection()
    wrapper = Stingy(connection.batch_write_item, refusals)
    monkeypatch.setattr(connection, "batch_write_item", wrapper)
    return wrapper


def test_thirty_records_are_two_writes_of_25_and_5_and_all_stored(message_rows, monkeypatch):
    from moodline.adapters.dynamodb import DynamoMessages

    calls = stingy(message_rows, monkeypatch, refusals=0)
    assert DynamoMessages().record_many([probe(i) for i in range(30)], retention_days=400) == []
    assert calls.sizes == [25, 5]
    stored = DynamoMessages().get("cl-7", probe(7).at)
    assert stored is not None and stored.status is DeliveryStatus.QUEUED and stored.expires_at is not None


def test_unprocessed_items_are_retried_after_a_growing_wait_until_written(message_rows, monkeypatch):
    from moodline.adapters.dynamodb import DynamoMessages

    calls = stingy(message_rows, monkeypatch, refusals=2)
    waits: list[float] = []
    messages = DynamoMessages(base_delay=0.05, sleep=waits.append)
    assert messages.record_many([probe(i) for i in range(10)], retention_days=400) == []
    assert calls.sizes == [10, 1, 1]  # only what was left is sent again
    assert len(waits) == 2 and 0 <= waits[0] <= 0.1 and 0 <= waits[1] <= 0.2
    assert all(messages.get(f"cl-{i}", probe(i).at) is not None for i in range(10))


def test_items_still_unprocessed_after_the_last_attempt_are_returned_not_raised(message_rows, monkeypatch):
    from moodline.adapters.dynamodb import DynamoMessages

    stingy(message_rows, monkeypatch, refusals=99)
    messages = DynamoMessages(attempts=3, sleep=lambda _: None)
    assert messages.record_many([probe(i) for i in range(3)], retention_days=400) == [probe(0)]
    assert messages.get("cl-0", probe(0).at) is None and messages.get("cl-1", probe(1).at) is not None
