"""Slack Connect: in a channel shared with another organization, only members of the workspace that owns the
channel's AWS Support configuration act with its role. Signed requests into the real app, the fake Slack Web
API, moto with IAM enforced; SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text as sql

from bolt_app.blocks.cases.parts import REOPEN_ACTION
from bolt_app.blocks.cases.parts import REPLY_ACTION
from bolt_app.blocks.cases.parts import RESOLVE_ACTION
from bolt_app.blocks.cases.parts import SEE_DETAILS_ACTION
from bolt_app.blocks.cases.parts import SHARE_ACTION
from bolt_app.blocks.cases.parts import CaseRef
from bolt_app.services.cases.fields import MESSAGE_BLOCK
from tests.fakes.aws import AwsDouble
from tests.fakes.slack_api import TEAM_NAME
from tests.fakes.slack_api import FakeSlackApi
from tests.helpers.app import AppHarness
from tests.helpers.scenario import case_form
from tests.helpers.scenario import channel_with_open_and_resolved_case
from tests.helpers.scenario import click_message
from tests.helpers.scenario import configured_channel
from tests.helpers.scenario import open_modal
from tests.helpers.scenario import submit
from tests.helpers.scenario import text_of
from tests.helpers.scenario import view_of
from tests.helpers.slack_requests import message_shortcut_body
from tests.helpers.slack_requests import message_shortcut_payload

ACCOUNT = "210987654321"
CHANNEL = "C0001"
MEMBER = "U0001"
# A member of another organization in the Slack Connect channel: their own workspace in user.team_id, the
# installing workspace (T0001) in team.id, as Slack sends a click on the app's message in that channel.
OUTSIDER: dict[str, Any] = {"user_id": "U0EXT01", "user_team_id": "T0EXT99", "is_ext_shared_channel": True}
REFUSED = f"This channel's AWS Support configuration belongs to {TEAM_NAME}; only its members can use it."


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi() as fake:
        fake.set_user(MEMBER, is_admin=True)
        fake.set_user(OUTSIDER["user_id"], is_admin=True, team_id=OUTSIDER["user_team_id"])  # admin at home
        fake.set_channel(CHANNEL, name="aws-support", is_private=True, is_shared=True, is_ext_shared=True)
        yield fake


@pytest.fixture
def listener_database(database_url: str) -> str:
    return database_url


def ref(case_id: str) -> str:
    return CaseRef(ACCOUNT, case_id, "en").encode()


async def shown(h: AppHarness, words: str, count: int, within: float = 10.0) -> str:
    """Waits (bounded) until `count` of the app's calls to Slack (any method, response URLs included) show
    `words`; returns the last of them."""
    deadline = time.monotonic() + within
    while len(found := [t for c in h.slack.calls() if words in (t := text_of(c))]) < count:
        if time.monotonic() > deadline:
            last = [text_of(c)[:600] for c in h.slack.calls()[-3:]]
            raise AssertionError(f"expected {count} answer(s) showing {words!r}, got {len(found)}: {last}")
        await asyncio.sleep(0.01)
    return found[-1]


async def modal_after(h: AppHarness, start: Any) -> dict[str, Any]:
    """The modal a member's command or click opened, once the app completed it, as Slack would submit it."""
    opened, updated = len(h.slack.calls("views.open")), len(h.slack.calls("views.update"))
    await start()
    await h.slack.wait_for("views.open", count=opened + 1)
    completed = view_of((await h.slack.wait_for("views.update", count=updated + 1))[-1])
    return completed | {"id": f"V{opened + 1:08d}", "hash": "h", "state": {"values": {}}}


async def rows(h: AppHarness, table: str) -> list[tuple[Any, ...]]:
    async with h.services.engine.connect() as conn:
        return [tuple(r) for r in await conn.execute(sql(f"SELECT * FROM {table}"))]  # noqa: S608


async def audit_outcomes(h: AppHarness) -> list[tuple[str, str, str]]:
    async with h.services.engine.connect() as conn:
        query = sql("SELECT user_id, action, outcome FROM audit_events ORDER BY id")
        return [(r[0], r[1], r[2]) for r in await conn.execute(query)]


