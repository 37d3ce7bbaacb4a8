"""One client per service per container, even when the scheduler's threads ask for it at once."""

from __future__ import annotations

import threading
import time
from typing import Any

from moodline.adapters.aws import AwsClients


class SlowSession:
    """A boto3 session whose client creation takes a while, as a cold botocore's does."""

    def __init__(self) -> None:
        self.created = 0

    def client(self, service: str) -> Any:
        self.created += 1
        time.sleep(0.02)  # long enough that unguarded threads all find the cache empty
        return object()


def test_ten_threads_asking_for_the_same_client_on_a_cold_start_get_one_client():
    # Given a cold container and ten worker threads that each need the SQS client
    clients = AwsClients()
    slow = SlowSession()
    clients._boto3 = slow  # type: ignore[assignment]
    start = threading.Barrier(10)
    got: list[Any] = []

    def worker() -> None:
        start.wait()
        got.append(clients.client("sqs"))

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then one client was created and every thread holds it
    assert slow.created == 1 and len({id(client) for client in got}) == 1
