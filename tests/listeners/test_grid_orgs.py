"""Two Enterprise Grid orgs that each install org-wide (both team_id "") and share a Slack Connect channel:
each sees, edits and uses only its own configurations. Signed requests into the real app, the fake Slack Web
API, moto with IAM enforced; SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text

from bolt_app.notifications_worker import DeliveryLoop
from bolt_app.notifications_worker import WorkerOptions
from bolt_app.services.notifications.events import CREATE
from bolt_app.services.notifications.events import parse_event
from bolt_app.services.notifications.options import NotificationOptions
from tests.fakes.aws import AwsDouble
from tests.fakes.slack_api import Call
from tests.fakes.slack_api import FakeSlackApi
from tests.helpers.app import AppHarness
from tests.helpers.app import app_settings
from tests.helpers.app import running_app
from tests.helpers.notification_world import case_of
from tests.helpers.notification_world import event_body
from tests.helpers.scenario import case_form
from tests.helpers.scenario import click
from tests.helpers.scenario import open_modal
from tests.helpers.scenario import replies
from tests.helpers.scenario import submit
from tests.helpers.scenario import text_of
from tests.helpers.scenario import view_of
from tests.helpers.slack_requests import event_body as slack_event_body
from tests.helpers.values import ADMIN
from tests.helpers.values import MEMBER

ACCOUNT = "210987654321"
SHARED, OWN = "C0SHARED", "C0E2ONLY"  # a Slack Connect channel of both orgs; a channel of org E2 only


@dataclass(frozen=True)
class Org:
    enterprise_id: str
    name: str
    team_id: str  # the workspace of the org the request comes from
    role_name: str

    def who(self, user_id: str = ADMIN) -> dict[str, Any]:
        return {
            "team_id": self.team_id,
            "user_id": user_id,
            "enterprise_id": self.enterprise_id,
            "is_enterprise_install": True,
        }


E1 = Org("E0001", "Org One", "T1001", "GridOne")
E2 = Org("E0002", "Org Two", "T2001", "GridTwo")


@pytest.fixture(autouse=True)
def _two_channels(admin_and_member: FakeSlackApi) -> None:
    for channel_id, name in ((SHARED, "shared-ops"), (OWN, "two-ops")):
        admin_and_member.set_channel(channel_id, name=name, is_private=True, is_member=True)


@pytest.fixture
async def harness(database_url: str, slack: FakeSlackApi, aws: AwsDouble) -> AsyncIterator[AppHarness]:
    async with running_app(app_settings(database_url, slack), slack) as h:
        for org in (E1, E2):
            slack.oauth.enterprise_id, slack.oauth.enterprise_name = org.enterprise_id, org.name
            slack.oauth.is_enterprise_install = True
            await h.install()
        yield h


async def authorize(h: AppHarness, aws: AwsDouble, org: Org) -> str:
    """The org authorizes ACCOUNT with its own role (trusting the org's External ID); returns the role."""
    from bolt_app.services.accounts import Actor
    from storage.workspaces import WorkspaceKey

    async with h.services.engine.connect() as conn:
        query = text("SELECT external_id FROM workspaces WHERE enterprise_id = :e AND team_id = ''")
        external_id = str((await conn.execute(query, {"e": org.enterprise_id})).scalar_one())
    role = aws.create_role(ACCOUNT, org.role_name, external_id=external_id, policy="full")
    await h.services.accounts.authorize(
        Actor.member(WorkspaceKey(org.enterprise_id, ""), ADMIN, slack_admin=True), role
    )
    return role


def configure_values(role: str) -> dict[str, Any]:
    return {
        "role_arn": {"value": {"type": "plain_text_input", "value": role}},
        "notify_severity": {"value": {"type": "radio_buttons", "selected_option": {"value": "all"}}},
        "notifications": {
            "value": {"type": "checkboxes", "selected_options": [{"value": "create_or_reopen"}]}
        },
        "account": {"configure_account": {"type": "static_select", "selected_option": {"value": ACCOUNT}}},
    }


async def configure(h: AppHarness, org: Org, channel_id: str, role: str) -> str:
    """`configure-channel` in the channel and the modal submitted; returns what the modal then said."""
    from tests.helpers.slack_requests import view_submission_body
    from tests.helpers.slack_requests import view_submission_payload

    view = await open_modal(h, "configure-channel", channel_id=channel_id, **org.who())
    before = len(h.slack.calls("views.update"))
    submitted = view | {"state": {"values": configure_values(role)}}
    response = await h.post(view_submission_body(view_submission_payload(submitted, **org.who())))
    assert response.json().get("response_action") == "update", response.text
    return text_of((await h.slack.wait_for("views.update", count=before + 1))[-1])


async def stored(h: AppHarness) -> list[tuple[str, str, str, str]]:
    """Every channel configuration as the database holds it: (enterprise, team, channel, role)."""
    async with h.services.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT enterprise_id, team_id, channel_id, role_arn FROM channel_configurations "
                "ORDER BY enterprise_id, channel_id"
            )
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]


