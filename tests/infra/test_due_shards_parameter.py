"""DueShards: a template parameter every function gets, bounded by the shards the scheduler reads."""

from __future__ import annotations

from samtranslator.yaml_helper import yaml_parse

from moodline.domain import DUE_SHARDS_MAX
from tests.conftest import ROOT

TEMPLATE = yaml_parse((ROOT / "template.yaml").read_text())


def test_due_shards_is_a_parameter_no_higher_than_the_shards_the_scheduler_reads():
    # A higher value would put clients on shards no tick reads; the settings refuse it at cold start too.
    parameter = TEMPLATE["Parameters"]["DueShards"]
    assert parameter["MinValue"] == 1 and parameter["MaxValue"] == DUE_SHARDS_MAX
    assert 1 <= int(parameter["Default"]) <= DUE_SHARDS_MAX


def test_every_function_gets_due_shards_from_the_parameter_and_none_overrides_it():
    # Every writer of the due index (enrolment, consent, STOP/START, send_probe, the tick) uses one count.
    assert TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]["DUE_SHARDS"] == {"Ref": "DueShards"}
    for logical_id, resource in TEMPLATE["Resources"].items():
        variables = resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
        assert "DUE_SHARDS" not in variables, logical_id
