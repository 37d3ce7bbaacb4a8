"""``moodline-local serve``: the local stack left running, both sides of it on the console.

Fixed ports (flags change them), schedules on the minute, SQS and streams every half second, a
pager per coach whose pages are printed whole, the SMS the clients receive, the coach workspace
on the API port, and a state file that tells other tools (``moodline``, ``moodline-local env``)
where it all is. SIGTERM and SIGINT stop every part, moto's server included.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import IO, Any

from moodline_local.demo import COACHES, PERSONAS
from moodline_local.pagers import LocalPagers, page_lines
from moodline_local.stack import AWS_ENV, DEFAULT_AUTH_TOKEN, LOCAL_FROM_NUMBER, LocalStack
from moodline_local.template import REGION
from moodline_local.workspace import SignIn, WorkspaceUnavailable, create_sign_ins, unavailable_reason, workspace_url

DEFAULT_API_PORT = 8787
DEFAULT_MOTO_PORT = 8788
DEFAULT_TWILIO_PORT = 8789
STATE_ENV = "MOODLINE_LOCAL_STATE"
STATE_VERSION = 1
# Function settings that are about one Lambda, not about where the stack is.
_NOT_STACK_ENV = ("AWS_LAMBDA_FUNCTION_NAME", "POWERTOOLS_")


def default_state_path() -> Path:
    """``$MOODLINE_LOCAL_STATE``, else ``~/.moodline/local.json``: found from any folder."""
    return Path(os.environ.get(STATE_ENV) or Path.home() / ".moodline" / "local.json")


@dataclass(frozen=True)
class Ports:
    api: int = DEFAULT_API_PORT
    moto: int = DEFAULT_MOTO_PORT
    twilio: int = DEFAULT_TWILIO_PORT


@dataclass
class Served:
    """The running stack and what serve added to it: pagers, sign-ins, the state it published."""

    stack: LocalStack
    pagers: LocalPagers
    sign_ins: list[SignIn]
    state: dict[str, Any]
    workspace_problem: str = ""
    demo_roster: bool = False


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


def stack_environment(stack: LocalStack) -> dict[str, str]:
    """What the ``moodline`` CLI (or boto3, or the aws CLI) needs to act on this stack: endpoint,
    credentials, region, and every table, queue, topic and secret the functions are given."""
    assert stack.runtime is not None
    env: dict[str, str] = {}
    for function in [*stack.runtime.functions.values(), *(f for f, _ in stack.runtime.broken.values())]:
        env.update({k: v for k, v in function.environment.items() if not k.startswith(_NOT_STACK_ENV)})
    env.update(AWS_ENV)
    env["AWS_ENDPOINT_URL"] = stack.moto_url
    return dict(sorted(env.items()))


def build_state(stack: LocalStack, sign_ins: list[SignIn], pagers: LocalPagers) -> dict[str, Any]:
    """The state file's content (format documented in the README, ``## Local, offline``)."""
    assert stack.template is not None
    resources = stack.template.resources

    def named(kind: str) -> dict[str, str]:
        return {lid: r.name for lid, r in resources.items() if r.type == kind}

    return {
        "version": STATE_VERSION,
        "pid": os.getpid(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "region": REGION,
        "endpoint_url": stack.moto_url,
        "api_url": stack.base_url,
        "inbound_url": stack.inbound_url,
        "workspace_url": workspace_url(stack),
        "twilio_url": stack.twilio.url,
        "ports": {"api": stack.http_port, "moto": int(stack.moto_url.rsplit(":", 1)[1]),
                  "twilio": int(stack.twilio.url.rsplit(":", 1)[1])},
        "user_pool_id": resources["CoachUserPool"].name if "CoachUserPool" in resources else "",
        "user_pool_client_id": resources["CoachUserPoolClient"].name if "CoachUserPoolClient" in resources else "",
        "tables": named("AWS::DynamoDB::Table"),
        "queues": {lid: r.url for lid, r in resources.items() if r.type == "AWS::SQS::Queue"},
        "topics": {lid: r.arn for lid, r in resources.items() if r.type == "AWS::SNS::Topic"},
        "pagers": dict(pagers.queues),
        "sign_ins": [{"coach_id": s.coach_id, "name": s.name, "email": s.email, "password": s.password}
                     for s in sign_ins],
        "env": stack_environment(stack),
    }


def write_state(path: Path, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    # Local-only passwords inside: readable by this user only.
    temporary.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    temporary.chmod(0o600)
    temporary.replace(path)


def remove_state(path: Path) -> None:
    """Remove the state file if it is this process's (a newer serve may have replaced it)."""
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def read_state(path: Path) -> dict[str, Any]:
    """The state of a running serve; SystemExit with one line when there is none."""
    try:
        state: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SystemExit(f"moodline-local: no running serve ({path} not found); start one with "
                         "`make serve`") from None
    except ValueError:
        raise SystemExit(f"moodline-local: {path} is not a serve state file") from None
    try:
        os.kill(int(state["pid"]), 0)
    except (ProcessLookupError, KeyError, ValueError):
        raise SystemExit(f"moodline-local: the serve that wrote {path} is no longer running") from None
    except PermissionError:
        pass  # alive, another user's
    return state


@contextmanager
def serving(root: Path, *, port: int, moto_port: int | None = None, twilio_port: int | None = None,
            demo_roster: bool = True, state_path: Path | None = None,
            log_stream: IO[str] | None = None) -> Iterator[Served]:
    """The local stack on 127.0.0.1, pagers subscribed, optionally seeded, its state file written."""
    with LocalStack(root, http_port=port, moto_port=moto_port, twilio_port=twilio_port,
                    log_stream=log_stream) as stack:
        pagers = LocalPagers(stack.resource("AlertsTopic").arn)
        sign_ins: list[SignIn] = []
        problem = unavailable_reason(stack)
        if demo_roster:
            seed(stack, datetime.now(UTC))
            try:
                sign_ins = create_sign_ins(stack, [(c[0], c[1], c[2]) for c in COACHES])
            except WorkspaceUnavailable as exc:
                problem = problem or str(exc)
        for coach in stack.ops.coaches.all():
            pagers.subscribe(coach.coach_id)
        served = Served(stack, pagers, sign_ins, build_state(stack, sign_ins, pagers), problem, demo_roster)
        if state_path is not None:
            write_state(state_path, served.state)
        try:
            yield served
        finally:
            if state_path is not None:
                remove_state(state_path)


class Stop(BaseException):  # a signal, not an error: no `except Exception` may swallow it
    """A second SIGTERM or SIGINT while a step is stuck: leave at once."""


class StopRequest:
    """The signal handler: the first SIGTERM or SIGINT asks the loop to stop between steps.

    It raises nothing and takes no lock. An exception raised from a signal handler lands wherever the main
    thread happens to be, mid-import or mid-thread-pool included, and can leave a lock held that the clean-up
    then waits on forever; and a handler that takes a lock (``threading.Event.set``) deadlocks if the main
    thread holds that lock when the signal lands. So the first signal only sets a flag the loop reads
    between steps (a tick, a settle: seconds at most). A second signal while a step is stuck raises ``Stop``;
    once the loop is left, :meth:`ignore` makes every later signal harmless so the clean-up runs whole.
    """

    def __init__(self) -> None:
        self.signal_name: str | None = None

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.signal_name is not None:
            self.ignore()
            raise Stop(name)
        self.signal_name = name

    @property
    def requested(self) -> bool:
        return self.signal_name is not None

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds`` in short steps, returning as soon as a stop is asked for."""
        deadline = time.monotonic() + seconds
        while not self.requested and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, 0.1))
        return self.requested

    @staticmethod
    def ignore() -> None:
        for other in (signal.SIGINT, signal.SIGTERM):
            signal.signal(other, signal.SIG_IGN)


class Console:
    """Prints what the pagers received and what the clients were sent, as it happens."""

    def __init__(self, served: Served, out: IO[str]) -> None:
        self.served = served
        self.out = out
        self.seen_sms = 0

    def names(self) -> dict[str, str]:
        return {c.coach_id: f"{c.name} ({c.coach_id})" for c in self.served.stack.ops.coaches.all()}

    def show(self) -> None:
        stamp = datetime.now(UTC).astimezone().strftime("%H:%M:%S")
        pages = self.served.pagers.drain()
        names = self.names() if pages else {}
        for page in pages:
            lines = page_lines(page, names)
            print(f"{stamp}  PAGE {lines[0]}", file=self.out)
            for line in lines[1:]:
                print(f"          {line}", file=self.out)
        messages = self.served.stack.twilio.messages
        clients = {p.phone: p.name for p in PERSONAS}
        for message in messages[self.seen_sms:]:
            # The console shows what a client's phone shows; a number only by its last digits.
            to = clients.get(message.to, f"…{message.to[-4:]}")
            print(textwrap.fill(message.body, width=100, initial_indent=f"{stamp}  SMS → {to}: ",
                                subsequent_indent=" " * 10), file=self.out)
        self.seen_sms = len(messages)
        self.out.flush()

    def subscribe_new_coaches(self) -> None:
        """A coach added while serving (``moodline coach add``) gets a pager too."""
        for coach in self.served.stack.ops.coaches.all():
            if coach.coach_id not in self.served.pagers.queues:
                self.served.pagers.subscribe(coach.coach_id)
                print(f"pager subscribed for {coach.name} ({coach.coach_id})", file=self.out)


def banner(served: Served, state_path: Path) -> str:
    stack, state = served.stack, served.state
    token = "TWILIO_AUTH_TOKEN" if os.environ.get("TWILIO_AUTH_TOKEN") else f"the local default {DEFAULT_AUTH_TOKEN!r}"
    lines = [
        "Moodline local stack is up.",
        f"  API (as API Gateway): {stack.base_url}   inbound SMS webhook {stack.inbound_url}",
        f"  AWS (moto server):    {stack.moto_url}   e.g. aws --endpoint-url {stack.moto_url} dynamodb list-tables",
        f"  Twilio stand-in:      {stack.twilio.url}   our number {LOCAL_FROM_NUMBER}; auth token from {token}",
        f"  State file:           {state_path}",
        f"  Pagers:               {', '.join(sorted(served.pagers.queues)) or 'none yet (one per coach as added)'}"
        " - pages print here",
    ]
    if served.workspace_problem:
        lines.append(f"  Coach workspace:      not served: {served.workspace_problem}")
    else:
        lines.append(f"  Coach workspace:      {state['workspace_url']}")
    for sign_in in served.sign_ins:
        lines.append(f"    sign in as {sign_in.name} ({sign_in.coach_id}): {sign_in.email} / {sign_in.password}")
    if served.demo_roster:
        lines.append(f"  Clients:              {', '.join(f'{p.name} {p.phone}' for p in PERSONAS)}")
        lines.append(f"  Text as a client:     .venv/bin/python -m moodline_local.text --port {stack.http_port} "
                     f"--from {PERSONAS[0].phone} \"7 good day\"")
    if state_path.resolve() == default_state_path().resolve():
        lines.append("Point the moodline CLI at this stack (the roster CLI finds this state file by itself):")
    else:
        lines += ["Point the moodline CLI at this stack (this state file is not the default, so tell it where):",
                  f"  export MOODLINE_LOCAL_STATE={state_path}"]
    lines += [
        f"  eval \"$(.venv/bin/moodline-local env --state {state_path})\"",
        "Ctrl-C or SIGTERM to stop.",
    ]
    return "\n".join(lines)


def serve(root: Path, *, ports: Ports, demo_roster: bool, state_path: Path, out: IO[str] = sys.stdout) -> None:
    """Run until SIGINT or SIGTERM; every child process and server is stopped on the way out."""
    stop = StopRequest()
    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    logs = (root / "out").resolve()
    logs.mkdir(exist_ok=True)
    try:
        with (logs / "serve-logs.jsonl").open("a", encoding="utf-8") as log_stream, \
                serving(root, port=ports.api, moto_port=ports.moto, twilio_port=ports.twilio,
                        demo_roster=demo_roster, state_path=state_path, log_stream=log_stream) as served:
            print(banner(served, state_path), file=out, flush=True)
            console = Console(served, out)
            last_minute, last_roster_check = None, 0.0
            while not stop.requested:
                now = datetime.now(UTC).replace(second=0, microsecond=0)
                if now != last_minute:
                    last_minute = now
                    served.stack.fire_schedules(now)
                served.stack.settle()
                console.show()
                if time.monotonic() - last_roster_check > 5:
                    last_roster_check = time.monotonic()
                    console.subscribe_new_coaches()
                stop.wait(0.5)
            stop.ignore()  # the loop is left: nothing may cut the clean-up below short
        print(f"stopping ({stop.signal_name}): moto server, Twilio stand-in and HTTP servers stopped",
              file=sys.stderr)
    except Stop as forced:
        print(f"stopping ({forced}, the second signal): moto server, Twilio stand-in and HTTP servers stopped",
              file=sys.stderr)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def environment_lines(state: dict[str, Any]) -> list[str]:
    """``export NAME=value`` for every variable of the state's ``env``, shell-quoted."""
    import shlex

    return [f"export {name}={shlex.quote(str(value))}" for name, value in sorted(state["env"].items())]
