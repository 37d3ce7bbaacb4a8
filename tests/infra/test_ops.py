"""The ops side of template.yaml: metrics that exist, alarms that reach someone, secrets nobody can use,
a webhook nobody can starve, and one console test event per function (issues 8 and 9)."""

from __future__ import annotations

import json
import re
import tomllib

import pytest
import yaml
from samtranslator.yaml_helper import yaml_parse

from moodline.triage.model import Level
from tests.conftest import ROOT

TEMPLATE = yaml_parse((ROOT / "template.yaml").read_text())
RESOURCES = TEMPLATE["Resources"]
FUNCTIONS = {k: v for k, v in RESOURCES.items() if v["Type"] == "AWS::Serverless::Function"}
ALARMS = {k: v["Properties"] for k, v in RESOURCES.items() if v["Type"] == "AWS::CloudWatch::Alarm"}

# --------------------------------------------------------------------------------------- metrics

# Metrics the dashboard and alarms use that no code emits yet: each is a code change to make (see the
# report / docs/runbook.md), marked xfail until it lands rather than faked here.
PENDING_METRICS = {
}


def _emitted() -> set[str]:
    """Every metric name the code passes to add_metric, f-string placeholders expanded over the triage levels."""
    names: set[str] = set()
    call = re.compile(r"""add_metric\(\s*name\s*=\s*(f?)(["'])(.+?)\2""")
    for path in [*(ROOT / "layers").rglob("*.py"), *(ROOT / "functions").rglob("*.py")]:
        for is_f, _, name in call.findall(path.read_text()):
            if is_f and "{" in name:
                # f"Replies{level.title()}" and friends: the placeholder is a triage level, title-cased.
                names |= {re.sub(r"\{[^}]*\}", level.value.title(), name) for level in Level}
            else:
                names.add(name)
    return names


def _moodline_metrics_in_alarms() -> set[str]:
    used = {p["MetricName"] for p in ALARMS.values() if p.get("Namespace") == "Moodline"}
    for props in ALARMS.values():
        for query in props.get("Metrics", []):
            metric = query.get("MetricStat", {}).get("Metric", {})
            if metric.get("Namespace") == "Moodline":
                used.add(metric["MetricName"])
    return used


def _moodline_metrics_on_dashboard() -> set[str]:
    body = RESOURCES["OpsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    widgets = json.loads(re.sub(r"\$\{[^}]+\}", "x", body))["widgets"]
    return {m[1] for w in widgets for m in w["properties"]["metrics"] if m[0] == "Moodline"}


USED = sorted(_moodline_metrics_in_alarms() | _moodline_metrics_on_dashboard())


@pytest.mark.parametrize("metric", USED)
def test_every_moodline_metric_the_dashboard_and_alarms_use_is_one_the_code_emits(metric):
    emitted = _emitted()
    if metric in PENDING_METRICS and metric not in emitted:
        pytest.xfail(f"code must start emitting it: {PENDING_METRICS[metric]}")
    assert metric in emitted, f"{metric} is neither emitted by the code nor listed as pending"


def test_the_pending_list_holds_only_metrics_that_are_still_missing():
    # When the code starts emitting one, it leaves the list (and its xfail becomes a real check).
    assert not set(PENDING_METRICS) & _emitted()


def test_moodline_metrics_carry_the_service_dimension_powertools_adds():
    for name, props in ALARMS.items():
        if props.get("Namespace") == "Moodline":
            assert props["Dimensions"] == [{"Name": "service", "Value": "moodline"}], name
    assert TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == "moodline"


