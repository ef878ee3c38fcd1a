"""App Home through signed requests into the real app: the buttons everyone gets act in a configured channel they
are in (and only there), and admins remove an account through its menu and a confirmation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bolt_app.blocks.accounts import HOME_ACCOUNT_MENU_ACTION
from bolt_app.blocks.accounts import REMOVE_ACCOUNT_VIEW
from bolt_app.blocks.home import HOME_CREATE_CASE_ACTION
from bolt_app.blocks.home import HOME_SEARCH_CASES_ACTION
from storage.workspaces import ChannelKey
from storage.workspaces import WorkspaceKey
from tests.fakes.aws import AwsDouble
from tests.helpers.app import AppHarness
from tests.helpers.scenario import click
from tests.helpers.scenario import configured_channel
from tests.helpers.scenario import text_of
from tests.helpers.scenario import view_of
from tests.helpers.slack_requests import block_actions_body
from tests.helpers.slack_requests import block_actions_payload
from tests.helpers.slack_requests import event_body
from tests.helpers.slack_requests import view_submission_body
from tests.helpers.slack_requests import view_submission_payload
from tests.helpers.values import ADMIN
from tests.helpers.values import MEMBER

ACCOUNT = "210987654321"


pytestmark = pytest.mark.usefixtures("admin_and_member")


async def home_of(h: AppHarness, user: str) -> dict[str, Any]:
    before = len(h.slack.calls("views.publish"))
    await h.post(event_body({"type": "app_home_opened", "user": user, "tab": "home", "channel": "D1"}))
    published = await h.slack.wait_for("views.publish", count=before + 1)
    return view_of(published[-1]) | {"id": "VHOME", "hash": "h", "state": {"values": {}}}


def buttons(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        e["text"]["text"]: e
        for b in view["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["type"] == "button"
    }


async def test_a_member_opens_create_case_and_search_from_app_home_in_their_channel(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    harness.slack.set_members("C0001", MEMBER)
    home = await home_of(harness, MEMBER)
    found = buttons(home)
    assert list(found) == ["Create case", "Search cases"] and found["Create case"]["value"] == "C0001"
    assert "Remove" not in json.dumps(home)  # not an admin: no configuration menus

    await click(harness, HOME_CREATE_CASE_ACTION, "C0001", view=home, user_id=MEMBER)
    [opened] = await harness.slack.wait_for("views.open")
    assert "Create a support case" in text_of(opened)
    assert json.loads(view_of(opened)["private_metadata"])["channel_id"] == "C0001"

    await click(harness, HOME_SEARCH_CASES_ACTION, "C0001", view=home, user_id=MEMBER)
    searched = await harness.slack.wait_for("views.open", count=2)
    assert "Search support cases" in text_of(searched[-1])


async def test_choosing_another_channel_beside_the_buttons_points_them_at_it(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"}, channel_id="C0001")
    await configured_channel(harness, aws, {"310987654321": "full"}, channel_id="C0002")
    harness.slack.set_members("C0001", MEMBER)
    harness.slack.set_members("C0002", MEMBER)
    home = await home_of(harness, MEMBER)
    [select] = [
        e
        for b in home["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["type"] == "static_select"
    ]
    chosen = next(o for o in select["options"] if o["value"] == "C0002")
    action = {
        "action_id": select["action_id"],
        "block_id": "b",
        "type": "static_select",
        "selected_option": chosen,
    }
    before = len(harness.slack.calls("views.publish"))
    await harness.post(
        block_actions_body(block_actions_payload(action | {"action_ts": "1.2"}, view=home, user_id=MEMBER))
    )
    again = view_of((await harness.slack.wait_for("views.publish", count=before + 1))[-1])
    assert {b["value"] for b in buttons(again).values()} == {"C0002"}


async def test_a_channel_the_member_is_not_in_is_refused_and_one_without_channels_is_told_what_to_do(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    home = await home_of(harness, MEMBER)  # in no configured channel
    assert not buttons(home) and "configure-channel" in json.dumps(home)

    await click(harness, HOME_CREATE_CASE_ACTION, "C0001", view=home, user_id=MEMBER)  # a forged value
    [told] = await harness.slack.wait_for("chat.postMessage")
    assert told.params["channel"] == MEMBER and "no longer in that channel" in told.params["text"]
    assert harness.slack.calls("views.open") == []


async def test_an_admin_removes_an_account_through_its_menu_after_confirming(
    harness: AppHarness, aws: AwsDouble
) -> None:
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    workspace = WorkspaceKey("", "T0001")
    await harness.services.channels.repository.delete(ChannelKey(workspace, "C0001"), ACCOUNT)
    home = await home_of(harness, ADMIN)
    [menu] = [b["accessory"] for b in home["blocks"] if b.get("accessory", {}).get("type") == "overflow"]
    assert menu["action_id"] == HOME_ACCOUNT_MENU_ACTION
    remove = next(o for o in menu["options"] if o["text"]["text"] == "Remove…")
    action = {"action_id": HOME_ACCOUNT_MENU_ACTION, "block_id": "b", "type": "overflow"}
    payload = block_actions_payload(
        action | {"selected_option": remove, "action_ts": "1.1"}, view=home, user_id=ADMIN
    )
    await harness.post(block_actions_body(payload))
    [opened] = await harness.slack.wait_for("views.open")
    confirm = view_of(opened)
    assert confirm["callback_id"] == REMOVE_ACCOUNT_VIEW and "Remove" in confirm["submit"]["text"]
    assert await harness.services.accounts.list(workspace)  # nothing removed before the confirmation

    confirm |= {"id": "VCONFIRM", "hash": "h", "state": {"values": {}}}
    response = await harness.post(view_submission_body(view_submission_payload(confirm, user_id=ADMIN)))
    assert response.status == 200
    await harness.slack.wait_for("views.update", where=lambda c: "was removed" in json.dumps(c.params))
    assert await harness.services.accounts.list(workspace) == []