def opened_views(h: AppHarness) -> list[str]:
    return [json.dumps(view_of(c)) for c in h.slack.calls("views.open")]


async def home_of(h: AppHarness, org: Org) -> str:
    before = len(h.slack.calls("views.publish"))
    event = {"type": "app_home_opened", "user": ADMIN, "tab": "home", "channel": "D1"}
    body = slack_event_body(
        event, team_id=org.team_id, enterprise_id=org.enterprise_id, is_enterprise_install=True
    )
    assert (await h.post(body)).status == 200
    return json.dumps((await h.slack.wait_for("views.publish", count=before + 1))[-1].params)


async def test_each_org_sees_and_changes_only_its_own_configuration_of_a_shared_channel(
    harness: AppHarness, aws: AwsDouble
) -> None:
    role1, role2 = await authorize(harness, aws, E1), await authorize(harness, aws, E2)
    assert "now acts with" in await configure(harness, E1, SHARED, role1)
    assert await stored(harness) == [(E1.enterprise_id, "", SHARED, role1)]

    # Org Two's admin runs configure-channel in the shared channel: nothing of Org One's shows, and saving is
    # refused because the channel belongs to Org One, whose row stays as it was.
    said = await configure(harness, E2, SHARED, role2)
    assert "belongs to Org One, which configured it first" in said
    assert role1 not in opened_views(harness)[-1]
    assert await stored(harness) == [(E1.enterprise_id, "", SHARED, role1)]

    # Org One's admin sees its configuration with Edit and Remove; App Home lists it for Org One only.
    await harness.command("configure-channel", channel_id=SHARED, **E1.who())
    listed = (await replies(harness, 1))[-1]
    assert role1 in listed and "Edit" in listed and "Remove" in listed
    home_one = await home_of(harness, E1)
    assert SHARED in home_one and "GridOne" in home_one  # the role by its name
    home_two = await home_of(harness, E2)
    assert "GridOne" not in home_two and SHARED not in home_two

    # Org Two pressing Edit/Remove on Org One's configuration (its button value) touches nothing of Org One's.
    opened_before = len(harness.slack.calls("views.open"))
    await click(harness, "edit_channel_configuration", f"{SHARED}|{ACCOUNT}", channel_id=SHARED, **E2.who())
    edit_view = (await harness.slack.wait_for("views.open", count=opened_before + 1))[-1]
    assert role1 not in json.dumps(view_of(edit_view)) and role2 in json.dumps(view_of(edit_view))
    await click(harness, "remove_channel_configuration", f"{SHARED}|{ACCOUNT}", channel_id=SHARED, **E2.who())
    assert "not configured for AWS account" in (await replies(harness, 2))[-1]
    assert await stored(harness) == [(E1.enterprise_id, "", SHARED, role1)]

    # Org One's own Remove still works.
    await click(harness, "remove_channel_configuration", f"{SHARED}|{ACCOUNT}", channel_id=SHARED, **E1.who())
    assert "was detached" in (await replies(harness, 3))[-1]
    assert await stored(harness) == []


async def create_case(h: AppHarness, org: Org, channel_id: str) -> None:
    """A member of the org creates a case from the channel through the modal."""
    before_open, before_update = len(h.slack.calls("views.open")), len(h.slack.calls("views.update"))
    await h.command("create-case", channel_id=channel_id, **org.who(MEMBER))
    opened = (await h.slack.wait_for("views.open", count=before_open + 1))[-1]
    completed = view_of((await h.slack.wait_for("views.update", count=before_update + 1))[-1])
    view = completed | {"id": f"VCASE{before_open}", "hash": "h", "state": {"values": {}}}
    assert opened.params["trigger_id"]
    response = await submit(h, view, case_form(), **org.who(MEMBER))
    assert response.status == 200, response.text


