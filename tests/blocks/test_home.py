"""App Home: what everyone can do, their recent cases, and for admins the configuration with quiet menus."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from typing import Any

from bolt_app.blocks.accounts import HOME_ACCOUNT_MENU_ACTION
from bolt_app.blocks.channels import HOME_CHANNEL_MENU_ACTION
from bolt_app.blocks.home import HOME_CHANNEL_ACTION
from bolt_app.blocks.home import HOME_CREATE_CASE_ACTION
from bolt_app.blocks.home import HOME_SEARCH_CASES_ACTION
from bolt_app.blocks.home import home_view
from bolt_app.services.home import WorkspaceOverview
from storage.accounts import AccountRow
from storage.accounts import AuthorizationRow
from storage.case_openers import OpenedCase
from storage.channels import ChannelConfigRow
from storage.channels import Notifications
from storage.workspaces import WorkspaceKey
from tests.blocks.cases.kit import text_of
from tests.blocks.cases.kit import walk

WORKSPACE = WorkspaceKey("", "T0001")
AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
ROLE = "arn:aws:iam::210987654321:role/AWSSupportSlackRole"
PROD = AuthorizationRow(
    AccountRow("210987654321", "Prod", None, None), WORKSPACE, "authorized", "role", ROLE, "U1", AT
)
OPS = ChannelConfigRow(
    WORKSPACE, "C1", "aws-support-ops", "210987654321", "Prod", ROLE, Notifications(), "U1"
)
DEV = ChannelConfigRow(WORKSPACE, "C2", "dev-support", "210987654321", "Prod", ROLE, Notifications(), "U1")


def overview(**changes: Any) -> WorkspaceOverview:
    values: dict[str, Any] = {
        "accounts": [PROD],
        "channels": [OPS, DEV],
        "admin": False,
        "my_channels": [OPS],
    }
    return WorkspaceOverview(**(values | changes))


def elements(view: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [n for n in walk(view["blocks"]) if n.get("type") == kind]


def test_everyone_gets_create_case_and_search_cases_for_their_configured_channel() -> None:
    view = home_view(overview())
    buttons = {b["text"]["text"]: b for b in elements(view, "button")}
    assert list(buttons) == ["Create case", "Search cases"]
    assert (
        buttons["Create case"]["action_id"] == HOME_CREATE_CASE_ACTION
        and buttons["Create case"]["value"] == "C1"
    )
    assert buttons["Search cases"]["action_id"] == HOME_SEARCH_CASES_ACTION
    assert "in <#C1>" in text_of(view["blocks"])
    # Not an admin: no configuration, no menus, no next step.
    assert not elements(view, "overflow") and "*AWS accounts*" not in text_of(view["blocks"])
    assert "Next:" not in text_of(view["blocks"])


def test_in_several_channels_a_select_says_where_the_buttons_act() -> None:
    view = home_view(overview(my_channels=[OPS, DEV]))
    [select] = elements(view, "static_select")
    assert select["action_id"] == HOME_CHANNEL_ACTION
    assert [o["text"]["text"] for o in select["options"]] == ["#aws-support-ops", "#dev-support"]
    assert select["initial_option"]["value"] == "C1"


def test_someone_in_no_configured_channel_is_told_how_to_get_one() -> None:
    view = home_view(overview(my_channels=[]))
    assert not elements(view, "button")
    assert "Ask a workspace admin to run `/aws-support configure-channel`" in text_of(view["blocks"])


def test_the_viewers_recent_cases_are_listed_with_their_channel() -> None:
    recent = [OpenedCase(WORKSPACE, "210987654321", "case-1", "1700000001", "Disk <full>", "U42", "C1", AT)]
    text = text_of(home_view(overview(recent=recent))["blocks"])
    assert "*Your recent cases*" in text and "*1700000001* Disk &lt;full&gt; · <#C1>" in text
    assert "Cases you open appear here." in text_of(home_view(overview())["blocks"])


def test_admins_get_compact_sections_with_menus_and_each_heading_once() -> None:
    view = home_view(overview(admin=True))
    text = text_of(view["blocks"])
    assert text.count("AWS accounts") == 1 and text.count("*Channels*") == 1
    assert "*AWS accounts* (1)" in text and "*Channels* (2)" in text
    assert "role `AWSSupportSlackRole`" in text and ROLE not in text  # the role's name, not its ARN
    assert " — " not in text
    menus = elements(view, "overflow")
    assert [m["action_id"] for m in menus] == [
        HOME_ACCOUNT_MENU_ACTION,
        HOME_CHANNEL_MENU_ACTION,
        HOME_CHANNEL_MENU_ACTION,
    ]
    assert [o["text"]["text"] for o in menus[0]["options"]] == ["Edit name", "Remove…"]
    assert [o["value"] for o in menus[1]["options"]] == ["edit|C1|210987654321", "remove|C1|210987654321"]
    assert not [b for b in elements(view, "button") if b.get("style") == "danger"]


def test_a_next_step_only_when_there_is_one() -> None:
    assert "Next:" not in text_of(home_view(overview(admin=True))["blocks"])
    assert "Next: in a private channel" in text_of(home_view(overview(admin=True, channels=[]))["blocks"])
    none = text_of(home_view(overview(admin=True, accounts=[], channels=[]))["blocks"])
    assert "Next: authorize an AWS account" in none


def test_the_chosen_channel_is_what_the_buttons_act_in() -> None:
    view = home_view(overview(my_channels=[OPS, DEV]), chosen_channel="C2")
    [select] = elements(view, "static_select")
    assert select["initial_option"]["value"] == "C2"
    assert {b["value"] for b in elements(view, "button")} == {"C2"}
    forged = home_view(overview(my_channels=[OPS, DEV]), chosen_channel="C9")  # not one of theirs
    assert {b["value"] for b in elements(forged, "button")} == {"C1"}
