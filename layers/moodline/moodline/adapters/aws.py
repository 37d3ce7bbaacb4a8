"""One botocore session per container and one client per AWS service, each made on first use.

A botocore session loads the endpoint, partition and retry data once; every extra session pays that
again (60-120 ms CPU each on a cold Lambda), and every client per service pays its service model
again. So PynamoDB, Powertools idempotency and parameters, SNS, SES and SQS all draw on this.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import boto3
    import botocore.session


class AwsClients:
    """The container's session and its clients; a new instance is a new container (tests, the local stack)."""

    def __init__(self) -> None:
        self._session: botocore.session.Session | None = None
        self._boto3: boto3.Session | None = None
        self._clients: dict[str, Any] = {}
        # The scheduler's worker threads may ask for a client at once on a cold start: a botocore session
        # is not safe to create clients from concurrently, and a second client would cost its model again.
        self._lock = threading.RLock()

    @property
    def session(self) -> botocore.session.Session:
        with self._lock:
            if self._session is None:
                from botocore.session import get_session  # noqa: PLC0415 - on first use, not at import

                self._session = get_session()
            return self._session

    @property
    def boto3(self) -> boto3.Session:
        with self._lock:
            if self._boto3 is None:
                import boto3  # noqa: PLC0415

                self._boto3 = boto3.Session(botocore_session=self.session)
            return self._boto3

    def client(self, service: str) -> Any:
        """The one client of ``service`` (``adopt`` may have supplied it: PynamoDB's DynamoDB client)."""
        client = self._clients.get(service)
        if client is None:
            with self._lock:
                if service not in self._clients:
                    self._clients[service] = self.boto3.client(service)  # type: ignore[call-overload]
                client = self._clients[service]
        return client

    def adopt(self, service: str, client: Any) -> None:
        """Use ``client`` for ``service`` from now on (one DynamoDB client for PynamoDB and idempotency)."""
        self._clients[service] = client
