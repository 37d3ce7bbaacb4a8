"""``make bench``: cold-start imports per handler, AWS calls per event, fan-out cost, triage throughput, page latency.

Benchmarks, not timed tests: they print figures and assert nothing. Everything runs offline:
imports in fresh interpreter processes, AWS on moto (in-process for call counts, server mode for latency).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
MONDAY = datetime(2026, 11, 30, tzinfo=UTC)
OUR_NUMBER = "+15005550006"


def cold_starts() -> int:
    """Every handler against ``import boto3``: paired, interleaved fresh processes (``infra/bench_coldstart.py``).

    Its ``coldstart <fn> ratio=...`` lines go straight to stdout; a handler that cannot be imported gets a
    ``status=import_failed`` line and the others are still measured.
    """
    result = subprocess.run([sys.executable, str(ROOT / "infra/bench_coldstart.py"), "--runs", str(RUNS),
                             "--keep-going", "--first-use"], cwd=ROOT, check=False)
    return result.returncode


def semantic_model() -> None:
    """What the semantic model costs score_reply (``infra/model/bench_semantic.py``), one line per figure."""
    out = subprocess.run([sys.executable, str(ROOT / "infra/model/bench_semantic.py"), "--rounds", "3",
                          "--replies", "300"], cwd=ROOT, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        print(f"semantic status=failed error={out.stderr.strip().splitlines()[-1:]!r}".replace(" ", "_"))
        return
    report = json.loads(out.stdout)
    flat: dict[str, Any] = {}
    for key, value in report.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        elif isinstance(value, list):
            flat.update({f"{key}.min": value[0], f"{key}.max": value[-1]})
        else:
            flat[key] = value
    for key, value in flat.items():
        print(f"semantic {key} value={value:.4g}" if isinstance(value, float) else f"semantic {key} value={value}")


@contextmanager
def counting_aws_calls() -> Iterator[Counter[str]]:
    """Count every AWS API call botocore makes (boto3 and PynamoDB both go through it)."""
    from botocore.client import BaseClient

    counter: Counter[str] = Counter()
    original = BaseClient._make_api_call  # type: ignore[attr-defined]  # botocore's private hook, stubbed without it

    def counted(self: Any, operation: str, params: Any) -> Any:
        counter[f"{self.meta.service_model.service_name}:{operation}"] += 1
        return original(self, operation, params)

    setattr(BaseClient, "_make_api_call", counted)  # noqa: B010 - the stubs do not declare it
    try:
        yield counter
    finally:
        setattr(BaseClient, "_make_api_call", original)  # noqa: B010


def _stack(**kwargs: Any) -> Any:
    import io

    from moodline_local.stack import LocalStack

    return LocalStack(ROOT, log_stream=io.StringIO(), **kwargs)


def _enrol(stack: Any, count: int, *, checkin: str = "09:00", coach: str = "c1", start: int = 0) -> None:
    from moodline.admin import Enrolment

    settings, key = stack.settings(), stack.phone_key()
    for i in range(start, start + count):
        stack.roster.enroll_client(Enrolment(coach, f"C{i}", f"+1555{i:07d}", "America/New_York", checkin),
                            phone_key=key, now=MONDAY, shards=settings.due_shards)


def aws_calls_per_event() -> list[tuple[str, int, str]]:
    """AWS calls made by each function for one typical event, on moto in-process."""
    from moto import mock_aws

    rows: list[tuple[str, int, str]] = []
    with mock_aws():
        stack = _stack(aws="inprocess", clock=lambda: MONDAY.replace(hour=14, minute=10)).start()
        try:
            stack.roster.add_coach("c1", "Casey", "casey@practice.example")
            _enrol(stack, 10)

            def measure(name: str, action: Callable[[], object]) -> None:
                with stack.quiet(), counting_aws_calls() as calls:
                    action()
                # Reading the stream and the queue is Lambda's poller's work in AWS, not the function's.
                own = {k: v for k, v in calls.items() if k.split(":")[0] != "dynamodbstreams"
                       and k not in {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueUrl"}}
                detail = ", ".join(f"{k.split(':')[1]}×{v}" for k, v in sorted(own.items()))
                rows.append((name, sum(own.values()), detail))

            tick = MONDAY.replace(hour=14)
            measure("schedule_probes (tick, 10 clients due)",
                    lambda: stack.runtime.invoke("ScheduleProbesFunction", {"scheduled_time": tick.isoformat()}))
            measure("send_probe (batch of 10 requests)", stack.runtime.deliver_sqs)
            measure("ingest_sms (one reply, warm)", lambda: stack.twilio.post_inbound(
                stack.inbound_url, to=OUR_NUMBER, from_="+15550000001", body="7 good"))
            measure("score_reply (low-risk reply)", stack.runtime.pump_streams)
            measure("ingest_sms (crisis reply)", lambda: stack.twilio.post_inbound(
                stack.inbound_url, to=OUR_NUMBER, from_="+15550000002", body="i want to die tonight"))
            measure("score_reply (crisis: alert + page)", stack.runtime.pump_streams)
            measure("weekly_summary (1 coach, 10 clients)", lambda: stack.runtime.invoke(
                "WeeklySummaryFunction", {"scheduled_time": "2026-12-07T13:00:00Z"}))
        finally:
            stack.stop()
    return rows


def fan_out() -> list[tuple[int, int, int, float]]:
    """schedule_probes cost per tick as enrolment grows: calls and time grow with clients *due*, not enrolled."""
    from moto import mock_aws

    rows = []
    for enrolled, due in ((100, 10), (1000, 10), (1000, 100), (1000, 500)):
        with mock_aws():
            stack = _stack(aws="inprocess").start()
            try:
                stack.roster.add_coach("c1", "Casey", "casey@practice.example")
                _enrol(stack, due, checkin="09:00")
                _enrol(stack, enrolled - due, checkin="15:00", start=due)
                tick = MONDAY.replace(hour=14)
                with stack.quiet(), counting_aws_calls() as calls:
                    started = time.perf_counter()
                    result = stack.runtime.invoke("ScheduleProbesFunction", {"scheduled_time": tick.isoformat()})
                    elapsed = time.perf_counter() - started
                assert result["queued"] == due
                rows.append((enrolled, due, sum(calls.values()), elapsed * 1000))
            finally:
                stack.stop()
    return rows


def scale_slot() -> int:
    """One slot with 100,000 enrolled against 1,000, 1,000 due in both (``infra/bench_scale.py``).

    Its own process: 100,000 clients in moto hold half a gigabyte, given back when it exits. Its
    ``scale <phase> ...`` lines go straight to stdout; it exits 1 when a ratio is over target.
    """
    result = subprocess.run([sys.executable, str(ROOT / "infra/bench_scale.py")], cwd=ROOT, check=False)
    if result.returncode not in (0, 1):
        print(f"scale status=failed returncode={result.returncode}")
    return result.returncode


def triage_throughput() -> tuple[int, float]:
    """Replies per second through moodline.triage.assess_reply, in-process, over the labelled corpus."""
    from moodline.triage.engine import assess_reply

    corpus = [json.loads(line) for line in (ROOT / "tests/data/triage_corpus.jsonl").read_text().splitlines()]
    items = [(c["text"], c.get("history") or []) for c in corpus]
    started = time.perf_counter()
    rounds = 20
    for _ in range(rounds):
        for text, history in items:
            assess_reply(text, history)
    return len(items) * rounds, len(items) * rounds / (time.perf_counter() - started)


def page_latency(replies: int = 200) -> tuple[float, float, float]:
    """Inbound webhook (signed HTTP POST) → SNS publish, on the local stack with moto in server mode."""
    stamps: list[float] = []
    clock_now = [MONDAY.replace(hour=15)]
    with _stack(clock=lambda: clock_now[0]) as stack:
        stack.roster.add_coach("c1", "Casey", "casey@practice.example")
        _enrol(stack, replies)
        services = stack.functions_services("ScoreReplyFunction")
        real_pager = services.pager

        class TimedPager:
            def publish(self, page: Any) -> str:
                message_id: str = real_pager.publish(page)
                stamps.append(time.perf_counter())
                return message_id

        services.use(pager=TimedPager())
        latencies = []
        for i in range(replies):
            clock_now[0] += timedelta(seconds=5)
            started = time.perf_counter()
            stack.twilio.post_inbound(stack.inbound_url, to=OUR_NUMBER, from_=f"+1555{i:07d}",
                                      body="i want to end my life tonight")
            stack.settle()  # what Lambda's stream poller does: deliver the new record to score_reply
            if stamps:
                latencies.append((stamps.pop() - started) * 1000)
        ordered = sorted(latencies)
        return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))], float(len(ordered))


def alert_page(views: int = 60) -> tuple[float, float, int, str]:
    """The coach's alert page, warm, 28 days of history: handler p50/p95 (ms) on moto server, AWS calls per view."""
    import boto3

    from moodline.admin import Enrolment
    from moodline.domain import Message, message_key
    from moodline.triage.model import Level
    from moodline.vocabulary import Direction, MessageKind
    from moodline_local.runtime import build_api_event

    now = datetime.now(UTC)
    with _stack(clock=lambda: now - timedelta(minutes=3)) as stack:
        stack.roster.add_coach("c1", "Casey", "casey@practice.example")
        stack.roster.set_shift("primary", starts_at=now - timedelta(days=40), ends_at=now + timedelta(days=1),
                               primary="c1")
        ben = stack.roster.enroll_client(Enrolment("c1", "Ben", "+15550100002", "America/Los_Angeles", "09:00"),
                                         phone_key=stack.phone_key(), now=now - timedelta(days=30),
                                         shards=stack.settings().due_shards)
        messages = stack.ops.messages
        for day in range(28, 0, -1):  # a probe and a rated reply with words every day
            at = now - timedelta(days=day)
            for sid, direction, kind, body in ((f"SMp{day}", Direction.OUTBOUND, MessageKind.PROBE, None),
                                               (f"SMr{day}", Direction.INBOUND, MessageKind.REPLY, "3 tired")):
                stored = messages.record(Message(client_id=ben.client_id, at=message_key(at, sid), sid=sid,
                                                 direction=direction, kind=kind, local_date=at.date().isoformat(),
                                                 body=body), retention_days=400)
            messages.save_assessment(stored, mood=3.0, level=Level.LOW, reasons=[], alert_id=None)
        stack.twilio.post_inbound(stack.inbound_url, to=OUR_NUMBER, from_="+15550100002", body="i want to die tonight")
        stack.settle()
        alert_id = (stack.ops.clients.get(ben.client_id) or ben).open_alert_id
        cognito = boto3.client("cognito-idp", region_name="us-east-1")
        pool, app = stack.resource("CoachUserPool").name, stack.resource("CoachUserPoolClient").name
        cognito.admin_create_user(UserPoolId=pool, Username="casey@practice.example", MessageAction="SUPPRESS",
                                  UserAttributes=[{"Name": "email", "Value": "casey@practice.example"},
                                                  {"Name": "custom:coach_id", "Value": "c1"}])
        cognito.admin_set_user_password(UserPoolId=pool, Username="casey@practice.example",
                                        Password="Bench-Password-42", Permanent=True)
        token = cognito.initiate_auth(ClientId=app, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={
            "USERNAME": "casey@practice.example", "PASSWORD": "Bench-Password-42"})["AuthenticationResult"]["IdToken"]
        event = build_api_event("GET", f"/coach/alerts/{alert_id}", "/coach/{proxy+}",
                                headers={"Cookie": f"ml_session={token}"}, body="", host="localhost",
                                at=datetime.now(UTC), stage_prefix="/Prod")

        def view() -> None:
            with stack.quiet():
                assert stack.runtime.invoke("CoachWebFunction", event)["statusCode"] == 200

        view()  # warm: JWKS fetched, secrets cached, clients built
        with counting_aws_calls() as calls:
            view()
        samples = []
        for _ in range(views):
            started = time.perf_counter()
            view()
            samples.append((time.perf_counter() - started) * 1000)
    ordered = sorted(samples)
    detail = ", ".join(f"{k.split(':')[1]}×{v}" for k, v in sorted(calls.items()))
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))], sum(calls.values()), detail


