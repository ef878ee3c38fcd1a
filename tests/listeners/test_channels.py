"""Configuring channels from Slack, against moto with IAM enforcement and the fake Slack Web API."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from storage.workspaces import WorkspaceKey
from tests.fakes.aws import AwsDouble
from tests.fakes.slack_api import FakeSlackApi
from tests.helpers.app import AppHarness
from tests.helpers.notification_rules import NOTIFICATION_RULES
from tests.helpers.notification_rules import Rule
from tests.helpers.scenario import click
from tests.helpers.scenario import last_view_update
from tests.helpers.scenario import open_modal
from tests.helpers.scenario import replies
from tests.helpers.slack_requests import view_submission_body
from tests.helpers.slack_requests import view_submission_payload
from tests.helpers.values import ADMIN
from tests.helpers.values import MEMBER

ACCOUNT = "210987654321"
OTHER_ACCOUNT = "310987654321"
CHANNEL = "C0001"
TEAM = WorkspaceKey("", "T0001")


@pytest.fixture(autouse=True)
def _private_channel(admin_and_member: FakeSlackApi) -> None:
    admin_and_member.set_channel(CHANNEL, name="aws-support", is_private=True, is_member=True)


async def external_id(h: AppHarness) -> str:
    async with h.services.engine.connect() as conn:
        return str((await conn.execute(text("SELECT external_id FROM workspaces"))).scalar_one())


async def authorized_role(h: AppHarness, aws: AwsDouble, account: str = ACCOUNT, policy: str = "full") -> str:
    from bolt_app.services.context import Actor

    role = aws.create_role(account, external_id=await external_id(h), policy=policy)
    await h.services.accounts.authorize(Actor.member(TEAM, ADMIN, slack_admin=True), role)
    return role


def values(
    account: str | None, role: str = "", severity: str = "all", kinds: tuple[str, ...] = ("create_or_reopen",)
) -> dict:
    state: dict = {
        "role_arn": {"value": {"type": "plain_text_input", "value": role}},
        "notify_severity": {"value": {"type": "radio_buttons", "selected_option": {"value": severity}}},
        "notifications": {"value": {"type": "checkboxes", "selected_options": [{"value": k} for k in kinds]}},
    }
    if account:
        state["account"] = {
            "configure_account": {"type": "static_select", "selected_option": {"value": account}}
        }
    return state


async def submit_state(h: AppHarness, view: dict, state: dict, **who: str):  # type: ignore[no-untyped-def]
    submitted = view | {"state": {"values": state}}
    return await h.post(view_submission_body(view_submission_payload(submitted, **who)))


async def configure(h: AppHarness, state: dict) -> str:
    before = len(h.slack.calls("views.update"))
    view = await open_modal(h, "configure-channel", channel_id=CHANNEL)
    response = await submit_state(h, view, state)
    assert response.json().get("response_action") == "update", response.text
    return await last_view_update(h, before + 1)


async def rows(h: AppHarness) -> list[tuple[str, str, str, str]]:
    return [
        (r.channel_id, r.account_id, r.role_arn, r.notifications.severity)
        for r in await h.services.channels.for_workspace(TEAM)
    ]


async def test_configure_edit_and_remove_a_channel(harness: AppHarness, aws: AwsDouble) -> None:
    role = await authorized_role(harness, aws)
    shown = await configure(harness, values(ACCOUNT))
    assert "now acts with" in shown and role in shown
    assert await rows(harness) == [(CHANNEL, ACCOUNT, role, "all")]
    accounts = await harness.services.channels.channel_accounts(TEAM, CHANNEL)
    assert [(a.account_id, a.role_arn, a.external_id) for a in accounts] == [
        (ACCOUNT, role, await external_id(harness))
    ]

    # the command now lists the configuration with its buttons
    await harness.command("configure", channel_id=CHANNEL)
    listed = (await replies(harness, 1))[-1]
    assert "Edit" in listed and "Remove" in listed and "Add another account" in listed and role in listed

    # Edit opens the modal prefilled; saving new notifications updates the row
    await click(harness, "edit_channel_configuration", f"{CHANNEL}|{ACCOUNT}")
    opened = (await harness.slack.wait_for("views.open", count=2))[-1]
    edit_view = (
        json.loads(opened.params["view"]) if isinstance(opened.params["view"], str) else opened.params["view"]
    )
    assert role in json.dumps(edit_view)
    before = len(harness.slack.calls("views.update"))
    await submit_state(
        harness, edit_view | {"id": "V2", "hash": "h"}, values(ACCOUNT, severity="high", kinds=("resolve",))
    )
    await last_view_update(harness, before + 1)
    assert await rows(harness) == [(CHANNEL, ACCOUNT, role, "high")]

    await click(harness, "remove_channel_configuration", f"{CHANNEL}|{ACCOUNT}")
    assert "was detached" in (await replies(harness, 2))[-1]
    assert await rows(harness) == []


@pytest.mark.parametrize("rule", NOTIFICATION_RULES)
async def test_notification_rules_in_the_modal(harness: AppHarness, aws: AwsDouble, rule: Rule) -> None:
    await authorized_role(harness, aws)
    view = await open_modal(harness, "configure-channel", channel_id=CHANNEL)
    form = values(ACCOUNT, severity=rule.severity, kinds=rule.kinds())
    response = (await submit_state(harness, view, form)).json()
    if rule.error:
        assert response["response_action"] == "errors" and rule.error in response["errors"]["notifications"]
    else:
        assert response["response_action"] == "update"


async def test_a_public_channel_needs_the_admin_to_confirm(harness: AppHarness, aws: AwsDouble) -> None:
    await authorized_role(harness, aws)
    harness.slack.set_channel(CHANNEL, name="general", is_private=False, is_member=True)
    view = await open_modal(harness, "configure-channel", channel_id=CHANNEL)
    assert "public channel" in json.dumps(view) and "private channel is recommended" in json.dumps(view)
    refused = (await submit_state(harness, view, values(ACCOUNT))).json()
    assert refused["response_action"] == "errors" and "confirm_public" in refused["errors"]
    state = values(ACCOUNT) | {
        "confirm_public": {"value": {"type": "checkboxes", "selected_options": [{"value": "yes"}]}}
    }
    assert (await submit_state(harness, view, state)).json()["response_action"] == "update"


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"is_member": False, "is_private": False}, "/invite @aws-support"),
        ({"is_im": True}, "Direct messages cannot be configured"),
        ({"is_mpim": True}, "Direct messages cannot be configured"),
    ],
)
async def test_where_a_configuration_cannot_live(
    harness: AppHarness, aws: AwsDouble, fields: dict, words: str
) -> None:
    await authorized_role(harness, aws)
    harness.slack.set_channel(CHANNEL, **fields)
    await harness.command("configure-channel", channel_id=CHANNEL)
    assert words in (await replies(harness, 1))[-1]
    assert harness.slack.calls("views.open") == []


async def test_a_shared_channel_belongs_to_the_first_workspace(harness: AppHarness, aws: AwsDouble) -> None:
    role = await authorized_role(harness, aws)
    await configure(harness, values(ACCOUNT))
    # a second workspace (Slack Connect) with its own authorization tries the same channel
    harness.slack.oauth.team_id, harness.slack.oauth.team_name = "T0002", "Partner"
    await harness.install()
    from bolt_app.services.context import Actor

    async with harness.services.engine.connect() as conn:
        ext2 = str(
            (
                await conn.execute(text("SELECT external_id FROM workspaces WHERE team_id='T0002'"))
            ).scalar_one()
        )
    role2 = aws.create_role(OTHER_ACCOUNT, external_id=ext2)
    await harness.services.accounts.authorize(
        Actor.member(WorkspaceKey("", "T0002"), ADMIN, slack_admin=True), role2
    )
    before = len(harness.slack.calls("views.update"))
    view = await open_modal(harness, "configure-channel", channel_id=CHANNEL, team_id="T0002")
    await submit_state(harness, view, values(OTHER_ACCOUNT), team_id="T0002")
    shown = await last_view_update(harness, before + 1)
    assert "belongs to Test Team, which configured it first" in shown
    assert await harness.services.channels.for_workspace(WorkspaceKey("", "T0002")) == []
    assert [r[2] for r in await rows(harness)] == [role]  # workspace A's configuration is untouched


async def test_a_role_of_another_account_or_one_not_assumable_is_refused(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await authorized_role(harness, aws)
    view = await open_modal(harness, "configure-channel", channel_id=CHANNEL)
    before = len(harness.slack.calls("views.update"))
    await submit_state(harness, view, values(ACCOUNT, role=f"arn:aws:iam::{OTHER_ACCOUNT}:role/R"))
    assert "must be in the chosen AWS account" in await last_view_update(harness, before + 1)
    untrusted = aws.create_role(ACCOUNT, "Untrusted", external_id="not-this-workspace-" + "x" * 20)
    await submit_state(harness, view, values(ACCOUNT, role=untrusted))
    shown = await last_view_update(harness, before + 2)
    assert "could not assume" in shown and "sts:ExternalId" in shown
    assert await rows(harness) == []


async def test_non_admins_and_unauthorized_accounts_are_refused(harness: AppHarness, aws: AwsDouble) -> None:
    await harness.command("configure-channel", channel_id=CHANNEL, user_id=MEMBER)
    assert "Only Slack workspace admins" in (await replies(harness, 1))[-1]
    await harness.command("configure-channel", channel_id=CHANNEL)
    assert "authorize-account" in (await replies(harness, 2))[-1]  # no account authorized yet


async def test_a_member_submitting_the_configure_modal_is_refused_and_nothing_is_stored(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await authorized_role(harness, aws)
    aws.reset_records()
    view = await open_modal(harness, "configure-channel", channel_id=CHANNEL)  # opened by an admin
    before = len(harness.slack.calls("views.update"))
    await submit_state(harness, view, values(ACCOUNT), user_id=MEMBER)
    shown = await last_view_update(harness, before + 1)
    assert "Only Slack workspace admins and owners" in shown and "now acts with" not in shown
    assert await rows(harness) == []
    assert aws.assume_role_calls == []


async def test_app_home_lists_configured_channels(harness: AppHarness, aws: AwsDouble) -> None:
    role = await authorized_role(harness, aws)
    await configure(harness, values(ACCOUNT))
    from tests.helpers.slack_requests import event_body

    await harness.post(event_body({"type": "app_home_opened", "user": ADMIN, "tab": "home", "channel": "D1"}))
    published = await harness.slack.wait_for("views.publish", where=lambda c: CHANNEL in json.dumps(c.params))
    shown = json.dumps(published[-1].params)
    assert role.rpartition("/")[2] in shown and "home_channel_menu" in shown


# ---- "Who can…": the member policy in the modal ------------------------------------------------------------------


def who(rule: str, kind: str, people: tuple[str, ...] = (), groups: tuple[str, ...] = ()) -> dict:
    """The "Who can…" choices of one rule as Slack submits them."""
    return {
        f"who_{rule}": {"value": {"type": "static_select", "selected_option": {"value": kind}}},
        f"who_{rule}_people": {"value": {"type": "multi_users_select", "selected_users": list(people)}},
        f"who_{rule}_groups": {
            "member_policy_groups": {
                "type": "multi_external_select",
                "selected_options": [{"value": g, "text": {"type": "plain_text", "text": g}} for g in groups],
            }
        },
    }


async def test_who_can_is_set_in_the_modal_prefilled_on_edit_and_summarised_in_the_lists(
    harness: AppHarness, aws: AwsDouble
) -> None:
    from tests.helpers.scenario import choose_in_modal
    from tests.helpers.scenario import suggest
    from tests.helpers.scenario import view_of

    await authorized_role(harness, aws)
    harness.slack.set_group("S0ONCALL", [MEMBER], handle="oncall")
    view = await open_modal(harness, "configure-channel", channel_id=CHANNEL)
    shown = json.dumps(view)
    assert "Who can resolve and reopen" in shown and "Everyone in the channel" in shown
    assert [
        o["text"]["text"]
        for o in await suggest(harness, view, "member_policy_groups", "who_resolve_groups", "on")
    ] == ["@oncall (Group oncall)"]

    # The pickers show once "Only these people and groups" is chosen.
    assert "who_resolve_people" not in shown
    await choose_in_modal(
        harness,
        view | {"id": "V1", "hash": "h"},
        "who_resolve",
        "member_policy_who",
        {"who_resolve": ("option", "listed")},
    )
    revealed = await last_view_update(harness, 1)
    assert "who_resolve_people" in revealed and "who_reply_people" not in revealed

    # "Only these people and groups" with nobody chosen is refused under the field.
    state = values(ACCOUNT) | who("resolve", "listed")
    errors = (await submit_state(harness, view, state)).json()["errors"]
    assert "choose at least one person or user group" in errors["who_resolve"]

    state = (
        values(ACCOUNT)
        | who("resolve", "listed", people=("U0CHIEF",), groups=("S0ONCALL",))
        | who("quota", "admins")
        | {"who_max_severity": {"value": {"type": "static_select", "selected_option": {"value": "high"}}}}
        | who("critical_allowed", "", groups=("S0ONCALL",))
    )
    before = len(harness.slack.calls("views.update"))
    assert (await submit_state(harness, view, state)).json().get("response_action") == "update"
    await last_view_update(harness, before + 1)
    [row] = await harness.services.channels.for_workspace(TEAM)
    assert row.members == {
        "create": "everyone",
        "reply": "everyone",
        "resolve": ["U0CHIEF", "S0ONCALL"],
        "quota": "admins",
        "max_severity": "high",
        "critical_allowed": ["S0ONCALL"],
    }

    await harness.command("configure", channel_id=CHANNEL)
    listed = (await replies(harness, 1))[-1]
    assert "who can: resolve/reopen: <@U0CHIEF>, <!subteam^S0ONCALL>; quotas: the app's admins" in listed
    assert "severity up to high (above: <!subteam^S0ONCALL>)" in listed
    await click(harness, "edit_channel_configuration", f"{CHANNEL}|{ACCOUNT}")
    opened = (await harness.slack.wait_for("views.open", count=2))[-1]
    blocks = {b.get("block_id"): b for b in view_of(opened)["blocks"]}
    assert blocks["who_resolve"]["element"]["initial_option"]["value"] == "listed"
    assert blocks["who_resolve_people"]["element"]["initial_users"] == ["U0CHIEF"]
    assert [o["value"] for o in blocks["who_resolve_groups"]["element"]["initial_options"]] == ["S0ONCALL"]
    assert blocks["who_quota"]["element"]["initial_option"]["value"] == "admins"
    assert blocks["who_max_severity"]["element"]["initial_option"]["value"] == "high"
