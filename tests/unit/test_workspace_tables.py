"""The workspace's own tables: the PynamoDB models agree with template.yaml, as the core models do."""

from __future__ import annotations

import pytest
from samtranslator.yaml_helper import yaml_parse

from moodline import store_workspace
from tests.conftest import ROOT

RESOURCES = yaml_parse((ROOT / "template.yaml").read_text())["Resources"]


def _keys(schema: list[dict]) -> dict[str, str]:
    return {k["KeyType"]: k["AttributeName"] for k in schema}


@pytest.mark.parametrize(("model", "logical_id"), [(store_workspace.AuditEntry, "AuditTable"),
                                                   (store_workspace.ReviewEntry, "ReviewTable"),
                                                   (store_workspace.CoachSend, "CoachSendsTable")])
def test_each_workspace_model_has_the_keys_and_indexes_its_table_declares(model, logical_id):
    # Given the table in the template and the model that reads and writes it
    table = RESOURCES[logical_id]["Properties"]
    schema = model._get_schema()
    # Then keys, attribute types and indexes agree
    assert _keys(schema["key_schema"]) == _keys(table["KeySchema"])
    assert ({a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]}
            == {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]})
    assert ({i["index_name"]: _keys(i["key_schema"]) for i in schema["global_secondary_indexes"]}
            == {i["IndexName"]: _keys(i["KeySchema"]) for i in table.get("GlobalSecondaryIndexes", [])})
    ttl = table.get("TimeToLiveSpecification")
    if ttl:
        assert model.expires_at.attr_name == ttl["AttributeName"]


def test_the_coach_web_function_may_not_touch_what_it_does_not_need():
    # Given the function's own policy statements
    statements = RESOURCES["CoachWebFunction"]["Properties"]["Policies"][0]["Statement"]
    actions = {a for s in statements for a in s["Action"]}
    # Then it never deletes client data, never scans messages, and reads no secret but its two
    assert not {"dynamodb:DeleteItem"} & {a for s in statements for a in s["Action"]
                                          if "CoachSendsTable" not in str(s["Resource"])
                                          and "IdempotencyTable" not in str(s["Resource"])}
    scans = [s for s in statements if "dynamodb:Scan" in s["Action"]]
    assert all("MessagesTable" not in str(s["Resource"]) for s in scans)
    assert "secretsmanager:GetSecretValue" in actions
