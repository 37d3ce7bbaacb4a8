"""The webhook's limits follow the sender: route throttles, WAF per-IP rate and ingest concurrency are
parameters, and README's sender table gives values that carry the load and that the template accepts."""

from __future__ import annotations

import math
import re
import tomllib

import pytest
from samtranslator.yaml_helper import yaml_parse

from tests.conftest import ROOT

TEMPLATE = yaml_parse((ROOT / "template.yaml").read_text())
PARAMETERS = TEMPLATE["Parameters"]
RESOURCES = TEMPLATE["Resources"]
SENDER_PARAMETERS = ("ProbeSendConcurrency", "WebhookRouteRateLimit", "WebhookRouteBurstLimit",
                     "WebhookRateLimitPerIp", "IngestReservedConcurrency")
ROUTES = ("/~1twilio~1inbound", "/~1twilio~1status")
CALLBACKS_PER_SMS = 3  # sent + delivered on /twilio/status, at most one reply on /twilio/inbound
WARM_SECONDS = 0.05  # an ingest_sms request, warm


def _sender_table() -> dict[str, dict[str, str]]:
    """README's table of settings per sender: {sender: {column: cell}}."""
    lines = (ROOT / "README.md").read_text().splitlines()
    start = next(i for i, line in enumerate(lines)
                 if line.startswith("| sender |") and "`ProbeSendConcurrency`" in line)
    header = [cell.strip().strip("`") for cell in lines[start].strip("|").split("|")]
    rows = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows[cells[0]] = dict(zip(header, cells, strict=True))
    return rows


def _number(cell: str) -> int:
    assert re.fullmatch(r"~?[\d,]+", cell), cell
    return int(cell.lstrip("~").replace(",", ""))


SENDERS = _sender_table()
FIXED = {sender: row for sender, row in SENDERS.items() if re.fullmatch(r"[\d,]+", row["SMS/s"])}


def _allowed(name: str) -> tuple[int, int]:
    parameter = PARAMETERS[name]
    return int(parameter["MinValue"]), int(parameter["MaxValue"])


def test_both_twilio_routes_are_throttled_by_the_sender_parameters():
    settings = {s["ResourcePath"]: s for s in RESOURCES["MoodlineApi"]["Properties"]["MethodSettings"]}
    for path in ROUTES:
        assert settings[path]["ThrottlingRateLimit"] == {"Ref": "WebhookRouteRateLimit"}, path
        assert settings[path]["ThrottlingBurstLimit"] == {"Ref": "WebhookRouteBurstLimit"}, path
    # The alert links keep the stage default: a short code's callbacks do not open them wider
    assert settings["/*"]["ThrottlingRateLimit"] <= _allowed("WebhookRouteRateLimit")[0]
    assert settings["/*"]["ThrottlingBurstLimit"] <= _allowed("WebhookRouteBurstLimit")[0]


def test_the_waf_rule_and_the_webhook_reservation_come_from_their_parameters():
    (rule,) = RESOURCES["WebAcl"]["Properties"]["Rules"]
    assert rule["Statement"]["RateBasedStatement"]["Limit"] == {"Ref": "WebhookRateLimitPerIp"}
    reserved = RESOURCES["IngestSmsFunction"]["Properties"]["ReservedConcurrentExecutions"]
    assert {"Ref": "IngestReservedConcurrency"} in reserved["Fn::If"]


@pytest.mark.parametrize("name", SENDER_PARAMETERS)
def test_each_sender_parameter_has_a_range_around_its_default(name):
    low, high = _allowed(name)
    assert low <= int(PARAMETERS[name]["Default"]) <= high
    assert name in SENDERS["short code"], f"README's sender table has no column for {name}"


# The services' own bounds, which a parameter's range must stay inside (a deploy would fail past them).
SERVICE_BOUNDS = {
    "ProbeSendConcurrency": (2, 1000),  # SQS event source MaximumConcurrency
    "WebhookRouteRateLimit": (0, 10_000),  # API Gateway's default account quota per Region, requests/s
    "WebhookRouteBurstLimit": (0, 5_000),  # ...and its burst
    "WebhookRateLimitPerIp": (10, 2_000_000_000),  # WAF rate-based statement Limit
    "IngestReservedConcurrency": (0, 900),  # a default account's 1,000 less the 100 kept unreserved
}


@pytest.mark.parametrize("name", SENDER_PARAMETERS)
def test_each_sender_parameter_stays_inside_what_the_service_accepts(name):
    low, high = _allowed(name)
    assert SERVICE_BOUNDS[name][0] <= low and high <= SERVICE_BOUNDS[name][1]


@pytest.mark.parametrize("sender", sorted(FIXED))
@pytest.mark.parametrize("name", SENDER_PARAMETERS)
def test_the_documented_value_for_each_sender_is_within_the_parameter_range(sender, name):
    # The short code above all: its values are the ones a deploy must accept
    low, high = _allowed(name)
    assert low <= _number(FIXED[sender][name]) <= high


