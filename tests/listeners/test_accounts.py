"""Authorizing AWS accounts from Slack, against moto with IAM enforcement and the fake Slack Web API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text

from bolt_app.services.context import Actor
from storage.workspaces import WorkspaceKey
from tests.fakes.aws import AwsDouble
from tests.helpers.app import AppHarness
from tests.helpers.identifiers import UNICODE_DIGITS
from tests.helpers.scenario import click
from tests.helpers.scenario import last_view_update
from tests.helpers.scenario import open_modal
from tests.helpers.scenario import replies
from tests.helpers.scenario import submit
from tests.helpers.slack_requests import block_suggestion_body
from tests.helpers.slack_requests import block_suggestion_payload
from tests.helpers.values import ADMIN
from tests.helpers.values import MEMBER

ACCOUNT = "210987654321"
TEAM = WorkspaceKey("", "T0001")


pytestmark = pytest.mark.usefixtures("admin_and_member")


async def external_id(h: AppHarness, team_id: str = "T0001") -> str:
    async with h.services.engine.connect() as conn:
        query = text("SELECT external_id FROM workspaces WHERE team_id = :t")
        return str((await conn.execute(query, {"t": team_id})).scalar_one())


async def install_team(h: AppHarness, team_id: str) -> str:
    h.slack.oauth.team_id, h.slack.oauth.team_name = team_id, f"Team {team_id}"
    await h.install()
    return await external_id(h, team_id)


async def authorize(h: AppHarness, role_arn: str, name: str = "", team_id: str = "T0001") -> str:
    before = len(h.slack.calls("views.update"))
    view = await open_modal(h, "authorize-account", team_id=team_id)
    response = await submit(h, view, {"role_arn": role_arn, "account_name": name}, team_id=team_id)
    assert response.status == 200 and response.json()["response_action"] == "update"
    return await last_view_update(h, before + 1)


async def states(h: AppHarness, key: WorkspaceKey = TEAM) -> list[tuple[str, str, str | None]]:
    return [(r.account.account_id, r.state, r.via) for r in await h.services.accounts.list(key)]


async def test_install_link_to_authorized_account(harness: AppHarness, aws: AwsDouble) -> None:
    page = await harness.install("aws_account=" + ACCOUNT)
    ext = await external_id(harness)
    assert ext in page.text and aws.app_principal_arn in page.text
    template = await harness.download_role_template(page)
    assert "AWSTemplateFormatVersion" in template.text and ext in template.text
    assert "pending" in page.text
    assert await states(harness) == [(ACCOUNT, "pending", None)]

    role = aws.create_role(ACCOUNT, external_id=ext)
    shown = await authorize(harness, role, "Prod")
    assert "is authorized" in shown and "Prod (210987654321)" in shown
    assert await states(harness) == [(ACCOUNT, "authorized", "role")]
    calls = [c for c in aws.assume_role_calls if c.role_arn == role]
    assert calls[0].external_id == ext and calls[0].session_name == f"T0001.{ADMIN}" and calls[0].allowed
    assert calls[1].external_id != ext and not calls[1].allowed  # the probe with another External ID
    home = await harness.slack.wait_for("views.publish")
    assert "*Prod* · `210987654321`" in json.dumps(home[-1].params, ensure_ascii=False)
    ephemeral = await harness.slack.wait_for("chat.postEphemeral")
    assert "is authorized" in json.dumps(ephemeral[-1].params)


async def test_a_bad_install_link_account_gets_a_page_not_the_install(harness: AppHarness) -> None:
    page = await harness.get("/slack/install?aws_account=12345")
    assert page.status == 400 and "12-digit" in page.text and "Set-Cookie" not in page.headers


@pytest.mark.parametrize("trust", ["wrong_external_id", "other_principal"])
async def test_a_role_that_does_not_trust_this_workspace_is_refused_with_the_trust_policy(
    harness: AppHarness, aws: AwsDouble, trust: str
) -> None:
    if trust == "wrong_external_id":
        role = aws.create_role(ACCOUNT, external_id="someone-elses-external-id-0123456789")
    else:
        role = aws.create_role(
            ACCOUNT,
            external_id=await external_id(harness),
            trust_principal="arn:aws:iam::999999999999:user/other",
        )
    shown = await authorize(harness, role)
    assert "could not assume the IAM role" in shown
    assert await external_id(harness) in shown and "sts:ExternalId" in shown  # the policy to set
    assert await states(harness) == []


async def test_a_role_that_does_not_check_the_external_id_is_refused(
    harness: AppHarness, aws: AwsDouble
) -> None:
    role = aws.create_role(ACCOUNT, external_id=None)
    shown = await authorize(harness, role)
    assert "can be assumed with any External ID" in shown
    assert await states(harness) == []


async def test_a_role_whose_credentials_belong_to_another_account_is_refused(
    harness: AppHarness, aws: AwsDouble
) -> None:
    role = aws.create_role(ACCOUNT, external_id=await external_id(harness))
    aws.report_caller_account(role, "999999999999")
    shown = await authorize(harness, role, "Prod")
    assert (
        f"gave credentials of account 999999999999, not {ACCOUNT}" in shown and "Check the role ARN" in shown
    )
    assert await states(harness) == []


async def test_workspace_b_cannot_use_a_role_that_trusts_workspace_a(
    harness: AppHarness, aws: AwsDouble
) -> None:
    role = aws.create_role(ACCOUNT, external_id=await external_id(harness))
    await install_team(harness, "T0002")
    shown = await authorize(harness, role, team_id="T0002")
    assert "could not assume" in shown
    assert await states(harness, WorkspaceKey("", "T0002")) == []


async def test_the_sixth_workspace_is_refused_without_naming_the_other_tenants(
    harness: AppHarness, aws: AwsDouble
) -> None:
    teams = ["T0001", "T0002", "T0003", "T0004", "T0005", "T0006"]
    statements = []
    for team in teams[1:]:
        await install_team(harness, team)
    for team in teams:
        statements.append(
            {
                "Effect": "Allow",
                "Principal": {"AWS": aws.app_principal_arn},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": await external_id(harness, team)}},
            }
        )
    role = aws.create_role(ACCOUNT, external_id=await external_id(harness, "T0001"))
    aws.set_trust_policy(role, {"Version": "2012-10-17", "Statement": statements})
    for team in teams[:5]:
        assert "is authorized" in await authorize(harness, role, team_id=team)
    assert "is authorized" in await authorize(harness, role, team_id="T0003")  # again: not counted twice
    refused = await authorize(harness, role, team_id="T0006")
    assert "already authorized 5 Slack workspaces" in refused
    assert not any(f"Team {t}" in refused or t in refused for t in teams[:5])
    assert "aws-support-slack workspaces list" in refused
    assert await states(harness, WorkspaceKey("", "T0006")) == []


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"role_arn": "arn:aws:iam::1234:role/x", "account_name": ""}, "role_arn", "12-digit"),
        ({"role_arn": f"arn:aws:iam::{UNICODE_DIGITS}:role/x", "account_name": ""}, "role_arn", "12-digit"),
        ({"role_arn": f"arn:aws:iam::{ACCOUNT}:role/x\n", "account_name": ""}, "role_arn", "12-digit"),
        ({"role_arn": "arn:aws-cn:iam::123456789012:role/x", "account_name": ""}, "role_arn", "partition"),
        (
            {"role_arn": f"arn:aws:iam::{ACCOUNT}:role/r", "account_name": "x" * 31},
            "account_name",
            "30 characters",
        ),
        (
            {"role_arn": f"arn:aws:iam::{ACCOUNT}:role/r", "account_name": "Prod!"},
            "account_name",
            "not allowed",
        ),
    ],
)
async def test_field_rules_are_answered_in_the_modal_without_calling_aws(
    harness: AppHarness, aws: AwsDouble, values: dict[str, str], field: str, words: str
) -> None:
    view = await open_modal(harness, "authorize-account")
    before = len(aws.calls)
    response = await submit(harness, view, values)
    body = response.json()
    assert body["response_action"] == "errors" and words in body["errors"][field]
    assert len(aws.calls) == before


async def test_non_admins_are_refused_and_told_who_may(harness: AppHarness) -> None:
    for command in ("authorize-account", "register-organization"):
        await harness.command(command, user_id=MEMBER)
    said = await replies(harness, 2)
    assert all("Only Slack workspace admins and owners" in s for s in said)
    assert harness.slack.calls("views.open") == []


async def test_a_member_submitting_the_authorize_modal_is_refused_and_nothing_is_stored(
    harness: AppHarness, aws: AwsDouble
) -> None:
    role = aws.create_role(ACCOUNT, external_id=await external_id(harness))
    view = await open_modal(harness, "authorize-account")  # opened by an admin, submitted by a member
    before = len(harness.slack.calls("views.update"))
    await submit(harness, view, {"role_arn": role, "account_name": "Prod"}, user_id=MEMBER)
    shown = await last_view_update(harness, before + 1)
    assert "Only Slack workspace admins and owners" in shown and "is authorized" not in shown
    assert await states(harness) == []
    assert aws.assume_role_calls == []


async def test_accounts_list_names_and_buttons_then_rename_and_remove(
    harness: AppHarness, aws: AwsDouble
) -> None:
    role = aws.create_role(ACCOUNT, external_id=await external_id(harness))
    await authorize(harness, role, "Prod")
    await harness.command("accounts")
    listed = (await replies(harness, 1))[-1]
    assert "Prod (210987654321)" in listed and "Edit name" in listed and "Remove" in listed

    await harness.command("accounts", user_id=MEMBER)
    assert "Edit name" not in (await replies(harness, 2))[-1]  # members see the list, not the buttons

    await harness.services.accounts.rename(Actor.member(TEAM, ADMIN, slack_admin=True), ACCOUNT, "Staging")
    account = await harness.services.accounts.repository.get_account(ACCOUNT)
    assert account is not None and account.account_name == "Staging"

    async with harness.services.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO channel_configurations (team_id, channel_id, account_id, enterprise_id, channel_name, "
                "role_arn, notify_on_case_severity, notify_on_create_or_reopen_case, "
                "notify_on_add_correspondence_to_case, notify_on_resolve_case, created_at, updated_at) VALUES "
                "('T0001', 'C0001', :a, '', 'ops', :r, 'none', false, false, false, '2026-01-01', '2026-01-01')"
            ),
            {"a": ACCOUNT, "r": role},
        )
    await click(harness, "remove_account", ACCOUNT)
    assert "#ops" in (await replies(harness, 3))[-1]
    assert await states(harness) == [(ACCOUNT, "authorized", "role")]

    async with harness.services.engine.begin() as conn:
        await conn.execute(text("DELETE FROM channel_configurations"))
    await click(harness, "remove_account", ACCOUNT)
    assert "was removed" in (await replies(harness, 4))[-1]
    assert await states(harness) == []


async def test_organization_management_account_authorizes_its_members(
    harness: AppHarness, aws: AwsDouble
) -> None:
    management = ACCOUNT
    aws.create_organization(management)
    members = [aws.add_member_account(management) for _ in range(2)]
    ext = await external_id(harness)
    role = aws.create_role(management, external_id=ext)
    aws.allow_organization_reads(role)
    await authorize(harness, role, "Org root")

    before = len(harness.slack.calls("views.update"))
    view = await open_modal(harness, "register-organization")
    await submit(harness, view, {"account": ("option", management)})
    shown = await last_view_update(harness, before + 1)
    assert "is registered" in shown
    got = dict((a, (s, v)) for a, s, v in await states(harness))
    assert got[management] == ("authorized", "role")
    assert all(got[m] == ("authorized", "organization") for m in members)

    # a member account's own role cannot register the organization
    member_role = aws.create_role(members[0], external_id=ext)
    aws.allow_organization_reads(member_role)
    await authorize(harness, member_role)
    view = await open_modal(harness, "register-organization")
    before = len(harness.slack.calls("views.update"))
    await submit(harness, view, {"account": ("option", members[0])})
    assert "not its management account" in await last_view_update(harness, before + 1)


async def test_an_account_outside_any_organization_cannot_register_one(
    harness: AppHarness, aws: AwsDouble
) -> None:
    role = aws.create_role(ACCOUNT, external_id=await external_id(harness))
    aws.allow_organization_reads(role)
    await authorize(harness, role)
    before = len(harness.slack.calls("views.update"))
    view = await open_modal(harness, "register-organization")
    await submit(harness, view, {"account": ("option", ACCOUNT)})
    assert "not in an AWS Organization" in await last_view_update(harness, before + 1)


async def test_over_100_accounts_are_offered_by_type_ahead_to_register_an_organization(
    harness: AppHarness,
) -> None:
    many = [f"{400000000000 + i}" for i in range(101)]
    for account_id in many:
        await harness.services.accounts.repository.authorize(
            TEAM,
            account_id,
            via="role",
            role_arn=f"arn:aws:iam::{account_id}:role/R",
            authorized_by=ADMIN,
            account_name=f"Acct{account_id[-4:]}",
            limit=5,
        )
    view = await open_modal(harness, "register-organization")
    [block] = [b for b in view["blocks"] if b.get("block_id") == "account"]
    assert block["element"]["type"] == "external_select"

    async def typed(value: str, **who: str) -> list[dict[str, Any]]:
        suggestion = block_suggestion_payload(
            block["element"]["action_id"], value, block_id="account", view=view, **who
        )
        response = await harness.post(block_suggestion_body(suggestion))
        assert response.status == 200
        return response.json()["options"]

    everything = await typed("")
    assert sorted(o["value"] for o in everything[:99]) == many[:99]
    assert everything[-1]["text"]["text"] == "… and 2 more: type more of the name or ID"
    assert [o["value"] for o in await typed(many[100])] == [many[100]]
    assert [o["value"] for o in await typed("acct0100")] == [many[100]]
    # a member who is not an admin is told why, not shown the workspace's accounts
    [refused] = await typed("", user_id=MEMBER)
    assert refused["value"] == "not_a_choice" and "admin" in refused["text"]["text"]

    # the note is not an account: submitting it asks for the management account
    response = await submit(harness, view, {"account": ("option", everything[-1]["value"])})
    assert response.json()["errors"] == {"account": "Pick the organization's management account."}


async def test_authorize_shows_the_steps_before_the_arn_and_the_policies_on_demand(
    harness: AppHarness,
) -> None:
    view = await open_modal(harness, "authorize-account")
    kinds = [b.get("block_id") or b["type"] for b in view["blocks"]]
    assert kinds.index("role_arn") > 2  # the three steps come first
    steps = [b["text"]["text"] for b in view["blocks"][:3]]
    assert (
        steps[0].startswith("*1. Copy this workspace's External ID*")
        and await external_id(harness) in steps[0]
    )
    assert "/slack/install/role-template?link=" in steps[1] and "CloudFormation template" in steps[1]
    assert "Trust policy" not in json.dumps(view) and "Recommended permissions" not in json.dumps(view)

    show = view["blocks"][1]["accessory"]
    assert show["text"]["text"] == "Show policies"
    await click(harness, show["action_id"], "", view=view)
    [pushed] = await harness.slack.wait_for("views.push")
    policies = json.dumps(pushed.params)
    assert (
        "Trust policy" in policies and "sts:ExternalId" in policies and "Recommended permissions" in policies
    )
    assert pushed.params["view"]["close"]["text"] == "Back"
