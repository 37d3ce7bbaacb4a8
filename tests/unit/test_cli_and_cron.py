"""The moodline CLI's score command, and the local cron evaluator the demo fires schedules with."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from moodline.cli import main, score_lines
from moodline_local.cli import main as local_main
from moodline_local.cron import Cron, CronError
from tests.conftest import ROOT


def test_score_writes_one_json_line_per_input_in_order_and_marks_bad_lines():
    # Given three lines: a crisis text, garbage, and a mood with history
    lines = ['{"text": "i want to die"}', "not json", '{"text": "5", "history": [8, 8, 9, null]}']
    out = io.StringIO()

    # When they are scored
    errors = score_lines(lines, out)

    # Then there are three outputs in order, the bad one an error naming its line
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    assert errors == 1 and len(results) == 3
    assert results[0]["level"] == "crisis" and results[0]["reasons"][0]["rule"].startswith("crisis")
    assert results[1] == {"error": "line 2: Expecting value: line 1 column 1 (char 0)"}
    assert results[2]["level"] == "high" and results[2]["mood"] == 5


@pytest.mark.parametrize("line", ['{"history": [1]}', '{"text": 5}', '{"text": "x", "history": "8"}',
                                  '{"text": "x", "history": [true]}', "[1, 2]"])
def test_score_rejects_malformed_objects_with_a_clear_error(line):
    out = io.StringIO()
    assert score_lines([line], out) == 1
    assert json.loads(out.getvalue())["error"].startswith("line 1:")


def test_the_console_script_scores_stdin():
    # Given the installed entry point, run as ops would
    result = subprocess.run([sys.executable, "-m", "moodline.cli", "score"], input='{"text": "7 good day"}\n',
                            capture_output=True, text=True, cwd=ROOT, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"level": "low", "mood": 7.0, "reasons": [], "review": False}


def test_bad_cli_arguments_exit_with_usage():
    with pytest.raises(SystemExit) as exit_info:
        local_main(["serve", "--port", "70000"])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit) as exit_info:
        main(["alert", "resolve", "al_1", "--by", "c1", "--outcome", "meh"])
    assert exit_info.value.code == 2


@pytest.mark.parametrize(("expression", "zone", "instant", "fires"), [
    ("cron(0/15 * * * ? *)", "UTC", datetime(2026, 11, 30, 9, 45, tzinfo=UTC), True),
    ("cron(0/15 * * * ? *)", "UTC", datetime(2026, 11, 30, 9, 50, tzinfo=UTC), False),
    ("cron(0 8 ? * MON *)", "America/New_York", datetime(2026, 12, 7, 13, 0, tzinfo=UTC), True),
    ("cron(0 8 ? * MON *)", "America/New_York", datetime(2026, 12, 7, 8, 0, tzinfo=UTC), False),
    ("cron(0 8 ? * MON *)", "America/New_York", datetime(2026, 12, 8, 13, 0, tzinfo=UTC), False),
])
def test_cron_fires_in_its_own_timezone(expression, zone, instant, fires):
    assert Cron(expression, zone).matches(instant) is fires


@pytest.mark.parametrize("expression", ["cron(0 8 * * * *)", "every day", "cron(61 * * * ? *)", "cron(0 8 * *)"])
def test_cron_rejects_what_eventbridge_would(expression):
    with pytest.raises(CronError):
        Cron(expression)
