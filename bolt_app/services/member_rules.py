"""Enforcing a channel's member policy: whether the acting Slack user may create, reply, resolve or request quota
increases there, and up to which severity. Called by the services before any AWS call; a refusal says which rule
refused and who can change it, and the audited action records it (outcome "refused").

User-group membership comes from Slack (`usergroups.users.list`) through the `SlackPeople` port, cached at most
`GROUP_TTL_SECONDS` per workspace and group, and dropped at once when Slack says the group changed
(`forget_group`, from the `subteam_*` events).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from collections.abc import Iterable
from typing import Protocol

from cachetools import TTLCache

from bolt_app.errors import UserFacingError
from bolt_app.mrkdwn import escape
from bolt_app.services.admins import is_admin
from bolt_app.services.choice import Choice
from bolt_app.services.context import Actor
from bolt_app.services.context import ChannelAccount
from bolt_app.services.context import SlackActor
from bolt_app.services.member_policy import ACTION_WORDS
from bolt_app.services.member_policy import RULE_NAMES
from bolt_app.services.member_policy import SEVERITY_ORDER
from bolt_app.services.member_policy import Action
from bolt_app.services.member_policy import MemberPolicy
from bolt_app.services.member_policy import mention
from bolt_app.services.member_policy import severity_rank
from storage.workspaces import WorkspaceKey
from storage.workspaces import WorkspaceRepository

GROUP_TTL_SECONDS = 60.0
CONFIGURE = "`/aws-support configure-channel`"


class SlackPeople(Protocol):
    """What the rules ask Slack (the adapter uses the workspace's bot token)."""

    async def group_members(self, workspace: WorkspaceKey, group_id: str) -> frozenset[str]:
        """The user IDs of a user group (S…); UserFacingError when Slack cannot say."""
        ...

    async def is_admin_or_owner(self, workspace: WorkspaceKey, user_id: str) -> bool: ...

    async def groups(self, workspace: WorkspaceKey) -> list[Choice]:
        """The workspace's enabled user groups: ID and "@handle (name)"."""
        ...


class MemberRefused(UserFacingError):
    """The channel's member policy does not let this user do this; `rule` names the rule (a policy key)."""

    def __init__(self, message: str, rule: str, *, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.rule = rule


class NobodyInSlack:
    """For services built without Slack (tests of other rules, one-off commands): no groups, no Slack admins. A
    policy that lists groups then refuses, as it should when membership cannot be known."""

    async def group_members(self, workspace: WorkspaceKey, group_id: str) -> frozenset[str]:
        return frozenset()

    async def is_admin_or_owner(self, workspace: WorkspaceKey, user_id: str) -> bool:
        return False

    async def groups(self, workspace: WorkspaceKey) -> list[Choice]:
        return []


class MemberRules:
    def __init__(
        self,
        people: SlackPeople,
        workspaces: WorkspaceRepository | None,
        *,
        ttl_seconds: float = GROUP_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.people = people
        self.workspaces = workspaces
        self._groups: TTLCache[tuple[WorkspaceKey, str], frozenset[str]] = TTLCache(
            maxsize=10_000, ttl=ttl_seconds, timer=clock
        )
        self._group_lists: TTLCache[WorkspaceKey, list[Choice]] = TTLCache(
            maxsize=1_000, ttl=ttl_seconds, timer=clock
        )

    async def workspace_groups(self, workspace: WorkspaceKey, query: str = "") -> list[Choice]:
        """The user groups an admin may name in "Who can…" (the type-ahead), those matching `query` first."""
        groups = self._group_lists.get(workspace)
        if groups is None:
            groups = self._group_lists[workspace] = await self.people.groups(workspace)
        q = query.strip().lower().lstrip("@")
        return [g for g in groups if q in g.name.lower() or q == g.code.lower()]

    def forget_group(self, group_id: str) -> None:
        """Slack said the group's members or the group changed (group IDs are unique across workspaces)."""
        for key in [k for k in self._groups if k[1] == group_id]:
            self._groups.pop(key, None)
        self._group_lists.clear()  # a renamed or disabled group

    async def _members(self, workspace: WorkspaceKey, group_id: str) -> frozenset[str]:
        key = (workspace, group_id)
        cached = self._groups.get(key)
        if cached is None:
            cached = self._groups[key] = await self.people.group_members(workspace, group_id)
        return cached

    async def _listed(self, channel: ChannelAccount, actor: SlackActor, ids: Iterable[str]) -> bool:
        ids = list(ids)
        if actor.user_id in ids:
            return True
        for group in (i for i in ids if i.startswith("S")):
            if actor.user_id in await self._members(channel.workspace, group):
                return True
        return False

    async def _is_admin(self, channel: ChannelAccount, actor: SlackActor) -> bool:
        row = await self.workspaces.get(channel.workspace) if self.workspaces else None
        listed = row is not None and actor.user_id in row.admin_user_ids
        slack_admin = listed or await self.people.is_admin_or_owner(channel.workspace, actor.user_id)
        return is_admin(Actor(channel.workspace, actor.user_id, slack_admin, home=actor.home), row)

    async def allows(self, channel: ChannelAccount, actor: SlackActor, action: Action) -> bool:
        who = channel.members.who(action)
        if who.everyone:
            return True
        if who.kind == "admins":
            return await self._is_admin(channel, actor)
        return await self._listed(channel, actor, who.ids)

    async def require(self, channel: ChannelAccount, actor: SlackActor, action: Action) -> None:
        """MemberRefused naming the rule and who can change it, unless the policy lets `actor` do `action`."""
        if await self.allows(channel, actor, action):
            return
        who = channel.members.who(action)
        only = "the app's admins" if who.kind == "admins" else who.shown()
        raise MemberRefused(
            f"In #{escape(channel.channel_name or channel.channel_id)}, only {only} can {ACTION_WORDS[action]} "
            f"with AWS account {escape(channel.account_shown)} (the channel's “{RULE_NAMES[action]}” rule). Ask an app "
            f"admin to change “{RULE_NAMES[action]}” in {CONFIGURE}.",
            action,
        )

    async def severities(self, channel: ChannelAccount, actor: SlackActor, codes: Iterable[str]) -> list[str]:
        """Of `codes`, the severities `actor` may choose in this channel."""
        policy = channel.members
        if policy.max_severity is None:
            return list(codes)
        above = await self._listed(channel, actor, policy.critical_allowed)
        return policy.severities_for(codes, above)

    async def require_severity(
        self, channel: ChannelAccount, actor: SlackActor, code: str, field: str | None = None
    ) -> None:
        """MemberRefused (about the form's `field`) when `code` is above what `actor` may choose."""
        if not await self.severities(channel, actor, [code]):
            raise MemberRefused(severity_refusal(channel.members), "max_severity", field=field)


def severity_refusal(policy: MemberPolicy) -> str:
    allowed = [c for c in SEVERITY_ORDER if severity_rank(c) <= severity_rank(policy.max_severity or "")]
    above = ", ".join(mention(i) for i in policy.critical_allowed)
    return _severity_words(allowed, f"only {above} can" if above else "nobody can")


def offered_severity_error(offered: Iterable[str]) -> str:
    """A submission with a severity the form did not offer (forged): the same rule, before anything is sent."""
    return _severity_words(list(offered), "only the members it names can")


def _severity_words(allowed: list[str], above: str) -> str:
    return (
        f"Severity: in this channel you can choose {', '.join(allowed) or 'no severity'}; {above} go higher (the "
        f"channel's “{RULE_NAMES['max_severity']}” rule). Ask an app admin to change it in {CONFIGURE}."
    )
