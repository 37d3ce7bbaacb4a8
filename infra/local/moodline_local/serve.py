"""``moodline-local serve``: the local stack left running, with schedules, queues and streams routed in real time."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from moodline_local.demo import COACHES, PERSONAS
from moodline_local.stack import DEFAULT_AUTH_TOKEN, LOCAL_FROM_NUMBER, LocalStack


def seed(stack: LocalStack, now: datetime) -> None:
    """Enrol the demo roster (coaches can text ACK from their numbers) and put Casey on call for a week."""
    from moodline.admin import Enrolment

    roster = stack.roster
    settings, key = stack.settings(), stack.phone_key()
    for coach_id, name, email, phone in COACHES:
        roster.add_coach(coach_id, name, email, phone=phone, phone_key=key)
    for p in PERSONAS:
        roster.enroll_client(Enrolment(p.coach, p.name, p.phone, p.timezone, p.checkin, p.locale),
                             phone_key=key, now=now, shards=settings.due_shards)
    roster.set_shift("primary", starts_at=now, ends_at=now + timedelta(days=7), primary="c1", backup="c2")


@contextmanager
def serving(root: Path, *, port: int, log_stream: IO[str] | None = None) -> Iterator[LocalStack]:
    """The local stack on 127.0.0.1:``port``, seeded with the demo roster, on the real clock."""
    with LocalStack(root, http_port=port, log_stream=log_stream) as stack:
        seed(stack, datetime.now(UTC))
        yield stack


def serve(root: Path, *, port: int) -> None:
    """Run until Ctrl-C: HTTP on 127.0.0.1:``port``, schedules on the minute, SQS and streams every 0.5 s."""
    token_source = "TWILIO_AUTH_TOKEN" if os.environ.get("TWILIO_AUTH_TOKEN") else "the local default"
    logs = (root / "out").resolve()
    logs.mkdir(exist_ok=True)
    with (logs / "serve-logs.jsonl").open("a", encoding="utf-8") as log_stream, \
            serving(root, port=port, log_stream=log_stream) as stack:
        default = f" ({DEFAULT_AUTH_TOKEN!r})" if token_source == "the local default" else ""
        print(f"""Moodline local stack is up.
  Inbound SMS webhook (Twilio signs this URL): {stack.inbound_url}
  Delivery status callbacks:                   {stack.base_url}/twilio/status
  AWS (moto server):  {stack.moto_url}   e.g. aws --endpoint-url {stack.moto_url} dynamodb list-tables
  Twilio stand-in:    {stack.twilio.url}   (Messages API; our number {LOCAL_FROM_NUMBER})
  Auth token:         from {token_source}{default}
  Logs:               {logs / 'serve-logs.jsonl'}
  Clients:            {', '.join(f'{p.name} {p.phone}' for p in PERSONAS)}
  Coaches:            {', '.join(f'{c[0]} {c[3]}' for c in COACHES)} (Casey on call; text ACK <code>)
Text as a client:  .venv/bin/python -m moodline_local.text --port {port} --from {PERSONAS[0].phone} "7 good day"
Ctrl-C to stop.""", flush=True)
        last_minute = None
        try:
            while True:
                now = datetime.now(UTC).replace(second=0, microsecond=0)
                if now != last_minute:
                    last_minute = now
                    stack.fire_schedules(now)
                stack.settle()
                time.sleep(0.5)
        except KeyboardInterrupt:
            print("stopped", file=sys.stderr)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8787)
    serve(Path.cwd(), port=parser.parse_args().port)
