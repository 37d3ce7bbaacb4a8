"""Run the template's functions in-process and route events to them the way AWS would."""

from __future__ import annotations

import importlib.util
import json
import os
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3

from moodline_local.cron import Cron
from moodline_local.template import REGION, Template


@dataclass
class LocalContext:
    """The parts of Lambda's context object that Powertools reads."""

    function_name: str
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    timeout_ms: int = 30_000

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_ms


@dataclass
class LocalFunction:
    """One ``AWS::Serverless::Function``: its code, environment, events and loaded handler."""

    logical_id: str
    code_dir: Path
    environment: dict[str, str]
    events: dict[str, dict[str, Any]]
    timeout_s: int
    module: ModuleType | None = None

    def event_sources(self, kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for name, event in self.events.items():
            if event["Type"] == kind:
                yield name, event.get("Properties", {})


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def matches_filter(record: Any, pattern: Any) -> bool:
    """Lambda event filtering for the pattern forms Moodline uses: nested keys, lists of exact values."""
    if isinstance(pattern, dict):
        return isinstance(record, dict) and all(
            key in record and matches_filter(record[key], sub) for key, sub in pattern.items()
        )
    if isinstance(pattern, list):
        return record in pattern
    return bool(record == pattern)


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: str
    multi_headers: dict[str, list[str]] = field(default_factory=dict)  # Set-Cookie, one per cookie


class LocalRuntime:
    """Loads every function of the template and delivers schedules, SQS, streams and HTTP to it."""

    def __init__(self, template: Template, root: Path, env_overrides: Mapping[str, str] | None = None) -> None:
        self.template = template
        self.root = root
        self.env_overrides = dict(env_overrides or {})
        self.functions: dict[str, LocalFunction] = {}
        # Functions whose code does not import (a half-finished port, say): the rest of the stack
        # still runs, and their routes answer 502 as API Gateway does for a broken integration.
        self.broken: dict[str, tuple[LocalFunction, str]] = {}
        self._lock = threading.RLock()
        # Event source → shard id → sequence number of the last record read (None: none yet, read from
        # the shard's start). A checkpoint, as Lambda's poller keeps, never a shard iterator: see _read_stream.
        self._checkpoints: dict[str, dict[str, str | None]] = {}
        self._queue_urls: dict[str, str] = {}
        self._sqs = boto3.client("sqs", region_name=REGION)
        self._streams = boto3.client("dynamodbstreams", region_name=REGION)

    # --- functions -----------------------------------------------------------------------------

    def load(self) -> None:
        """Import each function's ``app.py`` as Lambda would: under its own environment, once."""
        globals_fn = self.template.body.get("Globals", {}).get("Function", {})
        for logical_id, resource in self.template.of_type("AWS::Serverless::Function").items():
            props = resource["Properties"]
            env = {**self.template.function_environment(logical_id), **self.env_overrides,
                   "AWS_LAMBDA_FUNCTION_NAME": logical_id}
            function = LocalFunction(
                logical_id=logical_id,
                code_dir=self.root / props["CodeUri"],
                environment=env,
                events={n: {"Type": e["Type"], "Properties": self.template.resolve(e.get("Properties", {}))}
                        for n, e in props.get("Events", {}).items()},
                timeout_s=int(props.get("Timeout", globals_fn.get("Timeout", 3))),
            )
            spec = importlib.util.spec_from_file_location(f"lambda_{logical_id}", function.code_dir / "app.py")
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot load {function.code_dir}/app.py")
            module = importlib.util.module_from_spec(spec)
            try:
                with _environment(env):
                    spec.loader.exec_module(module)
            except Exception as exc:
                self.broken[logical_id] = (function, f"{type(exc).__name__}: {exc}")
                continue
            function.module = module
            self.functions[logical_id] = function

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        """Invoke a function synchronously with ``event`` (one at a time, like one warm container)."""
        function = self.functions[logical_id]
        assert function.module is not None
        context = LocalContext(logical_id, timeout_ms=function.timeout_s * 1000)
        with self._lock, _environment(function.environment):
            return function.module.handler(event, context)

    # --- schedules ------------------------------------------------------------------------------

    def fire_schedules(self, at: datetime, only: set[str] | None = None) -> list[tuple[str, Any]]:
        """Invoke every ``ScheduleV2`` target whose expression fires at ``at``."""
        results = []
        for function in self.functions.values():
            for name, props in function.event_sources("ScheduleV2"):
                if only is not None and function.logical_id not in only:
                    continue
                cron = Cron(props["ScheduleExpression"], props.get("ScheduleExpressionTimezone", "UTC"))
                if cron.matches(at):
                    scheduled = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                    event = json.loads(props.get("Input", "{}").replace("<aws.scheduler.scheduled-time>", scheduled))
                    results.append((f"{function.logical_id}.{name}", self.invoke(function.logical_id, event)))
        return results

    # --- SQS ------------------------------------------------------------------------------------

    def deliver_sqs(self) -> int:
        """One polling pass over every SQS event source; returns how many messages were handled."""
        handled = 0
        for function in self.functions.values():
            for _, props in function.event_sources("SQS"):
                queue_arn = props["Queue"]
                queue_url = self._queue_url(queue_arn)
                handled += self._deliver_queue(function, queue_arn, queue_url, int(props.get("BatchSize", 10)))
        return handled

    def _queue_url(self, queue_arn: str) -> str:
        if queue_arn not in self._queue_urls:
            self._queue_urls[queue_arn] = self._sqs.get_queue_url(QueueName=queue_arn.rsplit(":", 1)[1])["QueueUrl"]
        return self._queue_urls[queue_arn]

    def _deliver_queue(self, function: LocalFunction, queue_arn: str, queue_url: str, batch_size: int) -> int:
        handled = 0
        while True:
            messages = self._sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=min(batch_size, 10),
                AttributeNames=["All"], MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                return handled
            records: list[dict[str, Any]] = [{
                "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                "attributes": m.get("Attributes", {}), "messageAttributes": m.get("MessageAttributes", {}),
                "md5OfBody": m["MD5OfBody"], "eventSource": "aws:sqs", "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            } for m in messages]
            try:
                response = self.invoke(function.logical_id, {"Records": records}) or {}
                failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
            except Exception:
                failed = {r["messageId"] for r in records}
            for record in records:
                if record["messageId"] in failed:
                    # Visible again at once so the next pass retries; the redrive policy moves it to
                    # the DLQ after maxReceiveCount receives.
                    self._sqs.change_message_visibility(
                        QueueUrl=queue_url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=0)
                else:
                    self._sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=record["receiptHandle"])
                    handled += 1
            if failed:
                return handled

    # --- DynamoDB streams -----------------------------------------------------------------------

    def pump_streams(self) -> int:
        """Read new stream records and deliver them, filtered and batched, to their functions."""
        delivered = 0
        for function in self.functions.values():
            for name, props in function.event_sources("DynamoDB"):
                delivered += self._pump(function, f"{function.logical_id}.{name}", props)
        return delivered

    def _pump(self, function: LocalFunction, key: str, props: dict[str, Any]) -> int:
        stream_arn = props["Stream"]
        patterns = [json.loads(f["Pattern"]) for f in props.get("FilterCriteria", {}).get("Filters", [])]
        batch_size = int(props.get("BatchSize", 100))
        max_retries = int(props.get("MaximumRetryAttempts", -1))
        delivered = 0
        for raw in self._read_stream(key, stream_arn, props.get("StartingPosition", "LATEST")):
            records = [self._lambda_record(r, stream_arn) for r in raw]
            records = [r for r in records if not patterns or any(matches_filter(r, p) for p in patterns)]
            for start in range(0, len(records), batch_size):
                delivered += self._deliver_stream_batch(function, props, records[start:start + batch_size],
                                                        max_retries)
        return delivered

    def _read_stream(self, key: str, stream_arn: str, position: str) -> list[list[dict[str, Any]]]:
        """The records written since the last read, one list per shard, from the table's stream as it is now.

        Every read re-describes the stream and asks for a fresh iterator after the last sequence number
        read; a shard iterator is never kept from one read to the next. moto's TransactWriteItems copies
        each table it touches first and, when the transaction is cancelled (a Twilio retry finds its
        MessageSid's claim), puts the copies back: the table then has another stream shard object under
        the same stream ARN and shard id. An iterator kept from before reads the old, orphaned shard
        forever (no later write is ever streamed: no reply scored, no page), and that old shard also
        holds an INSERT for the write the transaction made before it was refused, a record real
        DynamoDB never emits (scoring it would even create a row). A fresh iterator reads the shard
        the table has now, which holds neither; the checkpoint keeps it from re-reading old records.

        Under the runtime's lock, so a read never falls between a function's transaction writing and
        moto rolling it back (the functions run under the same lock).
        """
        with self._lock:
            checkpoints = self._checkpoints.setdefault(key, {})
            shards = self._streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
            batches = []
            for shard in shards:
                shard_id = shard["ShardId"]
                if shard_id not in checkpoints:
                    # First sight: TRIM_HORIZON reads what the shard holds; LATEST skips it.
                    checkpoints[shard_id] = None
                    if position == "LATEST":
                        while skipped := self._records_after(stream_arn, shard_id, checkpoints[shard_id]):
                            checkpoints[shard_id] = skipped[-1]["dynamodb"]["SequenceNumber"]
                records = self._records_after(stream_arn, shard_id, checkpoints[shard_id])
                if records:
                    checkpoints[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
                    batches.append(records)
            return batches

    def _records_after(self, stream_arn: str, shard_id: str, sequence_number: str | None) -> list[dict[str, Any]]:
        where = ({"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": sequence_number}
                 if sequence_number is not None else {"ShardIteratorType": "TRIM_HORIZON"})
        iterator = self._streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard_id, **where)["ShardIterator"]
        records: list[dict[str, Any]] = self._streams.get_records(ShardIterator=iterator)["Records"]
        return records

    @staticmethod
    def _lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
        # moto gives a datetime and no source ARN; Lambda gives epoch seconds and the ARN.
        record = json.loads(json.dumps(record, default=lambda v: v.timestamp() if isinstance(v, datetime) else str(v)))
        record["eventSourceARN"] = stream_arn
        return record

    def _deliver_stream_batch(self, function: LocalFunction, props: dict[str, Any],
                              batch: list[dict[str, Any]], max_retries: int) -> int:
        attempts = 0
        while batch:
            try:
                response = self.invoke(function.logical_id, {"Records": batch}) or {}
                failures = [f["itemIdentifier"] for f in response.get("batchItemFailures", [])]
            except Exception:
                failures = [batch[0]["dynamodb"]["SequenceNumber"]]
            if not failures:
                return len(batch)
            # Lambda checkpoints before the first failed record and retries from there.
            first = min(failures, key=int)
            batch = [r for r in batch if int(r["dynamodb"]["SequenceNumber"]) >= int(first)]
            attempts += 1
            if max_retries >= 0 and attempts > max_retries:
                self._on_failure(props, batch)
                return 0
        return 0

    def _on_failure(self, props: dict[str, Any], batch: list[dict[str, Any]]) -> None:
        destination = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        info = {
            "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": 1},
            "DDBStreamBatchInfo": {
                "shardId": "local", "streamArn": props["Stream"], "batchSize": len(batch),
                "startSequenceNumber": batch[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": batch[-1]["dynamodb"]["SequenceNumber"],
            },
        }
        if destination:
            self._sqs.send_message(QueueUrl=self._queue_url(destination), MessageBody=json.dumps(info))

    # --- all of it ------------------------------------------------------------------------------

    def settle(self, max_rounds: int = 50) -> None:
        """Deliver queued and streamed events until nothing moves (a crisis never waits for a tick)."""
        for _ in range(max_rounds):
            if not (self.deliver_sqs() + self.pump_streams()):
                return

    # --- API Gateway ----------------------------------------------------------------------------

    def routes(self) -> list[tuple[str, str, str]]:
        functions = [*self.functions.values(), *(f for f, _ in self.broken.values())]
        return [(props["Method"].upper(), props["Path"], function.logical_id)
                for function in functions for _, props in function.event_sources("Api")]

    def api_request(self, method: str, path: str, *, headers: Mapping[str, str], body: str, host: str,
                    at: datetime, query: Mapping[str, list[str]] | None = None,
                    scheme: str = "http") -> ApiResponse:
        """Route a request to its function as an API Gateway REST proxy event (404/405 like API Gateway)."""
        allowed = [r for r in self.routes() if _path_params(r[1], path) is not None]
        if not allowed:
            return ApiResponse(404, {"content-type": "application/json"}, '{"message":"Not Found"}')
        route = next((r for r in allowed if r[0] == method.upper()), None)
        if route is None:
            return ApiResponse(403, {"content-type": "application/json"},
                               '{"message":"Missing Authentication Token"}')
        event = build_api_event(method, path, route[1], headers=headers, body=body, host=host, at=at,
                                query=query, scheme=scheme, path_parameters=_path_params(route[1], path))
        if route[2] in self.broken:
            return ApiResponse(502, {"content-type": "application/json"}, '{"message": "Internal server error"}')
        result = self.invoke(route[2], event)
        return ApiResponse(int(result["statusCode"]), dict(result.get("headers") or {}), result.get("body") or "",
                           {k: list(v) for k, v in (result.get("multiValueHeaders") or {}).items()})


def _path_params(template_path: str, path: str) -> dict[str, str] | None:
    want, got = template_path.strip("/").split("/"), path.strip("/").split("/")
    params: dict[str, str] = {}
    if want and want[-1].endswith("+}"):
        # A greedy ``{proxy+}`` takes the rest of the path (one segment at least), as API Gateway does.
        head = len(want) - 1
        if len(got) <= head or not all(g for g in got[head:]):
            return None
        prefix = _path_params("/".join(want[:head]), "/".join(got[:head])) if head else {}
        if prefix is None:
            return None
        return {**prefix, want[-1][1:-2]: "/".join(got[head:])}
    if len(want) != len(got):
        return None
    for w, g in zip(want, got, strict=True):
        if w.startswith("{") and w.endswith("}"):
            params[w[1:-1]] = g
        elif w != g:
            return None
    return params


def build_api_event(method: str, path: str, resource: str, *, headers: Mapping[str, str], body: str, host: str,
                    at: datetime, query: Mapping[str, list[str]] | None = None, scheme: str = "http",
                    path_parameters: dict[str, str] | None = None, stage_prefix: str = "") -> dict[str, Any]:
    """An API Gateway REST (v1) proxy event, as Lambda receives it."""
    all_headers = {"Host": host, "X-Forwarded-Proto": scheme, **headers}
    query = dict(query or {})
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method.upper(),
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method.upper(),
            "path": stage_prefix + path,
            "stage": stage_prefix.strip("/") or "local",
            "domainName": host,
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(at.timestamp() * 1000),
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": body,
        "isBase64Encoded": False,
    }

