"""A channel's member policy (who may create, reply, resolve and reopen; up to which severity), through signed
requests into the real app, the fake Slack (with usergroups.users.list) and moto with IAM enforced, on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select

from bolt_app.blocks.cases.parts import REOPEN_ACTION
from bolt_app.blocks.cases.parts import RESOLVE_ACTION
from bolt_app.blocks.cases.parts import CaseRef
from bolt_app.services.cases.fields import MESSAGE_BLOCK
from bolt_app.services.cases.fields import SEVERITY_BLOCK
from storage.tables import audit_events
from storage.workspaces import ChannelKey
from storage.workspaces import WorkspaceKey
from tests.fakes.aws import AwsDouble
from tests.fakes.moto_support import Case
from tests.fakes.slack_api import FakeSlackApi
from tests.helpers.app import AppHarness
from tests.helpers.scenario import case_form
from tests.helpers.scenario import click_message
from tests.helpers.scenario import configured_channel
from tests.helpers.scenario import open_modal
from tests.helpers.scenario import response_url_posts
from tests.helpers.scenario import submit
from tests.helpers.scenario import text_of
from tests.helpers.scenario import view_of
from tests.helpers.slack_requests import event_body
from tests.helpers.slack_requests import message_shortcut_body
from tests.helpers.slack_requests import message_shortcut_payload

ACCOUNT = "210987654321"
CHANNEL = ChannelKey(WorkspaceKey("", "T0001"), "C0001")
MEMBER, ONCALL, ADMIN = "U0MEMBER", "U0ONCALL", "U0ADMIN"
Json = dict[str, Any]


@pytest.fixture
def listener_database(database_url: str) -> str:
    return database_url


@pytest.fixture(autouse=True)
def _oncall_and_admin(slack: FakeSlackApi) -> None:
    slack.set_group("S0ONCALL", [ONCALL])
    slack.set_user(ADMIN, is_admin=True)


async def with_members(h: AppHarness, aws: AwsDouble, members: Json, policy: str = "full") -> None:
    """The channel configured with one account whose role has `policy`, and the member policy `members`."""
    await configured_channel(h, aws, {ACCOUNT: policy})
    [row] = await h.services.channels.repository.for_channel(CHANNEL)
    await h.services.channels.repository.save(replace(row, members=members), per_account=20, per_channel=100)
    h.services.channels.forget_cached()


def ref_of(case: Case) -> str:
    return CaseRef(case.account_id, case.case_id, case.language).encode()


async def audit_rows(h: AppHarness) -> list[tuple[str, str, str, str]]:
    async with h.services.engine.connect() as conn:
        rows = await conn.execute(
            select(
                audit_events.c.user_id, audit_events.c.action, audit_events.c.outcome, audit_events.c.detail
            )
            .where(audit_events.c.outcome == "refused")
            .order_by(audit_events.c.id)
        )
        return [(r[0], r[1], r[2], r[3] or "") for r in rows]


async def said(h: AppHarness, count: int) -> str:
    return text_of((await response_url_posts(h, count))[count - 1])


async def last_update(h: AppHarness, count: int) -> str:
    return text_of((await h.slack.wait_for("views.update", count=count))[count - 1])


async def completed_create_modal(h: AppHarness, user_id: str) -> Json:
    before = len(h.slack.calls("views.update"))
    opened = await open_modal(h, "create-case", user_id=user_id)
    completed = view_of((await h.slack.wait_for("views.update", count=before + 1))[-1])
    return completed | {"id": opened["id"], "hash": "h", "state": {"values": {}}}


def severities_offered(view: Json) -> list[str]:
    block = next(b for b in view["blocks"] if b.get("block_id") == SEVERITY_BLOCK)
    return [o["value"] for o in block["element"]["options"]]


# ---- resolve: [S0ONCALL] -------------------------------------------------------------------------------------


async def test_resolve_rule_refuses_a_non_member_resolve_and_reopen_before_any_aws_call_and_lets_a_member(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await with_members(harness, aws, {"resolve": ["S0ONCALL"]})
    case = aws.support.put_case(ACCOUNT, subject="Disk full")
    closed = aws.support.put_case(ACCOUNT, subject="Done", status="resolved")
    aws.reset_records()

    await click_message(harness, RESOLVE_ACTION, ref_of(case), user_id=MEMBER)
    refused = await said(harness, 1)
    assert "“Who can resolve and reopen”" in refused and "<!subteam^S0ONCALL>" in refused
    assert "/aws-support configure-channel" in refused
    await click_message(harness, REOPEN_ACTION, ref_of(closed), user_id=MEMBER)
    assert "only <!subteam^S0ONCALL> can resolve or reopen cases" in await last_update(harness, 1)
    await harness.settled()
    assert aws.calls == [] and aws.assume_role_count == 0  # refused before the role was even assumed
    assert (aws.case(case.case_id).status, aws.case(closed.case_id).status) == ("opened", "resolved")

    # A member of the group resolves, and reopens through the modal.
    await click_message(harness, RESOLVE_ACTION, ref_of(case), user_id=ONCALL)
    await harness.settled()
    assert aws.case(case.case_id).status == "resolved"
    before = len(harness.slack.calls("views.update"))
    await click_message(harness, REOPEN_ACTION, ref_of(closed), user_id=ONCALL)
    reopen = view_of((await harness.slack.wait_for("views.update", count=before + 1))[-1])
    assert "Reopen case" in json.dumps(reopen)
    reopen |= {"id": "VREOPEN1", "hash": "h", "state": {"values": {}}}

    # The same form submitted by someone else (forged) is refused by the service, after ack.
    await submit(harness, reopen, {MESSAGE_BLOCK: "Not done"}, user_id=MEMBER)
    await harness.settled()
    assert "Who can resolve and reopen" in text_of(harness.slack.calls("chat.postEphemeral")[-1])
    assert aws.case(closed.case_id).status == "resolved"
    await submit(harness, reopen | {"id": "VREOPEN2"}, {MESSAGE_BLOCK: "Not done"}, user_id=ONCALL)
    await harness.settled()
    assert aws.case(closed.case_id).status == "reopened"

    rows = await audit_rows(harness)
    assert [(r[0], r[1]) for r in rows] == [
        (MEMBER, "support:ResolveCase"),
        (MEMBER, "support:AddCommunicationToCase"),  # the Reopen form refused as it opened
        (MEMBER, "support:AddCommunicationToCase"),  # the forged submission
    ]
    assert all("Who can resolve and reopen" in r[3] for r in rows)


async def test_a_group_membership_change_takes_effect_on_the_next_action(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await with_members(harness, aws, {"resolve": ["S0ONCALL"]})
    first = aws.support.put_case(ACCOUNT, subject="First")
    second = aws.support.put_case(ACCOUNT, subject="Second")

    await click_message(harness, RESOLVE_ACTION, ref_of(first), user_id=MEMBER)
    assert "Who can resolve and reopen" in await said(harness, 1)
    harness.slack.set_group("S0ONCALL", [ONCALL, MEMBER])  # cached for up to 60 s: without the event, refused
    event = {"type": "subteam_members_changed", "subteam_id": "S0ONCALL", "added_users": [MEMBER]}
    assert (await harness.post(event_body(event))).status == 200
    await harness.settled()

    await click_message(harness, RESOLVE_ACTION, ref_of(first), user_id=MEMBER)
    await harness.settled()
    assert aws.case(first.case_id).status == "resolved"

    harness.slack.set_group("S0ONCALL", [ONCALL])
    updated = {"type": "subteam_updated", "subteam": {"id": "S0ONCALL", "team_id": "T0001"}}
    assert (await harness.post(event_body(updated))).status == 200
    await harness.settled()
    await click_message(harness, RESOLVE_ACTION, ref_of(second), user_id=MEMBER)
    await harness.settled()
    assert aws.case(second.case_id).status == "opened"
    assert [r[0] for r in await audit_rows(harness)] == [MEMBER, MEMBER]


async def test_the_channel_role_still_bounds_an_allowed_member(harness: AppHarness, aws: AwsDouble) -> None:
    await with_members(harness, aws, {"resolve": ["S0ONCALL"]}, policy="readonly")
    case = aws.support.put_case(ACCOUNT, subject="Read me")
    await click_message(harness, RESOLVE_ACTION, ref_of(case), user_id=ONCALL)
    denied = await said(harness, 1)
    assert "support:ResolveCase" in denied and "Who can" not in denied
    assert aws.case(case.case_id).status == "opened"


# ---- create: admins ------------------------------------------------------------------------------------------


async def test_create_admins_refuses_a_member_in_the_modal_the_message_shortcut_and_a_forged_submission(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await with_members(harness, aws, {"create": "admins"})
    aws.reset_records()

    await open_modal(harness, "create-case", user_id=MEMBER)
    refused = await last_update(harness, 1)
    assert "only the app's admins can create cases" in refused and "“Who can create cases”" in refused
    payload = message_shortcut_payload(
        "create_case_from_message", message_text="Lambda timeouts", user_id=MEMBER
    )
    await harness.post(message_shortcut_body(payload))
    assert "only the app's admins can create cases" in await last_update(harness, 2)
    await harness.settled()
    assert aws.calls == []

    admin_view = await completed_create_modal(harness, ADMIN)
    assert severities_offered(admin_view) == ["low", "normal", "high", "urgent", "critical"]
    await submit(harness, admin_view | {"id": "VFORGED"}, case_form(), user_id=MEMBER)
    await harness.settled()
    assert "Who can create cases" in text_of(harness.slack.calls("chat.postEphemeral")[-1])
    assert aws.cases(ACCOUNT) == []

    await submit(harness, admin_view, case_form(), user_id=ADMIN)
    await harness.settled()
    assert [c.subject for c in aws.cases(ACCOUNT)] == ["EC2 instance unreachable"]
    assert [(r[0], r[1]) for r in await audit_rows(harness)] == [(MEMBER, "support:CreateCase")] * 3


# ---- max_severity: high ----------------------------------------------------------------------------------------


async def test_max_severity_hides_higher_levels_refuses_a_forged_critical_and_lets_on_call_open_one(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await with_members(harness, aws, {"max_severity": "high", "critical_allowed": ["S0ONCALL"]})

    view = await completed_create_modal(harness, MEMBER)
    assert severities_offered(view) == ["low", "normal", "high"]
    forged = await submit(
        harness, view, case_form(**{SEVERITY_BLOCK: ("option", "critical")}), user_id=MEMBER
    )
    error = forged.json()["errors"][SEVERITY_BLOCK]
    assert "low, normal, high" in error and "Highest severity" in error
    await harness.settled()
    assert aws.cases(ACCOUNT) == []

    on_call = await completed_create_modal(harness, ONCALL)
    assert severities_offered(on_call)[-2:] == ["urgent", "critical"]
    response = await submit(
        harness, on_call, case_form(**{SEVERITY_BLOCK: ("option", "critical")}), user_id=ONCALL
    )
    assert response.status == 200 and not response.text
    await harness.settled()
    assert [c.severity_code for c in aws.cases(ACCOUNT)] == ["critical"]

    # A form opened while on call, submitted after leaving the group: the service refuses it.
    stale = await completed_create_modal(harness, ONCALL)
    harness.slack.set_group("S0ONCALL", [])
    event = {"type": "subteam_members_changed", "subteam_id": "S0ONCALL", "removed_users": [ONCALL]}
    await harness.post(event_body(event))
    await harness.settled()
    await submit(harness, stale, case_form(**{SEVERITY_BLOCK: ("option", "critical")}), user_id=ONCALL)
    await harness.settled()
    assert "Highest severity" in text_of(harness.slack.calls("chat.postEphemeral")[-1])
    assert len(aws.cases(ACCOUNT)) == 1
    [row] = await audit_rows(harness)
    assert (row[0], row[1]) == (
        ONCALL,
        "support:CreateCase",
    ) and "you can choose low, normal, high; only <!subteam^S0ONCALL> can go higher" in row[3]