async def test_an_outsider_is_refused_every_case_action_while_a_member_succeeds_in_the_same_channel(
    harness: AppHarness, aws: AwsDouble
) -> None:
    from tests.listeners.test_quotas import EC2
    from tests.listeners.test_quotas import VCPU_QUOTA
    from tests.listeners.test_quotas import choose
    from tests.listeners.test_quotas import state
    from tests.listeners.test_quotas import without_hash

    case, closed = await channel_with_open_and_resolved_case(harness, aws, ACCOUNT, "full", "Shared trouble")
    # The modals a member opened (slash commands reach the app only from workspaces that installed it).
    create = await modal_after(harness, lambda: harness.command("create-case", channel_id=CHANNEL))
    reply = await modal_after(harness, lambda: click_message(harness, REPLY_ACTION, ref(case.case_id)))
    reopen = await modal_after(harness, lambda: click_message(harness, REOPEN_ACTION, ref(closed.case_id)))
    quota = without_hash(await open_modal(harness, "quota", channel_id=CHANNEL))
    quota = await choose(harness, quota, "quota_code", state(EC2, VCPU_QUOTA))
    aws.reset_records()
    posted_before = len(harness.slack.calls("chat.postMessage")) + len(harness.slack.calls("chat.update"))
    keys_before, cases_before = await rows(harness, "processed_events"), await rows(harness, "case_threads")

    # The outsider presses every button of the case, uses the message shortcut and submits every form.
    for n, action in enumerate((SEE_DETAILS_ACTION, REPLY_ACTION, RESOLVE_ACTION, SHARE_ACTION), start=1):
        await click_message(harness, action, ref(case.case_id), **OUTSIDER)
        said = await shown(harness, REFUSED, n)
    assert "An admin of Test Team can change" in said
    await click_message(harness, REOPEN_ACTION, ref(closed.case_id), **OUTSIDER)
    await shown(harness, REFUSED, 5)
    shortcut = message_shortcut_payload("create_case_from_message", message_text="Outage", **OUTSIDER)
    assert (await harness.post(message_shortcut_body(shortcut))).status == 200
    await shown(harness, REFUSED, 6)
    await submit(
        harness,
        create,
        case_form(subject="Cross-org outage", description="Both companies see 5xx from the API."),
        **OUTSIDER,
    )
    await submit(harness, reply, {MESSAGE_BLOCK: "From the other company"}, **OUTSIDER)
    await submit(harness, reopen, {MESSAGE_BLOCK: "Still broken"}, **OUTSIDER)
    from tests.helpers.slack_requests import view_submission_body
    from tests.helpers.slack_requests import view_submission_payload

    quota_state = quota | {"state": state(EC2, VCPU_QUOTA, "64")}
    await harness.post(view_submission_body(view_submission_payload(quota_state, **OUTSIDER)))
    await shown(harness, REFUSED, 10)
    await harness.settled()

    # Not one AWS call (no AssumeRole either), nothing written but the audit of the refusals.
    assert aws.calls == []
    assert [c.case_id for c in aws.cases(ACCOUNT)] == [case.case_id, closed.case_id]
    assert (aws.case(case.case_id).status, aws.case(closed.case_id).status) == ("opened", "resolved")
    assert [len(c.communications) for c in aws.cases(ACCOUNT)] == [1, 1]
    assert aws.quota_requests(ACCOUNT) == []
    assert (
        len(harness.slack.calls("chat.postMessage")) + len(harness.slack.calls("chat.update"))
        == posted_before
    )
    assert await rows(harness, "processed_events") == keys_before
    assert await rows(harness, "case_threads") == cases_before
    refusals = [a for a in await audit_outcomes(harness) if a[0] == OUTSIDER["user_id"]]
    assert {outcome for _, _, outcome in refusals} == {"refused"}
    assert {action for _, action, _ in refusals} >= {
        "support:CreateCase",
        "support:AddCommunicationToCase",
        "support:ResolveCase",
        "servicequotas:RequestServiceQuotaIncrease",
    }

    # A member of the owning workspace, in the same channel, does each of these.
    await click_message(harness, SEE_DETAILS_ACTION, ref(case.case_id))
    assert "Shared trouble" in await shown(harness, "Seeded case body", 1)
    await submit(harness, reply, {MESSAGE_BLOCK: "From the owning company"})
    await shown(harness, "Your reply was sent to AWS Support", 1)
    await click_message(harness, RESOLVE_ACTION, ref(case.case_id), message_ts="1700000000.000400")
    await submit(harness, reopen, {MESSAGE_BLOCK: "Still broken"})
    await shown(harness, "The case is reopened", 1)
    await click_message(harness, SHARE_ACTION, ref(case.case_id), ephemeral=True)
    await submit(
        harness,
        create,
        case_form(subject="Cross-org outage", description="Both companies see 5xx from the API."),
    )
    await harness.post(view_submission_body(view_submission_payload(quota_state)))
    await harness.settled()
    assert aws.case(case.case_id).status == "resolved" and aws.case(closed.case_id).status == "reopened"
    assert any(c.subject == "Cross-org outage" for c in aws.cases(ACCOUNT))
    assert [r.desired_value for r in aws.quota_requests(ACCOUNT)] == [64.0]
    shortcut = message_shortcut_payload("create_case_from_message", message_text="Outage")
    opened = len(harness.slack.calls("views.open"))
    await harness.post(message_shortcut_body(shortcut))
    assert "Outage" in json.dumps(view_of((await harness.slack.wait_for("views.open", count=opened + 1))[-1]))