async def test_members_of_each_org_act_with_their_own_role_only(harness: AppHarness, aws: AwsDouble) -> None:
    role1, role2 = await authorize(harness, aws, E1), await authorize(harness, aws, E2)
    await configure(harness, E1, SHARED, role1)
    await configure(harness, E2, OWN, role2)

    # In the shared channel, Org Two's member is told the channel is not set up for it: no modal, no role.
    opened_before = len(harness.slack.calls("views.open"))
    await harness.command("create-case", channel_id=SHARED, **E2.who(MEMBER))
    assert "not set up for AWS Support" in (await replies(harness, 1))[-1]
    assert len(harness.slack.calls("views.open")) == opened_before

    await create_case(harness, E1, SHARED)
    await create_case(harness, E2, OWN)
    posted = await harness.slack.wait_for("chat.postMessage", count=2)
    assert sorted(c.params["channel"] for c in posted) == sorted([SHARED, OWN])
    used = {
        case.communications[0].body.rsplit(" in #", 1)[-1]: [
            org.name for org in (E1, E2) if org.role_name in case.submitted_by
        ]
        for case in aws.cases(ACCOUNT)
    }
    assert used == {"shared-ops": [E1.name], "two-ops": [E2.name]}


def roots(h: AppHarness, channel_id: str, case_id: str) -> list[Call]:
    return [
        c
        for c in h.slack.calls("chat.postMessage")
        if not c.failed and c.params.get("channel") == channel_id and case_of(c) == case_id
    ]


async def test_notifications_reach_each_org_in_its_own_channel_with_its_own_bot(
    harness: AppHarness, aws: AwsDouble
) -> None:
    role1, role2 = await authorize(harness, aws, E1), await authorize(harness, aws, E2)
    await configure(harness, E1, SHARED, role1)
    assert "belongs to Org One" in await configure(harness, E2, SHARED, role2)
    await configure(harness, E2, OWN, role2)

    case_id = aws.put_case(ACCOUNT, subject="Database down")
    notifications = harness.services.notifications
    await notifications.ingest(parse_event(event_body(CREATE, case_id)), "http")
    options = WorkerOptions(NotificationOptions(post_interval_seconds=0.0))
    await DeliveryLoop(notifications, "worker-grid", options).drain()
    # serve's own delivery loop may have claimed a channel first: wait (bounded) until both threads have a root.
    query = text("SELECT enterprise_id, channel_id, root_ts FROM case_threads WHERE case_id = :c")
    deadline = time.monotonic() + 5.0
    while True:
        async with harness.services.engine.connect() as conn:
            threads = sorted(
                (r[0], r[1], r[2] is not None) for r in await conn.execute(query, {"c": case_id})
            )
        if len(threads) == 2 and all(rooted for *_, rooted in threads) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.01)

    [in_shared], [in_own] = roots(harness, SHARED, case_id), roots(harness, OWN, case_id)
    tokens = {c.params["channel"]: c.token for c in (in_shared, in_own)}
    bots = {
        org.enterprise_id: (
            await harness.services.installation_store.async_find_bot(
                enterprise_id=org.enterprise_id, team_id=None, is_enterprise_install=True
            )
        )
        for org in (E1, E2)
    }
    assert tokens == {SHARED: bots[E1.enterprise_id].bot_token, OWN: bots[E2.enterprise_id].bot_token}
    assert threads == [(E1.enterprise_id, SHARED, True), (E2.enterprise_id, OWN, True)]


async def test_an_org_wide_install_serves_every_workspace_of_its_org_and_no_guest(
    harness: AppHarness, aws: AwsDouble
) -> None:
    """The decision for Grid (bolt_app/services/membership.py): an org-wide install is used by any member of the
    org, from whichever of its workspaces; a Slack Connect guest in the same channel is refused."""
    from bolt_app.blocks.cases.parts import SEE_DETAILS_ACTION
    from bolt_app.blocks.cases.parts import CaseRef
    from tests.helpers.scenario import click_message
    from tests.helpers.scenario import response_url_posts

    await configure(harness, E1, SHARED, await authorize(harness, aws, E1))
    case_id = aws.put_case(ACCOUNT, subject="Org-wide trouble")
    ref = CaseRef(ACCOUNT, case_id, "en").encode()
    sibling = E1.who(MEMBER) | {"user_team_id": "T1002"}  # another workspace of Org One
    guest = E1.who("U0EXT01") | {"user_team_id": "T9001", "is_ext_shared_channel": True}
    aws.reset_records()

    await click_message(harness, SEE_DETAILS_ACTION, ref, channel_id=SHARED, **guest)
    [refused] = await response_url_posts(harness, 1)
    assert "belongs to Org One; only its members can use it" in text_of(refused)
    assert aws.calls == []
    await click_message(harness, SEE_DETAILS_ACTION, ref, channel_id=SHARED, **sibling)
    shown = text_of((await response_url_posts(harness, 2))[-1])
    assert "Org-wide trouble" in shown and "only its members" not in shown
