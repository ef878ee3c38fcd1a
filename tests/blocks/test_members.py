"""The "Who can…" section: what it shows for a policy, and what its reader makes of what Slack submits."""

from __future__ import annotations

from typing import Any

import pytest

from bolt_app.blocks.members import members_summary
from bolt_app.blocks.members import read_who_can
from bolt_app.blocks.members import who_can_blocks
from bolt_app.errors import UserFacingError
from bolt_app.services.member_policy import MemberPolicy
from bolt_app.services.member_policy import parse_policy

POLICY = parse_policy(
    {
        "resolve": ["U0CHIEF", "S0ONCALL"],
        "quota": "admins",
        "max_severity": "urgent",
        "critical_allowed": ["S0ONCALL"],
    }
)


def submitted(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    """The state Slack submits for the section as it was shown (initial values kept)."""
    values: dict[str, Any] = {}
    for block in blocks:
        element = block.get("element")
        if block["type"] != "input" or element is None:
            continue
        if element["type"] == "static_select":
            state = {"type": "static_select", "selected_option": element["initial_option"]}
        elif element["type"] == "multi_users_select":
            state = {"type": "multi_users_select", "selected_users": element.get("initial_users", [])}
        else:
            state = {"type": element["type"], "selected_options": element.get("initial_options", [])}
        values[block["block_id"]] = {element["action_id"]: state}
    return {"values": values}


@pytest.mark.parametrize("policy", [MemberPolicy(), POLICY])
def test_the_section_as_shown_reads_back_as_the_same_policy(policy: MemberPolicy) -> None:
    assert read_who_can(submitted(who_can_blocks(policy))) == policy


def test_pickers_show_only_for_listed_rules_and_a_ceiling() -> None:
    ids = [b.get("block_id") for b in who_can_blocks(POLICY)]
    assert "who_resolve_people" in ids and "who_critical_allowed_groups" in ids
    assert "who_create_people" not in ids and "who_quota_groups" not in ids
    assert not any(
        i and i.startswith("who_critical_allowed")
        for i in (b.get("block_id") for b in who_can_blocks(MemberPolicy()))
    )


def test_a_listed_rule_without_anyone_is_a_field_error_and_a_half_made_one_is_kept_while_picking() -> None:
    state = submitted(who_can_blocks(parse_policy({"reply": ["U0CHIEF"]})))
    state["values"]["who_reply_people"]["value"]["selected_users"] = []
    with pytest.raises(UserFacingError) as refused:
        read_who_can(state)
    assert refused.value.field == "who_reply" and "Who can reply" in refused.value.message
    assert read_who_can(state, complete=False).reply.kind == "listed"


def test_lists_summarise_only_a_narrowed_policy() -> None:
    assert members_summary(None) is None
    assert members_summary({"quota": "admins"}) == "who can: quotas: the app's admins"


def test_app_homes_channel_list_shows_the_summary() -> None:
    from bolt_app.blocks.channels import workspace_channels_blocks
    from storage.channels import ChannelConfigRow
    from storage.workspaces import WorkspaceKey

    row = ChannelConfigRow(
        WorkspaceKey("", "T1"), "C1", "ops", "210987654321", None, "arn:aws:iam::210987654321:role/R",
        members={"resolve": ["S0ONCALL"]},
    )  # fmt: skip
    [_heading, line] = workspace_channels_blocks([row], admin=True)
    assert line["text"]["text"].endswith("\nWho can: resolve/reopen: <!subteam^S0ONCALL>")