ADMIN_REFUSED = (
    f"This workspace's AWS Support configuration belongs to {TEAM_NAME}; only its members can change it"
)
OTHER_CHANNEL = "C0002"


async def configurations(h: AppHarness) -> list[tuple[str, str, str]]:
    async with h.services.engine.connect() as conn:
        query = sql("SELECT channel_id, account_id, role_arn FROM channel_configurations ORDER BY channel_id")
        return [(r[0], r[1], r[2]) for r in await conn.execute(query)]


async def test_an_outsider_admin_is_refused_every_admin_change_while_an_admin_of_the_workspace_succeeds(
    harness: AppHarness, aws: AwsDouble, slack: FakeSlackApi
) -> None:
    from tests.helpers.scenario import click

    slack.set_channel(OTHER_CHANNEL, name="ops-two", is_private=True, is_shared=True, is_ext_shared=True)
    roles = await configured_channel(harness, aws, {ACCOUNT: "full"})
    second = "310987654321"
    async with harness.services.engine.connect() as conn:
        query = sql("SELECT external_id FROM workspaces WHERE team_id = 'T0001'")
        external_id = str((await conn.execute(query)).scalar_one())
    new_role = aws.create_role(second, "SlackNew", external_id=external_id, policy="full")
    authorize = await open_modal(harness, "authorize-account", channel_id=CHANNEL)
    configure = await open_modal(harness, "configure-channel", channel_id=OTHER_CHANNEL)
    # configure-channel in a Slack Connect channel says who will be able to use it
    assert "Only members of this workspace will be able to use" in json.dumps(configure)
    configure_values = {
        "role_arn": {"value": {"type": "plain_text_input", "value": roles[ACCOUNT]}},
        "notify_severity": {"value": {"type": "radio_buttons", "selected_option": {"value": "all"}}},
        "notifications": {
            "value": {"type": "checkboxes", "selected_options": [{"value": "create_or_reopen"}]}
        },
        "account": {"configure_account": {"type": "static_select", "selected_option": {"value": ACCOUNT}}},
    }
    from tests.helpers.slack_requests import view_submission_body
    from tests.helpers.slack_requests import view_submission_payload

    def configure_submission(**who: Any) -> str:
        submitted = configure | {"state": {"values": configure_values}}
        return view_submission_body(view_submission_payload(submitted, **who))

    aws.reset_records()
    before = await configurations(harness), await harness.services.accounts.list(harness_key())

    # An admin of the other organization (Slack says is_admin, of their own workspace) in the shared channel.
    await submit(harness, authorize, {"role_arn": new_role, "account_name": "Theirs"}, **OUTSIDER)
    await shown(harness, ADMIN_REFUSED, 1)
    response = await harness.post(configure_submission(**OUTSIDER))
    assert response.json().get("response_action") == "update", response.text
    await shown(harness, ADMIN_REFUSED, 2)
    target = f"{CHANNEL}|{ACCOUNT}"
    for n, (action, value) in enumerate(
        (
            ("edit_channel_configuration", target),
            ("add_channel_account", target),
            ("remove_channel_configuration", target),
            ("edit_account_name", ACCOUNT),
            ("remove_account", ACCOUNT),
        ),
        start=3,
    ):
        await click(harness, action, value, channel_id=CHANNEL, **OUTSIDER)
        said = await shown(harness, ADMIN_REFUSED, n)
    assert "Ask an admin of Test Team" in said
    await harness.settled()
    assert aws.calls == []
    assert (await configurations(harness), await harness.services.accounts.list(harness_key())) == before

    # An admin of the workspace, in the same channels, makes each change.
    await submit(harness, authorize, {"role_arn": new_role, "account_name": "Ours"})
    await harness.post(configure_submission())
    await shown(harness, "now acts with", 1)
    await click(harness, "remove_channel_configuration", target, channel_id=CHANNEL)
    await shown(harness, "was detached", 1)
    await harness.settled()
    assert await configurations(harness) == [(OTHER_CHANNEL, ACCOUNT, roles[ACCOUNT])]
    assert {r.account.account_id for r in await harness.services.accounts.list(harness_key())} == {
        ACCOUNT,
        second,
    }


def harness_key() -> Any:
    from storage.workspaces import WorkspaceKey

    return WorkspaceKey("", "T0001")
