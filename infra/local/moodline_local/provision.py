"""Create locally every resource template.yaml declares: tables, queues, topics, secrets, SES identities."""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING, Any

import boto3

from moodline_local.template import ACCOUNT, REGION, LocalResource, Template

if TYPE_CHECKING:
    from mypy_boto3_sqs.literals import QueueAttributeNameType

_TABLE_KEYS = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "LocalSecondaryIndexes",
               "BillingMode", "StreamSpecification")


def provision(template: Template) -> dict[str, LocalResource]:
    """Create the resources of ``template`` with boto3 (moto server or ``mock_aws``) and record them."""
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    sns = boto3.client("sns", region_name=REGION)
    secretsmanager = boto3.client("secretsmanager", region_name=REGION)
    ses = boto3.client("ses", region_name=REGION)
    found = template.resources

    for logical_id, resource in template.of_type("AWS::DynamoDB::Table").items():
        props = template.resolve(resource["Properties"])
        request: dict[str, Any] = {k: props[k] for k in _TABLE_KEYS if k in props}
        if "StreamSpecification" in request:
            request["StreamSpecification"] = {"StreamEnabled": True, **request["StreamSpecification"]}
        table = dynamodb.create_table(TableName=logical_id, **request)["TableDescription"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            dynamodb.update_time_to_live(TableName=logical_id, TimeToLiveSpecification=ttl)
        found[logical_id] = LocalResource(
            logical_id, resource["Type"], logical_id, table["TableArn"],
            attributes={"StreamArn": table.get("LatestStreamArn", "")},
        )

    # Dead-letter queues first: the queues that redrive into them need their ARNs.
    queues = template.of_type("AWS::SQS::Queue")
    ordered = sorted(queues, key=lambda lid: "RedrivePolicy" in queues[lid].get("Properties", {}))
    for logical_id in ordered:
        props = queues[logical_id].get("Properties", {})
        attributes: dict[QueueAttributeNameType, str] = {}
        if "VisibilityTimeout" in props:
            attributes["VisibilityTimeout"] = str(props["VisibilityTimeout"])
        if "RedrivePolicy" in props:
            attributes["RedrivePolicy"] = json.dumps(template.resolve(props["RedrivePolicy"]))
        url = sqs.create_queue(QueueName=logical_id, Attributes=attributes)["QueueUrl"]
        arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{logical_id}"
        found[logical_id] = LocalResource(logical_id, "AWS::SQS::Queue", logical_id, arn, url,
                                          {"QueueName": logical_id, "QueueUrl": url})

    for logical_id in template.of_type("AWS::SNS::Topic"):
        arn = sns.create_topic(Name=logical_id)["TopicArn"]
        found[logical_id] = LocalResource(logical_id, "AWS::SNS::Topic", logical_id, arn,
                                          attributes={"TopicName": logical_id})

    for logical_id, resource in template.of_type("AWS::SecretsManager::Secret").items():
        props = resource["Properties"]
        if "SecretString" in props:
            value = str(template.resolve(props["SecretString"]))
        else:
            generate = props["GenerateSecretString"]
            value = json.dumps({**json.loads(generate.get("SecretStringTemplate", "{}")),
                                generate["GenerateStringKey"]: secrets.token_hex(32)})
        arn = secretsmanager.create_secret(Name=logical_id, SecretString=value)["ARN"]
        found[logical_id] = LocalResource(logical_id, resource["Type"], logical_id, arn)

    for logical_id, resource in template.of_type("AWS::SES::EmailIdentity").items():
        identity = str(template.resolve(resource["Properties"]["EmailIdentity"]))
        # moto, like SES, refuses to send from an unverified identity.
        ses.verify_email_identity(EmailAddress=identity)
        found[logical_id] = LocalResource(logical_id, resource["Type"], identity)

    _provision_cognito(template, found)

    for logical_id in template.of_type("AWS::Serverless::Api"):
        found[logical_id] = LocalResource(logical_id, "AWS::Serverless::Api", "local")
    return found


def _provision_cognito(template: Template, found: dict[str, LocalResource]) -> None:
    """The coach workspace's user pool: moto serves InitiateAuth and (server mode) the pool's JWKS."""
    cognito = boto3.client("cognito-idp", region_name=REGION)
    for logical_id, resource in template.of_type("AWS::Cognito::UserPool").items():
        props = resource["Properties"]
        pool = cognito.create_user_pool(PoolName=logical_id, Schema=props.get("Schema", []),
                                        UsernameAttributes=props.get("UsernameAttributes", []))["UserPool"]
        found[logical_id] = LocalResource(logical_id, resource["Type"], pool["Id"], pool["Arn"])
    for logical_id, resource in template.of_type("AWS::Cognito::UserPoolClient").items():
        props = template.resolve(resource["Properties"])
        client = cognito.create_user_pool_client(UserPoolId=props["UserPoolId"], ClientName=props["ClientName"],
                                                 ExplicitAuthFlows=props.get("ExplicitAuthFlows", []))
        found[logical_id] = LocalResource(logical_id, resource["Type"], client["UserPoolClient"]["ClientId"])
    for logical_id, resource in template.of_type("AWS::Cognito::UserPoolGroup").items():
        props = template.resolve(resource["Properties"])
        cognito.create_group(GroupName=props["GroupName"], UserPoolId=props["UserPoolId"])
        found[logical_id] = LocalResource(logical_id, resource["Type"], props["GroupName"])
