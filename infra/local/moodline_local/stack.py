"""The whole Moodline stack on 127.0.0.1: moto server, the template's resources, the functions, Twilio."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs, urlsplit

import boto3

from moodline.admin import Roster
from moodline.composition import Services
from moodline.settings import Settings
from moodline_local.provision import provision
from moodline_local.runtime import ApiResponse, LocalRuntime
from moodline_local.template import REGION, Template
from moodline_local.twilio_standin import TwilioStandIn

# Documented local defaults: not secrets, they exist only on this machine. Override with env vars.
# Well-formed (the webhook refuses a malformed token or SID, issue 8 §1), documented in the README.
DEFAULT_AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
DEFAULT_ACCOUNT_SID = "AC" + "0" * 31 + "1"
LOCAL_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID") or DEFAULT_ACCOUNT_SID
# The API key senders use locally (the stand-in accepts it); no env override: it never leaves this machine.
LOCAL_API_KEY_SID = "SK" + "0" * 31 + "1"
LOCAL_API_KEY_SECRET = "moodlineLocalApiKeySecret0000001"
LOCAL_FROM_NUMBER = "+15005550006"

AWS_ENV = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    # botocore ≥1.40 sends stream calls to an account-ID endpoint moto does not serve.
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
}


def _content_length(values: list[str]) -> int | None:
    """The body's length from every ``Content-Length`` header (none: 0); None when it cannot be trusted."""
    lengths = {value.strip() for value in values}
    if not lengths:
        return 0
    if len(lengths) > 1 or not all(v.isascii() and v.isdigit() for v in lengths):
        return None
    return int(lengths.pop())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PortInUse(RuntimeError):
    """A fixed port is taken (another ``moodline-local serve``?): the message names it and the flag."""


def check_port(port: int, what: str) -> None:
    with socket.socket() as probe:
        # As the servers bind (SO_REUSEADDR): a connection of a previous run in TIME_WAIT is no owner.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise PortInUse(f"port {port} ({what}) is in use on 127.0.0.1: another moodline-local serve? "
                            f"Stop it, or choose another port with the flag") from None


def _swap_log_stream(stream: IO[str]) -> IO[str] | None:
    """Point the functions' logger at ``stream``; returns the stream it wrote to before.

    Not ``setStream``: that flushes the old stream, which may be closed by now.
    """
    from moodline.observability import logger

    handler = logger.registered_handler
    if not isinstance(handler, logging.StreamHandler):
        return None
    with handler.lock or contextlib.nullcontext():
        previous: IO[str] = handler.stream
        handler.stream = stream
    return previous


