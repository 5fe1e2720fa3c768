"""Provisioning: the CloudFormation template and the IAM policy come from the same
definitions as `tables create`, and are well-formed."""

from __future__ import annotations

import json

from desktop.sync.tables import ALL_TABLES, ITEM_ACTIONS, cloudformation, iam_policy


def test_cloudformation_declares_every_table_with_its_keys_and_indexes() -> None:
    template = json.loads(json.dumps(cloudformation("prod-")))
    assert template["AWSTemplateFormatVersion"] == "2010-09-09"
    resources = template["Resources"]
    assert sum(r["Type"] == "AWS::DynamoDB::Table" for r in resources.values()) == len(ALL_TABLES)
    for spec in ALL_TABLES:
        table = resources[spec.name]
        assert table["Type"] == "AWS::DynamoDB::Table"
        props = table["Properties"]
        assert props["TableName"] == "prod-" + spec.name
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        defined = {d["AttributeName"] for d in props["AttributeDefinitions"]}
        used = {k["AttributeName"] for k in props["KeySchema"]}
        for index in props.get("GlobalSecondaryIndexes", []):
            used |= {k["AttributeName"] for k in index["KeySchema"]}
            assert index["Projection"] == {"ProjectionType": "ALL"}
        assert defined == used, f"{spec.name}: every defined attribute is a key, and vice versa"
    pages = resources["PageManager"]["Properties"]["AttributeDefinitions"]
    assert {"AttributeName": "isPublished", "AttributeType": "N"} in pages


def test_iam_policy_confines_owner_keyed_tables_to_the_users_partition() -> None:
    policy = iam_policy("eu-west-1", "123456789012", "prod-")
    assert policy["Version"] == "2012-10-17"
    statements = {s["Sid"]: s for s in policy["Statement"]}
    own = statements["OwnItemsOnly"]
    assert own["Effect"] == "Allow" and own["Action"] == ITEM_ACTIONS
    assert own["Condition"]["ForAllValues:StringEquals"]["dynamodb:LeadingKeys"] == [
        "${aws:PrincipalTag/sub}"
    ]
    assert "arn:aws:dynamodb:eu-west-1:123456789012:table/prod-GravyTemplates" in own["Resource"]
    assert not any("PageManager" in r for r in own["Resource"])
    assert not any("GravyTemplateShares" in r for r in own["Resource"])
    unconfined = statements["NotOwnerKeyed"]["Resource"]
    assert "arn:aws:dynamodb:eu-west-1:123456789012:table/prod-GravyTemplateShares" in unconfined
    assert all(
        a.startswith("dynamodb:") and "*" not in a for s in policy["Statement"] for a in s["Action"]
    ), "no wildcards in actions"
    assert not any(
        a in ("dynamodb:DeleteTable", "dynamodb:CreateTable")
        for s in policy["Statement"]
        for a in s["Action"]
    )
    assert "dynamodb:Scan" not in own["Action"], "a Scan has no leading key to confine"
