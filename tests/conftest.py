"""Shared fixtures: AWS credentials that can never reach AWS, the events in events/, the local stack on moto."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from copy import deepcopy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import settings

# Property tests assert behaviour, not speed: no per-example deadline (a loaded CI machine would
# turn a slow first example - a jinja2 template compile, say - into a false failure).
# The gate is derandomized (the same examples on every run, so a red CI is a real regression, not a
# roll of the dice); `make fuzz` searches afresh with many more examples and is how new cases are found.
settings.register_profile("moodline", deadline=None, print_blob=True, derandomize=True)
settings.register_profile("explore", deadline=None, print_blob=True, max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "moodline"))

ROOT = Path(__file__).resolve().parent.parent

# Set before anything imports boto3: tests must never find real credentials.
os.environ.update({
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    # botocore >= 1.40 sends stream calls to an account-id endpoint that moto does not serve (404).
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "POWERTOOLS_SERVICE_NAME": "moodline",
})
os.environ.pop("AWS_ENDPOINT_URL", None)


def load_event(name: str) -> dict[str, Any]:
    """A real-shaped event from events/ (a fresh copy each time)."""
    return deepcopy(json.loads((ROOT / "events" / name).read_text()))


class Clock:
    """The simulated 'now' the local stack stamps on API requests."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 30, 13, 0, tzinfo=UTC))


@pytest.fixture
def logs() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def stack(clock: Clock, logs: io.StringIO) -> Iterator[Any]:
    """The whole local stack on in-process moto: resources from template.yaml, every function loaded."""
    from moto import mock_aws

    from moodline_local.stack import LocalStack

    with mock_aws():
        local = LocalStack(ROOT, aws="inprocess", clock=clock, log_stream=logs).start()
        try:
            yield local
        finally:
            local.stop()


def form_body(params: dict[str, str]) -> str:
    return urlencode(params)
