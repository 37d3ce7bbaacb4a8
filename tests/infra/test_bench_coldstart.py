"""The cold-start bench's method: environments from template.yaml, paired-ratio maths, output format. No timing."""

from __future__ import annotations

import importlib.util
import re
import statistics
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

_spec = importlib.util.spec_from_file_location("bench_coldstart", ROOT / "infra" / "bench_coldstart.py")
assert _spec and _spec.loader
bc = importlib.util.module_from_spec(_spec)
sys.modules["bench_coldstart"] = bc
_spec.loader.exec_module(bc)

TEMPLATE = bc.load_template(ROOT / "template.yaml")
HANDLERS = bc.discover_functions(ROOT)
ARN = re.compile(r"^arn:aws:[a-z0-9-]+:[a-z0-9-]+:\d{12}:[A-Za-z0-9/_.:-]+$")
URL = re.compile(r"^https://[a-z0-9.-]+\.amazonaws\.com/[A-Za-z0-9/_.-]+$")
NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")


def test_every_handler_directory_is_a_function_of_the_template():
    # Given the handlers found on disk and the functions the template builds
    resources = bc.function_resources(TEMPLATE)
    # Then each handler has its function, so each gets its real environment
    assert HANDLERS, "no functions/*/app.py found"
    assert set(HANDLERS) <= set(resources)


@pytest.mark.parametrize("handler", HANDLERS)
def test_each_function_gets_every_variable_the_template_declares(handler):
    # Given the raw Globals and function variables, read independently of the builder
    from samtranslator.yaml_helper import yaml_parse

    raw = yaml_parse((ROOT / "template.yaml").read_text())
    declared = set(raw["Globals"]["Function"]["Environment"]["Variables"])
    for props in (r["Properties"] for r in raw["Resources"].values() if r["Type"] == "AWS::Serverless::Function"):
        if Path(props["CodeUri"]).name == handler:
            declared |= set((props.get("Environment") or {}).get("Variables") or {})
    # When the bench builds the function's environment
    env = bc.environment_for(TEMPLATE, handler)
    # Then every declared variable is there, as a string
    assert set(env) == declared
    assert all(isinstance(v, str) for v in env.values())


@pytest.mark.parametrize("handler", HANDLERS)
def test_placeholder_values_are_well_formed(handler):
    env = bc.environment_for(TEMPLATE, handler)
    for name, value in env.items():
        if name.endswith("_ARN"):
            assert ARN.match(value), (name, value)
        elif name.endswith("_URL"):
            assert URL.match(value), (name, value)
        elif name.endswith("_TABLE") or name.endswith("_SECRET_ID"):
            assert NAME.match(value), (name, value)


@pytest.mark.parametrize("handler", HANDLERS)
def test_the_environment_passes_the_settings_validation(handler):
    # The package's settings (wherever they move) must accept what the bench gives each handler at cold start.
    settings = pytest.importorskip("moodline.settings")
    env = bc.environment_for(TEMPLATE, handler)
    settings.Settings.from_env(env)


def test_intrinsics_resolve_to_parameter_defaults_or_placeholders():
    parameters = {"Tz": {"Type": "String", "Default": "Europe/Dublin"}, "Empty": {"Type": "String", "Default": ""},
                  "Days": {"Type": "Number", "Default": 400}}
    assert bc.resolve("PRACTICE_TIMEZONE", {"Ref": "Tz"}, parameters) == "Europe/Dublin"
    assert bc.resolve("RETENTION_DAYS", {"Ref": "Days"}, parameters) == "400"
    assert bc.resolve("CRISIS_RESOURCES", {"Ref": "Empty"}, parameters) == ""
    assert URL.match(bc.resolve("PUBLIC_BASE_URL", {"Ref": "Empty"}, parameters))
    assert bc.resolve("TWILIO_MESSAGING_SERVICE_SID", {"Ref": "Empty"}, parameters) == "MG" + "0" * 32
    assert ARN.match(bc.resolve("ALERTS_TOPIC_ARN", {"Ref": "AlertsTopic"}, parameters))
    assert ARN.match(bc.resolve("SOME_QUEUE_ARN", {"Fn::GetAtt": ["ProbesQueue", "Arn"]}, parameters))
    assert URL.match(bc.resolve("PROBES_QUEUE_URL", {"Ref": "ProbesQueue"}, parameters))
    assert URL.match(bc.resolve("PUBLIC_BASE_URL", {"Fn::If": ["C", {"Ref": "Empty"}, {"Fn::Sub": "x"}]}, parameters))
    assert NAME.match(bc.resolve("CLIENTS_TABLE", {"Ref": "ClientsTable"}, parameters))
    assert bc.resolve("DUE_SHARDS", "4", parameters) == "4"


