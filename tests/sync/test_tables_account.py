"""The sign-in half of `tables cloudformation`: the desktop's app client, identity pool,
principal-tag mapping and authenticated role, and the policy `tables iam-policy` prints."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from desktop.sync.account import OUTPUT_KEYS, parse_deployment
from desktop.sync.browser import SCOPES, callback_url
from desktop.sync.tables import ALL_TABLES, OWNER_TAG, cloudformation, iam_policy

WRITES = {
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
}
PREFIX = "prod-"


@pytest.fixture
def template() -> dict[str, Any]:
    made: dict[str, Any] = json.loads(json.dumps(cloudformation(PREFIX)))
    return made


def unsub(value: Any) -> str:
    return str(value["Fn::Sub"]) if isinstance(value, dict) else str(value)


def role_policy(template: dict[str, Any]) -> dict[str, Any]:
    (policy,) = template["Resources"]["AuthenticatedRole"]["Properties"]["Policies"]
    document: dict[str, Any] = policy["PolicyDocument"]
    return document


def test_the_desktop_client_is_public_and_signs_in_with_srp_only(template: dict[str, Any]) -> None:
    client = template["Resources"]["DesktopClient"]
    assert client["Type"] == "AWS::Cognito::UserPoolClient"
    props = client["Properties"]
    assert props["UserPoolId"] == {"Ref": "UserPoolId"}, "the web app's pool, not a new one"
    assert props["GenerateSecret"] is False, "a desktop app cannot keep a client secret"
    assert sorted(props["ExplicitAuthFlows"]) == ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"]
    assert props["EnableTokenRevocation"] is True


def test_the_identity_pool_trusts_that_client_and_maps_the_sub_claim_to_a_tag(
    template: dict[str, Any],
) -> None:
    resources = template["Resources"]
    pool = resources["IdentityPool"]["Properties"]
    assert pool["AllowUnauthenticatedIdentities"] is False
    (provider,) = pool["CognitoIdentityProviders"]
    assert provider["ClientId"] == {"Ref": "DesktopClient"}
    tags = resources["PrincipalTags"]
    assert tags["Type"] == "AWS::Cognito::IdentityPoolPrincipalTag"
    assert tags["Properties"]["IdentityPoolId"] == {"Ref": "IdentityPool"}
    assert tags["Properties"]["IdentityProviderName"] == provider["ProviderName"]
    assert tags["Properties"]["PrincipalTags"] == {"sub": "sub"}
    assert tags["Properties"]["UseDefaults"] is False
    tag = re.fullmatch(r"\$\{aws:PrincipalTag/(\w+)\}", OWNER_TAG)
    assert tag is not None and tag.group(1) in tags["Properties"]["PrincipalTags"]


def test_the_role_is_for_signed_in_identities_of_this_pool_and_may_carry_tags(
    template: dict[str, Any],
) -> None:
    resources = template["Resources"]
    (trust,) = resources["AuthenticatedRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Federated": "cognito-identity.amazonaws.com"}
    assert set(trust["Action"]) == {"sts:AssumeRoleWithWebIdentity", "sts:TagSession"}
    assert trust["Condition"]["StringEquals"] == {
        "cognito-identity.amazonaws.com:aud": {"Ref": "IdentityPool"}
    }
    assert trust["Condition"]["ForAnyValue:StringLike"] == {
        "cognito-identity.amazonaws.com:amr": "authenticated"
    }
    attachment = resources["RoleAttachment"]["Properties"]
    assert attachment["Roles"] == {"authenticated": {"Fn::GetAtt": ["AuthenticatedRole", "Arn"]}}


def test_leading_keys_confine_every_owner_keyed_table_and_index(template: dict[str, Any]) -> None:
    policy = role_policy(template)
    arn = "arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/" + PREFIX
    for spec in ALL_TABLES:
        targets = [arn + spec.name] + [f"{arn}{spec.name}/index/{i.name}" for i in spec.indexes]
        for target in targets:
            granting = [
                s
                for s in policy["Statement"]
                if any(_covers(unsub(r), target) for r in s["Resource"])
            ]
            assert granting, f"{target} is reachable"
            for statement in granting:
                actions = set(statement["Action"])
                if spec.owner_key is None or actions <= {"dynamodb:DescribeTable"}:
                    continue
                condition = statement["Condition"]["ForAllValues:StringEquals"]
                assert condition == {"dynamodb:LeadingKeys": [OWNER_TAG]}, target
                assert "dynamodb:Scan" not in actions, "a Scan has no leading key"


def test_no_wildcard_write_reaches_another_users_partition(template: dict[str, Any]) -> None:
    for statement in role_policy(template)["Statement"]:
        resources = [unsub(r) for r in statement["Resource"]]
        assert all(r.split(":table/")[1] not in ("*", PREFIX + "*") for r in resources)
        assert statement["Action"] != "*" and all("*" not in a for a in statement["Action"])
        if WRITES & set(statement["Action"]) and "Condition" not in statement:
            # The tables whose keys carry no owner, because the seeds write none there
            # (documented in the README): nothing else.
            assert {r.split(":table/")[1].split("/")[0] for r in resources} == {
                PREFIX + "PageManager",
                PREFIX + "GravyTemplateShares",
            }


def test_iam_policy_prints_the_roles_policy() -> None:
    printed = iam_policy("${AWS::Region}", "${AWS::AccountId}", PREFIX)
    in_template = role_policy(json.loads(json.dumps(cloudformation(PREFIX))))
    for statement in in_template["Statement"]:
        statement["Resource"] = [unsub(r) for r in statement["Resource"]]
    assert in_template == printed
    # The tag variable stays outside Fn::Sub (which would try to substitute it).
    assert all("${aws:" not in unsub(r) for s in printed["Statement"] for r in s["Resource"])


def test_outputs_are_what_config_import_reads_and_references_resolve(
    template: dict[str, Any],
) -> None:
    assert set(template["Outputs"]) == set(OUTPUT_KEYS)
    simulated = [
        {"OutputKey": key, "OutputValue": value}
        for key, value in {
            "Region": "eu-west-1",
            "UserPoolId": "eu-west-1_Abc",
            "DesktopClientId": "client",
            "IdentityPoolId": "eu-west-1:pool",
            "TablePrefix": PREFIX,
        }.items()
    ]
    imported = parse_deployment(json.dumps({"Stacks": [{"Outputs": simulated}]}))
    assert (imported.app_client_id, imported.table_prefix) == ("client", PREFIX)
    names = set(template["Resources"]) | set(template["Parameters"])
    names |= {"AWS::Region", "AWS::NoValue"}
    text = json.dumps(template)
    for ref in re.findall(r'"Ref": "([^"]+)"', text) + re.findall(
        r'"Fn::GetAtt": \["([^"]+)"', text
    ):
        assert ref in names, ref
    for resource in [*template["Resources"].values(), *template["Outputs"].values()]:
        assert resource.get("Condition", "HasUserPool") in template["Conditions"]
    for condition in (c for c in re.findall(r'"Condition": "([^"]+)"', text)):
        assert condition in template["Conditions"], condition
    tables_only = [r for r in template["Resources"].values() if "Condition" not in r]
    assert all(r["Type"] == "AWS::DynamoDB::Table" for r in tables_only), (
        "with no user pool given, the stack makes only the tables"
    )


def _covers(pattern: str, target: str) -> bool:
    return re.fullmatch(re.escape(pattern).replace(r"\*", ".*"), target) is not None


def test_with_a_hosted_domain_the_client_accepts_the_browser_sign_in_the_app_sends(
    template: dict[str, Any],
) -> None:
    """The stack's outputs give the app its hosted domain and callback port; the client
    registers exactly the redirect URI the app sends for that port (Cognito compares them
    character by character and takes plain http only for localhost)."""
    outputs = {
        "Region": "eu-west-1",
        "UserPoolId": "eu-west-1_Abc",
        "DesktopClientId": "client",
        "IdentityPoolId": "eu-west-1:pool",
        "TablePrefix": PREFIX,
        "HostedDomain": "https://gravy.auth.eu-west-1.amazoncognito.com",
        "CallbackPort": "47615",
    }
    listed = [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()]
    imported = parse_deployment(json.dumps({"Stacks": [{"Outputs": listed}]}))
    assert imported.hosted_domain == outputs["HostedDomain"]
    assert imported.callback_port == 47615

    client = template["Resources"]["DesktopClient"]["Properties"]
    oauth = {
        name: value["Fn::If"]
        for name, value in client.items()
        if isinstance(value, dict) and "Fn::If" in value
    }
    assert {cond for cond, _, _ in oauth.values()} == {"HasHostedDomain"}
    assert all(absent == {"Ref": "AWS::NoValue"} for _, _, absent in oauth.values())
    assert oauth["AllowedOAuthFlows"][1] == ["code"]
    assert oauth["AllowedOAuthFlowsUserPoolClient"][1] is True
    assert set(oauth["AllowedOAuthScopes"][1]) == set(SCOPES.split())
    (registered,) = oauth["CallbackURLs"][1]
    sent = callback_url(imported.callback_port)
    assert registered["Fn::Sub"].replace("${CallbackPort}", outputs["CallbackPort"]) == sent
    assert sent.startswith("http://localhost:")
    assert template["Parameters"]["CallbackPort"]["Default"] == imported.callback_port
    assert template["Outputs"]["HostedDomain"]["Condition"] == "HasHostedDomain"
