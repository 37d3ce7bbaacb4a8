"""``moodline-local serve``: routes like API Gateway, shows every page whole, publishes where it is, and stops
every process it started on SIGTERM and SIGINT."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from moodline_local.runtime import _path_params
from moodline_local.serve import environment_lines, serving
from moodline_local.stack import LOCAL_FROM_NUMBER, free_port
from tests.conftest import ROOT

CRISIS = "honestly i can't do this anymore. i've been saving my pills and tonight is the night"


@pytest.mark.slow
def test_serve_answers_signed_texts_and_routes_like_api_gateway(tmp_path):
    # Given the served stack (moto in server mode) seeded with the demo roster
    with serving(ROOT, port=free_port(), state_path=tmp_path / "local.json", log_stream=io.StringIO()) as served:
        stack = served.stack
        # When a client texts through the signed webhook, and someone posts unsigned, and a wrong path
        ok = stack.twilio.post_inbound(stack.inbound_url, to=LOCAL_FROM_NUMBER, from_="+15550100001", body="7")
        forged = stack.twilio.post_signed(stack.inbound_url, {"From": "+15550100001", "Body": "7"}, sign=False)
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{stack.base_url}/nope")

        # Then the client gets TwiML, the forgery 403, the unknown route 404 (API Gateway's answer)
        assert ok[0] == 200 and "<Message>Gracias, Ana" in ok[1]
        assert forged[0] == 403
        assert missing.value.code == 404
        missing.value.close()


@pytest.mark.slow
def test_every_page_reaches_the_coachs_local_pager_and_is_printed_whole(tmp_path):
    # Given the served demo roster: Casey (c1) on call, each coach with a pager
    state_path = tmp_path / "local.json"
    with serving(ROOT, port=free_port(), state_path=state_path, log_stream=io.StringIO()) as served:
        from moodline_local.serve import Console

        console_out = io.StringIO()
        console = Console(served, console_out)
        assert sorted(served.pagers.queues) == ["c1", "c2"]

        # When Ben texts a crisis reply
        status, _ = served.stack.twilio.post_inbound(served.stack.inbound_url, to=LOCAL_FROM_NUMBER,
                                                     from_="+15550100002", body=CRISIS)
        served.stack.settle()
        console.show()

        # Then Casey's pager shows the whole page: subject, body, acknowledge code and its links
        printed = console_out.getvalue()
        alert_id = next(c.open_alert_id for c in served.stack.ops.clients.all() if c.open_alert_id)
        alert = served.stack.ops.alerts.get(alert_id)
        assert status == 200 and alert is not None
        assert "PAGE → Casey Morgan (c1): Moodline CRISIS alert: Ben" in printed
        assert f"ACK {alert.ack_code}" in printed
        assert f"{served.stack.base_url}/alerts/{alert_id}/ack?" in printed
        assert f"{served.stack.base_url}/coach/alerts/{alert_id}" in printed  # the workspace's alert page
        assert printed.count("│ ") >= 3  # every line of the body, under the page, with its bar
        # And no phone number is printed
        assert "+1555" not in printed

        # And the state file says where everything is, and points the moodline CLI at it
        state = json.loads(state_path.read_text())
        assert state["pid"] == os.getpid()
        assert state["ports"]["api"] == served.stack.http_port
        assert state["endpoint_url"] == served.stack.moto_url
        assert state["tables"]["ClientsTable"] == "ClientsTable"
        assert state["user_pool_id"] == served.stack.resource("CoachUserPool").name
        assert {s["email"] for s in state["sign_ins"]} == {"casey@practice.example", "jordan@practice.example"}
        assert state["env"]["AWS_ENDPOINT_URL"] == served.stack.moto_url
        assert state["env"]["ALERTS_TABLE"] == "AlertsTable"
        assert f"export AWS_ENDPOINT_URL={served.stack.moto_url}" in environment_lines(state)
        assert oct(state_path.stat().st_mode & 0o777) == "0o600"
    # And the state file is gone once the stack has stopped
    assert not state_path.exists()


@pytest.mark.slow
def test_the_demo_coaches_can_sign_in_to_the_pool(tmp_path):
    # Given the served demo roster
    import boto3

    with serving(ROOT, port=free_port(), state_path=tmp_path / "s.json", log_stream=io.StringIO()) as served:
        # When Casey signs in with the printed e-mail and password (USER_PASSWORD_AUTH, as the workspace does)
        casey = next(s for s in served.sign_ins if s.coach_id == "c1")
        result = boto3.client("cognito-idp", region_name="us-east-1").initiate_auth(
            ClientId=served.stack.resource("CoachUserPoolClient").name, AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": casey.email, "PASSWORD": casey.password})
        # Then Cognito issues her tokens
        assert result["AuthenticationResult"]["IdToken"]


def test_a_greedy_proxy_path_takes_the_rest_of_the_path_as_api_gateway_does():
    assert _path_params("/coach/{proxy+}", "/coach/alerts/al_1") == {"proxy": "alerts/al_1"}
    assert _path_params("/coach/{proxy+}", "/coach") is None
    assert _path_params("/coach/{proxy+}", "/twilio/inbound") is None
    assert _path_params("/alerts/{alert_id}/ack", "/alerts/al_1/ack") == {"alert_id": "al_1"}


# --- the real command, in its own process ------------------------------------------------------------------


def _children_of(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (from /proc)."""
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        parent = frontier.pop()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent and fields[0] != "Z":
                found.add(int(entry.name))
                frontier.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _start_serve(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[str], dict[str, int], Path]:
    ports = {"api": free_port(), "moto": free_port(), "twilio": free_port()}
    state = tmp_path / "local.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "moodline_local.cli", "serve", "--port", str(ports["api"]),
         "--moto-port", str(ports["moto"]), "--twilio-port", str(ports["twilio"]), "--state", str(state), *extra],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    return process, ports, state


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process tree from /proc")
@pytest.mark.parametrize("stop_with", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_stopped_by_a_signal_leaves_no_process_behind(tmp_path, stop_with):
    # Given `moodline-local serve --demo-roster` on fixed ports, up and announcing itself
    process, ports, state_path = _start_serve(tmp_path, "--demo-roster")
    try:
        deadline = time.monotonic() + 90
        while not state_path.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert state_path.exists(), process.communicate(timeout=30)[0] if process.poll() is not None else "no state"
        state = json.loads(state_path.read_text())
        children = _children_of(process.pid)
        assert state["ports"] == ports
        assert children, "serve started no moto server"
        urllib.request.urlopen(f"http://127.0.0.1:{ports['moto']}/moto-api/data.json", timeout=5).close()

        # When it is sent the signal
        process.send_signal(stop_with)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    # Then it exits cleanly, every process it started is gone, its ports are free, its state file removed
    assert process.returncode == 0, output
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if _alive(pid)]
    for port in ports.values():
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is not a listener
            probe.bind(("127.0.0.1", port))
    assert not state_path.exists()
    # And it had told how to point the CLI at it and how each demo coach signs in
    assert f"moodline-local env --state {state_path}" in output
    assert "casey@practice.example / " in output and "jordan@practice.example / " in output
    assert f"stopping ({stop_with.name})" in output