def test_the_loader_reads_short_intrinsic_tags(tmp_path):
    path = tmp_path / "template.yaml"
    path.write_text("A: !Ref X\nB: !GetAtt T.Arn\nC: !Sub 'a-${X}'\nD: !If [C, !Ref X, '']\n")
    loaded = bc.load_template(path)
    assert loaded == {"A": {"Ref": "X"}, "B": {"Fn::GetAtt": ["T", "Arn"]}, "C": {"Fn::Sub": "a-${X}"},
                      "D": {"Fn::If": ["C", {"Ref": "X"}, ""]}}


def test_the_figure_is_the_median_of_paired_ratios_not_the_ratio_of_medians():
    # Given rounds where the machine slows down and speeds up, both sides of each pair alike
    boto3 = [100.0, 200.0, 50.0, 400.0, 100.0]
    handler = [150.0, 300.0, 75.0, 600.0, 150.0]  # always 1.5x its own round's boto3
    # Then the paired median is exactly 1.5
    assert bc.median_paired_ratio(handler, boto3) == pytest.approx(1.5)
    # And one outlier round does not move it much, unlike a ratio of means
    handler_outlier = [*handler[:-1], 900.0]
    assert bc.median_paired_ratio(handler_outlier, boto3) == pytest.approx(1.5)
    assert statistics.mean(handler_outlier) / statistics.mean(boto3) != pytest.approx(1.5)


def test_paired_ratios_need_equal_rounds_and_skip_empty_baselines():
    assert bc.paired_ratios([2.0, 4.0], [1.0, 0.0]) == [2.0]
    with pytest.raises(ValueError, match="same number"):
        bc.paired_ratios([1.0], [1.0, 2.0])


def test_figure_reduces_rounds_with_pass_subtracted_from_rusage():
    rounds = bc.Rounds()
    for i, scale in enumerate((1.0, 2.0, 3.0)):
        rounds.add("pass", bc.Sample(0.01, 0.02, 20.0 * scale))
        rounds.add("boto3", bc.Sample(100.0 * scale, 200.0 * scale, 20.0 * scale + 100.0 * scale))
        rounds.add("ingest_sms", bc.Sample(120.0 * scale + i, 260.0 * scale, 20.0 * scale + 130.0 * scale))
    fig = bc.figure("ingest_sms", rounds, runs=3)
    assert fig.ratio == pytest.approx(statistics.median([1.2, 1.205, 1.2 + 2 / 300]))
    assert fig.wall_ratio == pytest.approx(1.3)
    assert fig.proc_ratio == pytest.approx(1.3)
    assert fig.boto3_cpu_ms == pytest.approx(200.0)
    assert fig.target == 1.2
    assert fig.meets is False


def test_the_machine_line_has_one_key_value_per_figure_and_reads_back():
    fig = bc.Figure(name="ingest_sms", ratio=1.4249, wall_ratio=1.5, proc_ratio=1.47, cpu_ms=180.04, wall_ms=400.0,
                    boto3_cpu_ms=126.3, boto3_wall_ms=300.0, runs=9, target=1.2)
    line = bc.machine_line(fig)
    assert line.startswith("coldstart ingest_sms ratio=1.42 ")
    assert "\n" not in line
    name, values = bc.parse_line(line)
    assert name == "ingest_sms"
    assert values["ratio"] == "1.42"
    assert float(values["cpu_ms"]) == pytest.approx(180.0)
    assert values["meets"] == "no"
    assert values["runs"] == "9"
    assert {"wall_ratio", "proc_ratio", "wall_ms", "boto3_cpu_ms", "boto3_wall_ms", "target"} <= set(values)
    with pytest.raises(ValueError, match="not a coldstart line"):
        bc.parse_line("coldstart ingest_sms")


