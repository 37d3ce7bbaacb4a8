"""The workspace's own tables: the PynamoDB models agree with template.yaml, as the core models do."""

from __future__ import annotations

import pytest
from samtranslator.yaml_helper import yaml_parse

from moodline.adapters.dynamodb import AuditRow, CoachSendRow, ReviewRow
from tests.conftest import ROOT

RESOURCES = yaml_parse((ROOT / "template.yaml").read_text())["Resources"]


def _keys(schema: list[dict]) -> dict[str, str]:
    return {k["KeyType"]: k["AttributeName"] for k in schema}


@pytest.mark.parametrize(("model", "logical_id"), [(AuditRow, "AuditTable"), (ReviewRow, "ReviewTable"),
                                                   (CoachSendRow, "CoachSendsTable")])
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
    # (it deletes only its own send claims, idempotency records, and claims: resolving frees an ACK code)
    assert not {"dynamodb:DeleteItem"} & {a for s in statements for a in s["Action"]
                                          if "CoachSendsTable" not in str(s["Resource"])
                                          and "IdempotencyTable" not in str(s["Resource"])
                                          and "ClaimsTable" not in str(s["Resource"])}
    scans = [s for s in statements if "dynamodb:Scan" in s["Action"]]
    assert all("MessagesTable" not in str(s["Resource"]) for s in scans)
    assert "secretsmanager:GetSecretValue" in actions


def test_a_message_row_keeps_the_coach_id_and_the_review_flag():
    # Given a coach's text and a reply triage flagged for review
    from moodline.adapters.dynamodb import message_of, message_row
    from moodline.domain import Message
    from moodline.vocabulary import Direction, MessageKind

    text = Message(client_id="cl_1", at="2026-11-30T13:00:00Z#SM1", sid="SM1", direction=Direction.OUTBOUND,
                   kind=MessageKind.COACH, local_date="2026-11-30", body="hi", coach_id="c1")
    flagged = Message(client_id="cl_1", at="2026-11-30T13:01:00Z#SM2", sid="SM2", direction=Direction.INBOUND,
                      kind=MessageKind.REPLY, local_date="2026-11-30", body="3", review=True)
    # Then both survive the row mapping; an unflagged reply stores no attribute at all
    assert message_of(message_row(text)) == text
    assert message_of(message_row(flagged)) == flagged
    assert message_row(text).review is None