def test_the_long_code_row_is_the_template_defaults():
    row = SENDERS["one long code"]
    assert {name: _number(row[name]) for name in SENDER_PARAMETERS} == {
        name: int(PARAMETERS[name]["Default"]) for name in SENDER_PARAMETERS}


@pytest.mark.parametrize("sender", sorted(FIXED))
def test_the_documented_values_carry_the_senders_callbacks(sender):
    # Callbacks: sent + delivered per SMS the sender releases, plus replies, from few Twilio addresses
    row = FIXED[sender]
    sms = _number(row["SMS/s"])
    requests = CALLBACKS_PER_SMS * sms
    assert _number(row["webhook requests/s"]) == requests
    rate, burst = _number(row["WebhookRouteRateLimit"]), _number(row["WebhookRouteBurstLimit"])
    assert rate >= requests and burst >= 2 * rate  # either route can take the whole load, bunched
    assert _number(row["WebhookRateLimitPerIp"]) >= 2 * 300 * requests  # one address, 5 minutes, twice over
    assert _number(row["IngestReservedConcurrency"]) >= math.ceil(2 * requests * WARM_SECONDS)
    assert _number(row["ProbeSendConcurrency"]) >= min(1000, max(2, math.ceil(sms / 3)))


def test_samconfig_overrides_name_template_parameters_within_their_ranges():
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    for env in ("dev", "prod"):
        for override in config[env]["deploy"]["parameters"]["parameter_overrides"]:
            name, _, value = override.partition("=")
            assert name in PARAMETERS, (env, name)
            parameter = PARAMETERS[name]
            if "AllowedValues" in parameter:
                assert value in [str(v) for v in parameter["AllowedValues"]], (env, override)
            if parameter["Type"] == "Number":
                assert int(parameter.get("MinValue", value)) <= int(value) <= int(parameter.get("MaxValue", value)), (
                    env, override)


# --- the template's rule: a fast sender with the webhook left at a long code's limits is refused at deploy ----


def _broken(**overrides: str) -> list[str]:
    from moodline_local.template import Template

    with pytest.raises(ValueError, match="template rule") as refused:
        Template.load(ROOT / "template.yaml", overrides)
    return [line for line in str(refused.value).splitlines() if line]


def _accepted(**overrides: str) -> bool:
    from moodline_local.template import Template

    return Template.load(ROOT / "template.yaml", overrides).broken_rules() == []


def test_a_short_code_with_only_the_send_concurrency_raised_is_refused_and_told_what_to_raise():
    # Given ops moving to a short code who raise ProbeSendConcurrency and forget the webhook's limits
    refused = _broken(ProbeSendConcurrency="34")
    # Then CloudFormation's rule (evaluated here as CloudFormation does) refuses the stack, naming the first
    assert refused[0].startswith("template rule WebhookLimitsFollowTheSender: ProbeSendConcurrency above 6")
    assert "WebhookRouteRateLimit" in refused[0]


@pytest.mark.parametrize("sender", sorted(FIXED))
def test_every_fixed_row_of_the_sender_table_is_accepted(sender):
    row = FIXED[sender]
    assert _accepted(**{name: str(_number(row[name])) for name in SENDER_PARAMETERS})


def _pool(n: int) -> dict[str, str]:
    """README's row for a Messaging Service pool of ``n`` long codes."""
    rate = max(54, CALLBACKS_PER_SMS * n)
    return {"ProbeSendConcurrency": str(max(2, math.ceil(n / 3))), "WebhookRouteRateLimit": str(rate),
            "WebhookRouteBurstLimit": str(2 * rate), "WebhookRateLimitPerIp": str(max(2000, 1800 * n)),
            "IngestReservedConcurrency": str(max(10, math.ceil(0.3 * n)))}


def test_the_rule_accepts_every_pool_the_table_describes_and_refuses_each_that_kept_a_long_codes_limits():
    from moodline_local.template import Template

    template = Template.load(ROOT / "template.yaml")
    for n in range(1, 334):  # up to 1,000 SMS/s
        # The table's own values are always accepted
        template.parameters.update(_pool(n))
        assert template.broken_rules() == [], n
        # Only ProbeSendConcurrency raised: refused whenever the routes' default no longer carries the load
        defaults = {name: str(PARAMETERS[name]["Default"]) for name in SENDER_PARAMETERS}
        template.parameters.update({**defaults, "ProbeSendConcurrency": _pool(n)["ProbeSendConcurrency"]})
        if CALLBACKS_PER_SMS * n > 54:  # more than the routes' default: refused, from exactly N = 19
            assert template.broken_rules(), n
        else:
            assert template.broken_rules() == [], n


def test_a_reservation_of_none_is_accepted_with_a_fast_sender():
    assert _accepted(ProbeSendConcurrency="34", WebhookRouteRateLimit="300", WebhookRouteBurstLimit="600",
                     WebhookRateLimitPerIp="180000", IngestReservedConcurrency="0")