def test_importtime_output_is_attributed_once_per_subtree():
    # Given post-order -X importtime output: a imports a.b (which imports c), then d is imported at top level
    stderr = "\n".join([
        "import time: self [us] | cumulative | imported package",
        "import time:       300 |        300 |     c",
        "import time:       200 |        500 |   a.b",
        "import time:       100 |        600 | a",
        "import time:        50 |         50 | d",
    ])
    entries = bc.parse_importtime(stderr)
    assert [e.module for e in entries] == ["c", "a.b", "a", "d"]
    assert [e.parent for e in entries] == [1, 2, None, None]
    groups = bc.attribute(entries)
    # a and a.b are one group: self adds up, cumulative counts the outermost entry only
    assert groups["a"] == pytest.approx((0.3, 0.6))
    assert groups["c"] == pytest.approx((0.3, 0.3))
    assert groups["d"] == pytest.approx((0.05, 0.05))


def test_groups_are_deep_enough_to_tell_powertools_utilities_apart():
    assert bc.group_of("aws_lambda_powertools.utilities.idempotency.base") == \
        "aws_lambda_powertools.utilities.idempotency"
    assert bc.group_of("aws_lambda_powertools.event_handler.api_gateway") == \
        "aws_lambda_powertools.event_handler.api_gateway"
    assert bc.group_of("twilio.rest.api.v2010") == "twilio.rest"
    assert bc.group_of("jinja2.environment") == "jinja2"
    assert bc.group_of("app") == "app"


def test_attribution_leaves_out_what_import_boto3_loads_anyway():
    # Given t imports u (a boto3 baseline module) and its own t.x
    stderr = "\n".join([
        "import time:       400 |        400 |     u",
        "import time:       100 |        100 |     t.x",
        "import time:        50 |        550 |   t",
    ])
    groups = bc.attribute(bc.parse_importtime(stderr), baseline=frozenset({"u"}))
    # Then t is charged for itself and t.x only, and u shows in the baseline row
    assert groups["t"] == pytest.approx((0.15, 0.15))
    assert "u" not in groups
    assert groups[bc.BOTO3_ROW] == pytest.approx((0.4, 0.4))
    assert groups[bc.EXTRA_ROW] == pytest.approx((0.15, 0.15))


def test_each_round_runs_every_handler_next_to_its_own_boto3_and_one_pass():
    import random

    plan = bc.schedule(["a", "b", "c"], 4, random.Random(1))
    assert len(plan) == 4
    orders = set()
    for steps in plan:
        keys = [key for _, key in steps]
        assert sorted(keys) == sorted(["a", "boto3:a", "b", "boto3:b", "c", "boto3:c", "pass"])
        for handler in ("a", "b", "c"):
            i, j = keys.index(handler), keys.index(f"boto3:{handler}")
            assert abs(i - j) == 1, (handler, keys)
        assert all(target == ("boto3" if key.startswith("boto3:") else key) for target, key in steps)
        orders.add(tuple(keys))
    assert len(orders) > 1  # randomised between rounds


def test_a_handler_is_paired_with_its_adjacent_boto3_run():
    rounds = bc.Rounds()
    for scale in (1.0, 3.0):
        rounds.add("pass", bc.Sample(0.0, 0.0, 10.0))
        rounds.add("boto3:x", bc.Sample(100.0 * scale, 100.0 * scale, 110.0 * scale))
        rounds.add("x", bc.Sample(140.0 * scale, 150.0 * scale, 150.0 * scale))
    fig = bc.figure("x", rounds, runs=2)
    assert fig.ratio == pytest.approx(1.4)
    assert fig.wall_ratio == pytest.approx(1.5)
