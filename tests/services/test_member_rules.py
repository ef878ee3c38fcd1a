"""The member rules: who counts as listed or an admin, the 60-second group cache, and the words of a refusal."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bolt_app.services.choice import Choice
from bolt_app.services.context import ChannelAccount
from bolt_app.services.context import SlackActor
from bolt_app.services.member_policy import parse_policy
from bolt_app.services.member_rules import MemberRefused
from bolt_app.services.member_rules import MemberRules
from storage.workspaces import WorkspaceKey

WORKSPACE = WorkspaceKey("", "T0001")
HOSTILE = "<!channel> & <@U999>"
CHANNEL = ChannelAccount(
    WORKSPACE, "C1", HOSTILE, "210987654321", HOSTILE, "arn:aws:iam::210987654321:role/R", "x"
)


class Groups:
    """What Slack answers for user groups, counting the questions."""

    def __init__(self, members: dict[str, set[str]]) -> None:
        self.members = members
        self.asked = 0

    async def group_members(self, workspace: WorkspaceKey, group_id: str) -> frozenset[str]:
        self.asked += 1
        return frozenset(self.members.get(group_id, set()))

    async def is_admin_or_owner(self, workspace: WorkspaceKey, user_id: str) -> bool:
        return user_id == "U0OWNER"

    async def groups(self, workspace: WorkspaceKey) -> list[Choice]:
        return [Choice(g, f"@{g.lower()} (Group)") for g in self.members]


def actor(user_id: str, home: WorkspaceKey = WORKSPACE) -> SlackActor:
    return SlackActor(WORKSPACE, user_id, user_id, home=home)


async def test_group_membership_is_cached_at_most_60_seconds() -> None:
    now = [0.0]
    groups = Groups({"S0ONCALL": {"U0A"}})
    rules = MemberRules(groups, None, clock=lambda: now[0])
    channel = replace(CHANNEL, members=parse_policy({"resolve": ["S0ONCALL"]}))
    assert await rules.allows(channel, actor("U0A"), "resolve")
    groups.members["S0ONCALL"] = {"U0B"}
    now[0] = 59.0
    assert await rules.allows(channel, actor("U0A"), "resolve") and groups.asked == 1  # from the cache
    now[0] = 60.5
    assert not await rules.allows(channel, actor("U0A"), "resolve")  # read again
    assert await rules.allows(channel, actor("U0B"), "resolve") and groups.asked == 2


async def test_admins_are_slack_admins_of_the_installing_workspace_only() -> None:
    rules = MemberRules(Groups({}), None)
    channel = replace(CHANNEL, members=parse_policy({"quota": "admins"}))
    assert await rules.allows(channel, actor("U0OWNER"), "quota")
    assert not await rules.allows(channel, actor("U0A"), "quota")
    # An owner of another organization in a Slack Connect channel is not one of ours.
    assert not await rules.allows(channel, actor("U0OWNER", WorkspaceKey("", "T0OTHER")), "quota")


async def test_a_refusal_names_the_rule_and_escapes_the_names_it_shows() -> None:
    rules = MemberRules(Groups({}), None)
    channel = replace(CHANNEL, members=parse_policy({"reply": ["U0A", "S0ONCALL"]}))
    with pytest.raises(MemberRefused) as refused:
        await rules.require(channel, actor("U0B"), "reply")
    message = refused.value.message
    assert "<!channel>" not in message and "&lt;!channel&gt; &amp; &lt;@U999&gt;" in message
    assert "only <@U0A>, <!subteam^S0ONCALL> can reply to cases" in message
    assert "“Who can reply”" in message and refused.value.rule == "reply"