@pytest.mark.slow
def test_a_taken_port_is_named_in_one_line_and_nothing_is_left_running(tmp_path):
    # Given the API port already taken
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = subprocess.Popen(
            [sys.executable, "-m", "moodline_local.cli", "serve", "--port", str(port), "--moto-port",
             str(free_port()), "--twilio-port", str(free_port()), "--state", str(tmp_path / "s.json")],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        # When serve starts, then it says which port and which flag, in one line, and exits 1
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 1
    assert output.strip().splitlines() == [
        f"moodline-local serve: port {port} (API, --port) is in use on 127.0.0.1: another moodline-local serve? "
        "Stop it, or choose another port with the flag"]


@pytest.mark.slow
def test_the_workspace_is_served_on_the_api_port_and_a_demo_coach_signs_in_over_http(tmp_path):
    import http.client
    import re
    from urllib.parse import urlencode

    # Given the served demo roster
    with serving(ROOT, port=free_port(), state_path=tmp_path / "s.json", log_stream=io.StringIO()) as served:
        assert not served.workspace_problem, served.workspace_problem
        casey = next(s for s in served.sign_ins if s.coach_id == "c1")
        cookies: dict[str, str] = {}

        def call(method: str, path: str, form: dict[str, str] | None = None) -> http.client.HTTPResponse:
            connection = http.client.HTTPConnection("127.0.0.1", served.stack.http_port, timeout=30)
            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
            if form is not None:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            connection.request(method, path, body=urlencode(form) if form is not None else None, headers=headers)
            response = connection.getresponse()
            response.read_body = response.read()  # type: ignore[attr-defined]
            for cookie in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = cookie.partition("=")
                cookies[name] = rest.split(";", 1)[0]
            connection.close()
            return response

        # When Casey opens the printed workspace URL's sign-in page and signs in with the printed password
        page = call("GET", "/coach/sign-in")
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.read_body.decode()))
        signed_in = call("POST", "/coach/sign-in", {**hidden, "email": casey.email, "password": casey.password})
        roster = call("GET", "/coach/clients")

        # Then every Set-Cookie came through the HTTP server, and her roster lists her clients
        assert page.status == 200 and served.state["workspace_url"] == f"{served.stack.base_url}/coach/"
        assert signed_in.status == 303 and "sign-in" not in (signed_in.headers["Location"] or "")
        assert roster.status == 200
        body = roster.read_body.decode()
        assert "Ana" in body and "Ben" in body and "Chloe" not in body  # Chloe is Jordan's