def main() -> int:
    print(f"Moodline benchmarks · Python {sys.version.split()[0]} · {os.cpu_count()} CPUs · {RUNS} rounds per import\n",
          flush=True)
    cold_starts()

    print("\nThe semantic model in score_reply (loaded before SnapStart's snapshot; cold figures in s)", flush=True)
    semantic_model()

    print("\nAWS calls per event made by the function (moto, in-process; the stream/queue poller's reads excluded)")
    for name, count, detail in aws_calls_per_event():
        print(f"  {name:<40} {count:4d}   {detail}")
        print(f"calls {name.split(' ')[0]} event={name.split(' ', 1)[1][1:-1].replace(' ', '_')} n={count}")

    print("\nFan-out: one schedule_probes tick as enrolment grows")
    print(f"  {'enrolled':>8} {'due':>5} {'AWS calls':>10} {'ms':>8}")
    for enrolled, due, calls, ms in fan_out():
        print(f"  {enrolled:8d} {due:5d} {calls:10d} {ms:8.1f}")

    print("\nScale: one probe slot, 100,000 enrolled against 1,000, 1,000 due in both (the function's own calls)",
          flush=True)
    scale_slot()

    total, rate = triage_throughput()
    print(f"\nTriage throughput: {rate:,.0f} replies/s in-process ({total} assessments)")

    median, p95, replies = page_latency()
    print(f"Webhook → SNS publish on the local stack: median {median:.1f} ms, p95 {p95:.1f} ms "
          f"over {replies:.0f} crisis replies")

    median, p95, calls, detail = alert_page()
    print(f"Coach alert page, warm, 28 days of history (handler on moto server): median {median:.1f} ms, "
          f"p95 {p95:.1f} ms; {calls} AWS calls per view ({detail})")
    return 0


if __name__ == "__main__":
    sys.path[:0] = [str(ROOT / "layers/moodline"), str(ROOT / "infra/local")]
    sys.exit(main())