class LocalStack:
    """Starts everything, provisions from ``template.yaml``, and exposes the runtime that routes events.

    ``aws="server"`` runs moto's server on 127.0.0.1 (``aws --endpoint-url`` can look inside);
    ``aws="inprocess"`` expects the caller to have started ``moto.mock_aws`` (the tests).
    """

    def __init__(
        self,
        root: Path,
        *,
        aws: str = "server",
        http_port: int | None = None,
        moto_port: int | None = None,
        twilio_port: int | None = None,
        auth_token: str | None = None,
        clock: Callable[[], datetime] | None = None,
        log_stream: IO[str] | None = None,
    ) -> None:
        self.root = root
        self.aws = aws
        self.http_port = http_port if http_port is not None else free_port()
        self.moto_port = moto_port  # None: any free port
        self.twilio_port = twilio_port
        self.auth_token = auth_token or os.environ.get("TWILIO_AUTH_TOKEN") or DEFAULT_AUTH_TOKEN
        self.clock = clock or (lambda: datetime.now(UTC))
        self.log_stream = log_stream
        self.moto_url = ""
        self._previous_log_stream: IO[str] | None = None
        self._moto: Any = None
        self._http: ThreadingHTTPServer | None = None
        self.twilio = TwilioStandIn(LOCAL_ACCOUNT_SID, self.auth_token, port=twilio_port or 0,
                                    api_key=(LOCAL_API_KEY_SID, LOCAL_API_KEY_SECRET))
        self.template: Template | None = None
        self.runtime: LocalRuntime | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def inbound_url(self) -> str:
        """The URL Twilio would call, and sign, for inbound SMS."""
        return f"{self.base_url}/twilio/inbound"

    def start(self) -> LocalStack:
        try:
            return self._start()
        except BaseException:
            # Half-started (a port taken, a signal): stop what did start, moto's server first of all.
            self.stop()
            raise

    def _start(self) -> LocalStack:
        # Fixed ports are checked first, so a second ``serve`` says which one in one line.
        check_port(self.http_port, "API, --port")
        if self.twilio_port:
            check_port(self.twilio_port, "Twilio stand-in, --twilio-port")
        os.environ.update(AWS_ENV)
        # Powertools warns when an invocation emitted no metric (a status callback, say): noise here.
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        if self.aws == "server":
            self.moto_url = self._start_moto_server()
            os.environ["AWS_ENDPOINT_URL"] = self.moto_url  # boto3 and PynamoDB both follow it
        self.twilio.start()
        # A new stack is a new container: drop clients and cached secrets of a previous one.
        from aws_lambda_powertools.utilities.parameters import base as parameters_base

        parameters_base.DEFAULT_PROVIDERS.clear()  # type: ignore[attr-defined]  # not re-exported, but the cache
        self.template = Template.load(
            self.root / "template.yaml",
            {"PublicBaseUrl": self.base_url, "TwilioFromNumber": LOCAL_FROM_NUMBER},
        )
        resources = provision(self.template)
        # What ops do after the first deploy: put the Twilio credentials in the secret.
        boto3.client("secretsmanager", region_name=REGION).put_secret_value(
            SecretId=resources["TwilioSecret"].arn,
            SecretString=json.dumps({"account_sid": LOCAL_ACCOUNT_SID, "auth_token": self.auth_token}),
        )
        boto3.client("secretsmanager", region_name=REGION).put_secret_value(
            SecretId=resources["TwilioRestSecret"].arn,
            SecretString=json.dumps({"account_sid": LOCAL_ACCOUNT_SID, "api_key_sid": LOCAL_API_KEY_SID,
                                     "api_key_secret": LOCAL_API_KEY_SECRET}),
        )
        self.runtime = LocalRuntime(self.template, self.root, {"TWILIO_API_BASE_URL": self.twilio.url})
        with self.quiet():
            self.runtime.load()
        # The one place a function reads the clock rather than its event (sending hours are about
        # the moment of sending): locally that moment is the simulation's.
        probe_sender = self.runtime.functions["SendProbeFunction"].module
        assert probe_sender is not None
        probe_sender.SERVICES.use(clock=lambda: self.clock())  # noqa: PLW0108 - self.clock is reassigned later
        self._ops: Services | None = None
        if self.log_stream is not None:
            # Given back in stop(): the caller may close the stream once the stack is done.
            self._previous_log_stream = _swap_log_stream(self.log_stream)
        self._start_http()
        return self

    def _start_moto_server(self) -> str:
        # Its own process, so emulating AWS does not compete with the functions for one GIL.
        port = self.moto_port or free_port()
        if self.moto_port:
            check_port(port, "moto server, --moto-port")
        self._moto = subprocess.Popen(
            [sys.executable, "-m", "moodline_local.moto_server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=1):
                    return url
            except OSError:
                if self._moto.poll() is not None:
                    raise RuntimeError("moto server exited at start-up") from None
                time.sleep(0.1)
        self._moto.kill()
        raise RuntimeError("moto server did not start within 30 s")

    @property
    def moto_pid(self) -> int | None:
        return int(self._moto.pid) if self._moto is not None else None

    def stop(self) -> None:
        """Stop every part; safe to call twice and on a half-started stack."""
        if self._previous_log_stream is not None:
            previous = self._previous_log_stream
            # A stream closed meanwhile (a test's captured stdout) is no place to log: stdout then.
            _swap_log_stream(sys.stdout if getattr(previous, "closed", False) else previous)
            self._previous_log_stream = None
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        self.twilio.stop()
        if self._moto is not None:
            self._moto.terminate()
            try:
                self._moto.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._moto.kill()
                self._moto.wait(timeout=10)
            self._moto = None
            os.environ.pop("AWS_ENDPOINT_URL", None)

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @contextmanager
    def quiet(self) -> Iterator[None]:
        """Send what the functions print (logs, EMF metrics) to the log stream, as Lambda sends it to CloudWatch."""
        # Lambda writes logs and EMF metrics to stdout; locally they go to the log stream instead.
        if self.log_stream is None:
            yield
        else:
            with redirect_stdout(self.log_stream):
                yield

    # --- shortcuts over the runtime -------------------------------------------------------------

    def settings(self, function: str = "IngestSmsFunction") -> Settings:
        """The settings one function sees (its template environment), for roster and ops code."""
        assert self.runtime is not None
        return Settings.from_env(self.runtime.functions[function].environment)

    @property
    def ops(self) -> Services:
        """What ops (and tests) use beside the functions: the roster, the repositories, alert actions."""
        if self._ops is None:
            self._ops = Services(self.settings("ScoreReplyFunction"))
        return self._ops

    @property
    def roster(self) -> Roster:
        """Enrol clients, add coaches, set shifts: what ops do with the CLI."""
        return Roster.on(self.ops)

    def functions_services(self, function: str) -> Services:
        """The composition root of one loaded function: swap an adapter in with ``.use(pager=...)``."""
        assert self.runtime is not None
        module = self.runtime.functions[function].module
        assert module is not None, f"{function} is not loaded"
        services: Services = module.SERVICES
        return services

    def phone_key(self) -> bytes:
        """The phone-hash key from the stack's own secret, as enrolment needs it."""
        from moodline.credentials import app_keys

        return app_keys(self.settings()).phone_hash_key

    def resource(self, logical_id: str) -> Any:
        assert self.template is not None
        return self.template.resources[logical_id]

    def fire_schedules(self, at: datetime) -> list[tuple[str, Any]]:
        assert self.runtime is not None
        with self.quiet():
            return self.runtime.fire_schedules(at)

    def settle(self) -> None:
        assert self.runtime is not None
        with self.quiet():
            self.runtime.settle()

    def request(self, method: str, path: str, *, headers: dict[str, str], body: str,
                query: dict[str, list[str]] | None = None) -> tuple[int, str]:
        assert self.runtime is not None
        with self.quiet():
            response = self.runtime.api_request(method, path, headers=headers, body=body,
                                                host=f"127.0.0.1:{self.http_port}", at=self.clock(), query=query)
        return response.status, response.body

    # --- API Gateway on 127.0.0.1 ---------------------------------------------------------------

    def _start_http(self) -> None:
        stack = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _route(self) -> None:
                parts = urlsplit(self.path)
                length = _content_length(self.headers.get_all("Content-Length") or [])
                if length is None:
                    # Not a count of bytes ("abc", "-1") or two that disagree: where the body ends is
                    # unknown, so nothing more is read (rfile.read(-1) would wait for the client to close),
                    # no function is invoked, and the answer is a 400 as API Gateway's would be.
                    self.close_connection = True
                    response = ApiResponse(400, {"content-type": "application/json"}, '{"message":"Bad Request"}')
                else:
                    body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
                    headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                    assert stack.runtime is not None
                    with stack.quiet():
                        response = stack.runtime.api_request(
                            self.command, parts.path, headers=headers, body=body,
                            host=self.headers.get("Host", f"127.0.0.1:{stack.http_port}"), at=stack.clock(),
                            # API Gateway keeps a blank value (?a=&b): {"a": "", "b": ""}.
                            query=parse_qs(parts.query, keep_blank_values=True) or None,
                        )
                payload = response.body.encode()
                self.send_response(response.status)
                for key, value in response.headers.items():
                    if key.lower() != "content-length":
                        self.send_header(key, value)
                for key, values in response.multi_headers.items():
                    for value in values:  # every Set-Cookie, as API Gateway sends multiValueHeaders
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":  # a HEAD answer has headers only
                    self.wfile.write(payload)

            # Every method API Gateway accepts goes to the routes, so one with no route gets API Gateway's
            # 403 JSON (Missing Authentication Token), not BaseHTTPRequestHandler's 501 HTML.
            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _route  # noqa: N815

        try:
            self._http = ThreadingHTTPServer(("127.0.0.1", self.http_port), Handler)
        except OSError:
            raise PortInUse(f"port {self.http_port} (API, --port) is in use on 127.0.0.1: another "
                            f"moodline-local serve? Stop it, or choose another port with the flag") from None
        threading.Thread(target=self._http.serve_forever, name="moodline-api", daemon=True).start()