def test_the_dashboard_shows_what_issue_9_asks_for():
    shown = _moodline_metrics_on_dashboard()
    assert {"ProbesSent", "InboundStored", "PagesPublished", "AlertsAcknowledged", "TimeToAcknowledge",
            "AlertsEscalated", "DeliveryFailed", "OptOuts"} <= shown
    assert {f"Replies{level.value.title()}" for level in Level} <= shown
    body = RESOURCES["OpsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    for function in FUNCTIONS:  # errors, throttles and duration for every function
        assert body.count(f"${{{function}}}") >= 3, function
    for queue in ("ProbesDLQ", "ScoringDLQ", "SchedulesDLQ"):
        assert f"${{{queue}.QueueName}}" in body
    assert '"4XXError"' in body and '"5XXError"' in body


# --------------------------------------------------------------------------------------- alarm routing

# Alarms that mean a crisis may be missed: these, and only these, also reach the coaches' pager.
PAGER_ALARMS = {
    "ScoringDLQAlarm",  # a reply was never scored
    "EscalateErrorsAlarm", "EscalateHeartbeatAlarm",  # unacknowledged pages are not escalating
    "IngestErrorsAlarm", "TwilioWebhook5xxAlarm",  # an inbound reply was not stored
    "InboundBufferDLQAlarm",  # a buffered reply could not be stored after every retry
    "ScoringIteratorAgeAlarm",  # scoring, hence paging, is late
    "AlertsTopicDeliveryFailedAlarm",  # a page did not reach a coach
    "CrisisUnacknowledgedAlarm",  # nobody has a crisis in hand
}


@pytest.mark.parametrize("name", sorted(ALARMS))
def test_every_alarm_reaches_ops_and_only_crisis_risks_reach_the_pager(name):
    actions = ALARMS[name]["AlarmActions"]
    assert {"Ref": "OpsTopic"} in actions
    assert ({"Ref": "AlertsTopic"} in actions) == (name in PAGER_ALARMS)


def test_the_ops_channel_is_independent_of_the_pager():
    assert RESOURCES["OpsTopic"]["Properties"]["KmsMasterKeyId"] == {"Ref": "OpsTopicKey"}
    assert RESOURCES["AlertsTopic"]["Properties"]["KmsMasterKeyId"] == {"Ref": "TopicKey"}


@pytest.mark.parametrize("key", ["TopicKey", "OpsTopicKey"])
def test_cloudwatch_may_use_a_topic_key_only_for_this_accounts_alarms(key):
    statements = RESOURCES[key]["Properties"]["KeyPolicy"]["Statement"]
    for statement in statements:
        if statement["Principal"].get("Service") == "cloudwatch.amazonaws.com":
            assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
            assert ":alarm:*" in statement["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"]


def test_nothing_watches_itself_into_silence():
    # Heartbeats treat missing data as breaching (a function that stopped emits nothing).
    assert ALARMS["EscalateHeartbeatAlarm"]["TreatMissingData"] == "breaching"
    assert ALARMS["ProbesHeartbeatAlarm"]["TreatMissingData"] == "breaching"
    assert ALARMS["WebhookRejectedAlarm"]["Threshold"] == 0


# --------------------------------------------------------------------------------------- Twilio secrets

HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")


@pytest.mark.parametrize("logical_id", ["TwilioSecret", "TwilioRestSecret"])
def test_twilio_secrets_start_with_a_value_that_can_never_authenticate(logical_id):
    props = RESOURCES[logical_id]["Properties"]
    assert "SecretString" not in props, "a literal value is a public key (issue 8 §1)"
    generate = props["GenerateSecretString"]
    # No hex digit can be generated, and the length is not 32: never a well-formed token or key secret.
    assert set("0123456789abcdefABCDEF") <= set(generate["ExcludeCharacters"])
    assert generate["PasswordLength"] != 32
    for value in json.loads(generate["SecretStringTemplate"]).values():
        assert not HEX32.match(value) and not re.match(r"^(AC|SK)[0-9a-f]{32}$", value)


def _secrets_readable_by(function: str) -> set[str]:
    refs = set()
    for statement in FUNCTIONS[function]["Properties"]["Policies"][0]["Statement"]:
        if "secretsmanager:GetSecretValue" in statement["Action"]:
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            refs |= {r["Ref"] for r in resources}
    return refs


def test_the_webhook_reads_only_the_validation_secret_never_the_rest_credentials():
    assert _secrets_readable_by("IngestSmsFunction") == {"TwilioSecret", "AppSecret"}
    env = FUNCTIONS["IngestSmsFunction"]["Properties"]["Environment"]["Variables"]
    assert "TWILIO_REST_SECRET_ID" not in env


@pytest.mark.parametrize("function", ["SendProbeFunction", "ScoreReplyFunction"])
def test_rest_senders_get_the_api_key_secret(function):
    assert "TwilioRestSecret" in _secrets_readable_by(function)
    assert FUNCTIONS[function]["Properties"]["Environment"]["Variables"]["TWILIO_REST_SECRET_ID"] == {
        "Ref": "TwilioRestSecret"}


# --------------------------------------------------------------------------------------- webhook capacity


def test_twilio_routes_have_their_own_throttle_and_metrics():
    settings = {s["ResourcePath"]: s for s in RESOURCES["MoodlineApi"]["Properties"]["MethodSettings"]}
    for path in ("/~1twilio~1inbound", "/~1twilio~1status"):
        assert settings[path]["HttpMethod"] == "POST" and settings[path]["MetricsEnabled"]
    # Their throttles come from parameters matched to the sender (tests/infra/test_sender_limits.py)
    routes = {e["Properties"]["Path"] for e in FUNCTIONS["IngestSmsFunction"]["Properties"]["Events"].values()}
    assert routes == {"/twilio/inbound", "/twilio/status"}


def test_a_per_ip_rate_limit_guards_the_stage_by_default():
    assert TEMPLATE["Parameters"]["WebAclEnabled"]["Default"] == "true"
    acl = RESOURCES["WebAcl"]
    assert acl["Condition"] == "HasWebAcl" and acl["Properties"]["Scope"] == "REGIONAL"
    (rule,) = acl["Properties"]["Rules"]
    assert rule["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP" and "Block" in rule["Action"]
    association = RESOURCES["WebAclAssociation"]
    assert association["Condition"] == "HasWebAcl"
    assert "/restapis/${MoodlineApi}/stages/${MoodlineApi.Stage}" in association["Properties"]["ResourceArn"]["Fn::Sub"]


def test_ingest_has_reserved_concurrency_unless_the_account_cannot_afford_it():
    reserved = FUNCTIONS["IngestSmsFunction"]["Properties"]["ReservedConcurrentExecutions"]
    assert reserved == {"Fn::If": ["HasIngestReservedConcurrency", {"Ref": "IngestReservedConcurrency"},
                                   {"Ref": "AWS::NoValue"}]}
    assert TEMPLATE["Parameters"]["IngestReservedConcurrency"]["Default"] > 0


# --------------------------------------------------------------------------------------- hardening


def test_every_table_has_point_in_time_recovery():
    for name, resource in RESOURCES.items():
        if resource["Type"] == "AWS::DynamoDB::Table":
            assert resource["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"], name


def test_the_api_writes_access_logs_without_pii():
    log = RESOURCES["MoodlineApi"]["Properties"]["AccessLogSetting"]
    assert log["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    assert "$context.requestId" in log["Format"]
    # resourcePath is the route template (/alerts/{alert_id}/{action}); the real path, query and body are not logged.
    assert not re.search(r"\$context\.path|\$input|querystring|body", log["Format"], re.IGNORECASE)


def test_weekly_mail_goes_only_from_the_sender_through_the_tls_configuration_set():
    weekly = FUNCTIONS["WeeklyCoachFunction"]["Properties"]
    (send,) = [s for s in weekly["Policies"][0]["Statement"] if "ses:SendEmail" in s["Action"]]
    resources = [r["Fn::Sub"] for r in send["Resource"]]
    assert all("*" not in r for r in resources)
    assert any(r.endswith(":identity/${SenderEmail}") for r in resources)
    config = RESOURCES["WeeklyEmailConfigurationSet"]["Properties"]
    assert config["DeliveryOptions"]["TlsPolicy"] == "REQUIRE"
    # The identity's default set, so the TLS policy holds even before the mailer names it.
    identity = RESOURCES["SenderIdentity"]["Properties"]
    assert identity["ConfigurationSetAttributes"]["ConfigurationSetName"] == {"Ref": "WeeklyEmailConfigurationSet"}
    assert weekly["Environment"]["Variables"]["SES_CONFIGURATION_SET"] == config["Name"]


def test_every_checkov_suppression_says_why():
    for name, resource in RESOURCES.items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert re.match(r"^CKV2?_AWS_\d+$", skip["id"]) and len(skip["comment"]) > 20, (name, skip)
    lines = (ROOT / ".checkov.yaml").read_text().splitlines()
    config = yaml.safe_load("\n".join(lines))
    for check in config["skip-check"]:
        (index,) = [i for i, line in enumerate(lines) if line.strip() == f"- {check}"]
        assert lines[index - 1].strip().startswith("#"), f"{check} in .checkov.yaml needs a reason above it"


# --------------------------------------------------------------------------------------- console and environments

# One named test event per function (Lambda console "Test" tab, or `sam local invoke -e`).
EVENTS = {
    "ScheduleProbesFunction": "schedule_probes.json",
    "SendProbeFunction": "send_probe_sqs.json",
    "IngestSmsFunction": "twilio_inbound.json",
    "DrainInboundFunction": "drain_inbound_sqs.json",
    "ScoreReplyFunction": "score_reply_stream.json",
    "EscalateFunction": "escalate.json",
    "AlertActionsFunction": "alert_actions_link.json",
    "WeeklySummaryFunction": "weekly_summary.json",
    "WeeklyCoachFunction": "weekly_coach_sqs.json",
    "CoachWebFunction": "coach_web.json",  # no session: answers the sign-in redirect
    "ReviewNudgesFunction": "review_nudges.json",
    "RescoreDlqFunction": "rescore_dlq.json",
}


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_each_function_has_a_named_test_event(function):
    assert function in EVENTS, f"add events/<name>.json for {function} and list it here"
    event = json.loads((ROOT / "events" / EVENTS[function]).read_text())
    assert event


def test_samconfig_has_dev_and_prod():
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    for env in ("dev", "prod"):
        deploy = config[env]["deploy"]["parameters"]
        assert deploy["stack_name"] == f"moodline-{env}" and "CAPABILITY_IAM" in deploy["capabilities"]
    assert config["prod"]["deploy"]["parameters"]["confirm_changeset"] is True


# --------------------------------------------------------------------------------------- inbound buffer (issue 8 §3)


def test_ingest_can_buffer_a_reply_on_sqs_and_a_drain_stores_it_with_its_own_dlq_and_alarms():
    ingest = FUNCTIONS["IngestSmsFunction"]["Properties"]
    assert ingest["Environment"]["Variables"]["INBOUND_BUFFER_URL"] == {"Ref": "InboundBufferQueue"}
    sends = [s for s in ingest["Policies"][0]["Statement"] if s["Action"] == ["sqs:SendMessage"]]
    assert sends == [{"Effect": "Allow", "Action": ["sqs:SendMessage"],
                      "Resource": {"Fn::GetAtt": ["InboundBufferQueue", "Arn"]}}]
    drain = FUNCTIONS["DrainInboundFunction"]["Properties"]
    (event,) = drain["Events"].values()
    assert event["Type"] == "SQS" and event["Properties"]["Queue"] == {"Fn::GetAtt": ["InboundBufferQueue", "Arn"]}
    queue = RESOURCES["InboundBufferQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["InboundBufferDLQ", "Arn"]}
    dlq_alarm = ALARMS["InboundBufferDLQAlarm"]
    assert dlq_alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["InboundBufferDLQ", "QueueName"]}
    assert ALARMS["InboundBufferedAlarm"]["MetricName"] == "InboundBuffered"


def test_rest_senders_no_longer_read_the_webhook_secret():
    for function in ("SendProbeFunction", "ScoreReplyFunction"):
        assert "TwilioSecret" not in _secrets_readable_by(function)
        assert "TWILIO_SECRET_ID" not in FUNCTIONS[function]["Properties"]["Environment"]["Variables"]