def test_the_first_signal_asks_the_loop_to_stop_and_raises_nothing():
    # Given serve's signal handler
    from moodline_local.serve import Stop, StopRequest

    stop = StopRequest()
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        # When the first SIGTERM arrives, wherever the main thread is
        stop(signal.SIGTERM, None)
        # Then nothing is raised there (no lock left held mid-step): the loop sees the request between steps
        assert stop.requested and stop.signal_name == "SIGTERM"
        started = time.monotonic()
        assert stop.wait(5) is True and time.monotonic() - started < 1  # a sleeping loop wakes at once
        # And a second signal, for a step that does not end, leaves at once and ignores any later one
        with pytest.raises(Stop):
            stop(signal.SIGINT, None)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def test_no_stop_is_asked_for_until_a_signal_arrives():
    from moodline_local.serve import StopRequest

    stop = StopRequest()
    assert not stop.requested and stop.signal_name is None
    assert stop.wait(0.01) is False


def test_the_text_helper_without_a_serve_says_so_in_one_line(tmp_path):
    # Given no serve on the port and no state file
    port = free_port()
    result = subprocess.run([sys.executable, "-m", "moodline_local.text", "--from", "+15550100001", "--port",
                             str(port), "7"], check=False, cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "MOODLINE_LOCAL_STATE": str(tmp_path / "none.json")})
    # Then one line names the port and the way out, and no traceback
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and f"127.0.0.1:{port}" in result.stderr and "--port" in result.stderr


def test_env_into_a_closed_pipe_ends_quietly(tmp_path):
    # Given a state file of a live process (this one), read by `moodline-local env | head -1`
    state = tmp_path / "s.json"
    state.write_text(json.dumps({"pid": os.getpid(), "env": {f"VAR{i}": "x" * 2000 for i in range(200)}}))
    env = subprocess.Popen([sys.executable, "-m", "moodline_local.cli", "env", "--state", str(state)], cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert env.stdout is not None
    env.stdout.readline()
    env.stdout.close()  # what `head -1` does once it has its line
    _, err = env.communicate(timeout=60)
    # Then no traceback
    assert b"Traceback" not in err and b"BrokenPipeError" not in err
