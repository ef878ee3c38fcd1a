"""Channel configurations: attaching an authorized AWS account and one of its IAM roles to a Slack channel."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from dataclasses import field
from enum import Enum

from bolt_app.aws.sessions import RoleSessions
from bolt_app.errors import UserFacingError
from bolt_app.services.accounts import AccountService
from bolt_app.services.accounts import display_name
from bolt_app.services.accounts import parse_role_arn
from bolt_app.services.channel_fields import NOTIFICATIONS_FIELD
from bolt_app.services.channel_fields import SEVERITIES
from bolt_app.services.context import Actor
from bolt_app.services.context import ChannelAccount
from bolt_app.services.member_policy import MemberPolicy
from bolt_app.services.member_policy import stored_policy
from bolt_app.services.slack_facts import SlackChannel
from bolt_app.services.workspaces import WorkspaceService
from storage.accounts import AccountRow
from storage.accounts import AuthorizationRow
from storage.channels import ChannelConfigRow
from storage.channels import ChannelOwnedElsewhere
from storage.channels import ChannelRepository
from storage.channels import LimitReached
from storage.channels import Notifications
from storage.shared_loads import SharedLoadCache
from storage.workspaces import ChannelKey
from storage.workspaces import WorkspaceKey
from storage.workspaces import WorkspaceRow

CONFIGURATIONS_PER_ACCOUNT = 20
ACCOUNTS_PER_CHANNEL = 100


class NotificationRule(Enum):
    """The AWS Support App's rules (CreateSlackChannelConfiguration) a notification choice can break."""

    UNKNOWN_SEVERITY = "unknown severity"
    NOTHING_CHOSEN = "all or high without a kind of update"
    CHOSEN_WITH_NONE = "none with a kind of update"


def broken_notification_rule(n: Notifications) -> NotificationRule | None:
    """With All or High at least one kind of update must be chosen; with None, none may be."""
    chosen = n.on_create_or_reopen or n.on_correspondence or n.on_resolve
    if n.severity not in SEVERITIES:
        return NotificationRule.UNKNOWN_SEVERITY
    if n.severity in ("all", "high") and not chosen:
        return NotificationRule.NOTHING_CHOSEN
    if n.severity == "none" and chosen:
        return NotificationRule.CHOSEN_WITH_NONE
    return None


def validate_notifications(n: Notifications, field: str = NOTIFICATIONS_FIELD) -> Notifications:
    """The rules in the modal's words."""
    rule = broken_notification_rule(n)
    if rule is NotificationRule.UNKNOWN_SEVERITY:
        raise UserFacingError(f"Notifications must be one of: {', '.join(SEVERITIES.values())}.", field=field)
    if rule is NotificationRule.NOTHING_CHOSEN:
        raise UserFacingError(
            f"With “{SEVERITIES[n.severity]}”, choose at least one of: New and reopened cases, Case "
            "correspondences, Resolved cases.",
            field=field,
        )
    if rule is NotificationRule.CHOSEN_WITH_NONE:
        raise UserFacingError(
            "With notifications “None”, leave New and reopened cases, Case correspondences and Resolved cases "
            "unchecked (or pick All cases or High-severity cases).",
            field=field,
        )
    return n


def notifications_text(n: Notifications) -> str:
    if n.severity == "none":
        return "no notifications"
    kinds = [
        label
        for on, label in (
            (n.on_create_or_reopen, "new and reopened"),
            (n.on_correspondence, "correspondences"),
            (n.on_resolve, "resolved"),
        )
        if on
    ]
    return f"{SEVERITIES[n.severity].lower()}: {', '.join(kinds)}"


def configuration_line(row: ChannelConfigRow) -> str:
    account = AccountRow(row.account_id, row.account_name, None, None)
    return f"{display_name(account)} — `{row.role_arn}` — {notifications_text(row.notifications)}"


def check_channel_kind(channel: SlackChannel | None) -> SlackChannel:
    """Where a configuration may live: a channel the app can post in, not a direct message."""
    if channel is None:
        raise UserFacingError(
            "The app cannot see this channel: it is private and the app is not in it. Invite it first with "
            "`/invite @aws-support`, then run the command again."
        )
    if channel.is_im or channel.is_mpim:
        raise UserFacingError(
            "Direct messages cannot be configured: create a (private) channel for AWS Support and run the "
            "command there."
        )
    if channel.is_archived:
        raise UserFacingError("This channel is archived; unarchive it or use another channel.")
    if not channel.is_member:
        raise UserFacingError(
            f"The app is not a member of #{channel.name}, so it could not post case updates here. Invite it with "
            "`/invite @aws-support`, then run the command again."
        )
    return channel


@dataclass(frozen=True)
class ConfigureRequest:
    channel_id: str
    channel_name: str
    account_id: str
    role_arn: str | None  # None: the role verified when the account was authorized
    notifications: Notifications
    members: MemberPolicy = field(default_factory=MemberPolicy)  # who in the channel may do what


@dataclass(frozen=True)
class ConfigureForm:
    """What "Configure channel" opens with: the accounts to choose from and the values to prefill."""

    channel: SlackChannel
    accounts: list[AuthorizationRow]
    account_id: str | None
    role_arn: str | None
    notifications: Notifications | None
    members: MemberPolicy = field(default_factory=MemberPolicy)


@dataclass(frozen=True)
class ChannelConfigurations:
    """A channel's configurations, as `configure-channel` lists them."""

    channel: SlackChannel
    rows: list[ChannelConfigRow]


def channel_account(config: ChannelConfigRow, workspace: WorkspaceRow) -> ChannelAccount:
    """A channel's configuration for one account as the services act with it: the role, the workspace's
    External ID and name, and the channel's member policy."""
    return ChannelAccount(
        workspace=config.workspace,
        channel_id=config.channel_id,
        channel_name=config.channel_name,
        account_id=config.account_id,
        account_shown=display_name(AccountRow(config.account_id, config.account_name, None, None)),
        role_arn=config.role_arn,
        external_id=workspace.external_id,
        workspace_name=workspace.team_name,
        members=stored_policy(config.members),
    )


@dataclass(eq=False)
class ChannelService:
    repository: ChannelRepository
    accounts: AccountService
    workspaces: WorkspaceService
    role_sessions: RoleSessions
    # Every command in a channel needs its accounts before it can open a modal, whose trigger lives 3 s:
    # answering them from memory keeps the database off that path. This process's own changes drop the
    # entry at once; another process's when the composition root hears of them (the `forget_*` hooks), or
    # within the time-to-live when it does not. Concurrent misses of one channel (a burst) share one load.
    _accounts_cache: SharedLoadCache[ChannelKey, list[ChannelAccount]] = field(
        default_factory=lambda: SharedLoadCache(maxsize=10_000, ttl=10.0), init=False, repr=False
    )

    async def for_channel(self, key: WorkspaceKey, channel_id: str) -> list[ChannelConfigRow]:
        return await self.repository.for_channel(ChannelKey(key, channel_id))

    async def for_workspace(self, key: WorkspaceKey) -> list[ChannelConfigRow]:
        return await self.repository.for_workspace(key)

    async def channel_accounts(self, key: WorkspaceKey, channel_id: str) -> list[ChannelAccount]:
        """The accounts a channel acts with (for creating cases, searching, quotas). Empty when unconfigured."""
        channel = ChannelKey(key, channel_id)
        return await self._accounts_cache.get(channel, lambda: self._channel_accounts(channel))

    async def configured_accounts(self, key: WorkspaceKey, channel_id: str) -> list[ChannelAccount]:
        """The accounts a channel acts with; UserFacingError saying how to set it up when there are none."""
        accounts = await self.channel_accounts(key, channel_id)
        if not accounts:
            raise UserFacingError(
                "This channel is not set up for AWS Support yet. A Slack workspace admin can run "
                "`/aws-support configure-channel` here to attach an AWS account and IAM role "
                "(after `/aws-support authorize-account`)."
            )
        return accounts

    def forget_cached(self) -> None:
        """After changes made around `configure`/`remove` (a whole `channels apply`), or missed elsewhere."""
        self._accounts_cache.clear()

    def forget_channel(self, channel: ChannelKey) -> None:
        """The channel's configurations changed elsewhere."""
        self._accounts_cache.pop(channel)

    def forget_workspace(self, key: WorkspaceKey) -> None:
        """The workspace (installation, External ID, authorizations) changed elsewhere."""
        self._accounts_cache.forget_where(lambda channel, _: channel.workspace == key)

    def forget_account(self, account_id: str) -> None:
        """The AWS account (its name) changed elsewhere."""
        self._accounts_cache.forget_where(
            lambda _, accounts: any(a.account_id == account_id for a in accounts)
        )

    async def _channel_accounts(self, channel: ChannelKey) -> list[ChannelAccount]:
        rows = await self.repository.for_channel(channel)
        if not rows:
            return []
        workspace = await self.accounts.installed_workspace(channel.workspace)
        return [channel_account(row, workspace) for row in rows]

    async def start_configuring(
        self, actor: Actor, channel: SlackChannel | None
    ) -> ChannelConfigurations | ConfigureForm:
        """`configure-channel`: the channel's configurations when it has some, else the form for its first."""
        await self.workspaces.require_admin(actor, "configure channels")
        checked = check_channel_kind(channel)
        rows = await self.for_channel(actor.workspace, checked.id)
        return ChannelConfigurations(checked, rows) if rows else await self._form(actor, checked, None)

    async def configure_form(
        self, actor: Actor, channel: SlackChannel | None, account_id: str | None = None
    ) -> ConfigureForm:
        """The form for `channel`, prefilled with its configuration for `account_id` when there is one."""
        await self.workspaces.require_admin(actor, "configure channels")
        return await self._form(actor, check_channel_kind(channel), account_id)

    async def _form(self, actor: Actor, channel: SlackChannel, account_id: str | None) -> ConfigureForm:
        accounts = await self.accounts.authorized_accounts(actor.workspace)
        if not accounts:
            raise UserFacingError(
                "No AWS account has authorized this workspace yet: run `/aws-support authorize-account` first."
            )
        existing = (
            await self.repository.get(ChannelKey(actor.workspace, channel.id), account_id)
            if account_id
            else None
        )
        if account_id is None and len(accounts) == 1:
            account_id = accounts[0].account.account_id
        chosen = next((a for a in accounts if a.account.account_id == account_id), None)
        return ConfigureForm(
            channel=channel,
            accounts=accounts,
            account_id=account_id,
            role_arn=existing.role_arn if existing else (chosen.verified_role_arn if chosen else None),
            notifications=existing.notifications if existing else None,
            members=stored_policy(existing.members) if existing else MemberPolicy(),
        )

    async def prepare(self, actor: Actor, request: ConfigureRequest) -> ChannelConfigRow:
        """Checks everything but the limits and verifies the role with AWS; returns the row to save."""
        validate_notifications(request.notifications)
        auth = await self.accounts.authorized(actor.workspace, request.account_id)
        role_arn = (request.role_arn or "").strip() or auth.verified_role_arn
        if not role_arn:
            raise UserFacingError(
                f"AWS account {display_name(auth.account)} is authorized through its organization and has no "
                "verified role yet: enter the ARN of a role of that account.",
                field="role_arn",
            )
        if parse_role_arn(role_arn) != request.account_id:
            raise UserFacingError(
                f"The role must be in the chosen AWS account ({request.account_id}); this one is in "
                f"{parse_role_arn(role_arn)}.",
                field="role_arn",
            )
        await self.accounts.verify_role(role_arn, actor, display_name(auth.account))
        return ChannelConfigRow(
            workspace=actor.workspace,
            channel_id=request.channel_id,
            channel_name=request.channel_name,
            account_id=request.account_id,
            account_name=auth.account.account_name,
            role_arn=role_arn,
            notifications=request.notifications,
            created_by=actor.label,
            members=request.members.as_mapping(),
        )

    async def configure(self, actor: Actor, request: ConfigureRequest) -> ChannelConfigRow:
        await self.workspaces.require_admin(actor, "configure channels")
        row = await self.prepare(actor, request)
        try:
            await self.repository.save(
                row, per_account=CONFIGURATIONS_PER_ACCOUNT, per_channel=ACCOUNTS_PER_CHANNEL
            )
        except (LimitReached, ChannelOwnedElsewhere) as e:
            raise limit_error(e, {actor.workspace}) from e
        self.role_sessions.forget(row.role_arn)
        self._accounts_cache.pop(row.channel)
        return row

    async def remove(self, actor: Actor, channel_id: str, account_id: str) -> ChannelConfigRow:
        await self.workspaces.require_admin(actor, "configure channels")
        row = await self.repository.get(ChannelKey(actor.workspace, channel_id), account_id)
        if row is None:
            raise UserFacingError(f"This channel is not configured for AWS account {account_id}.")
        await self.repository.delete(*row.key)
        self.role_sessions.forget(row.role_arn)
        self._accounts_cache.pop(row.channel)
        return row


def limit_error(e: LimitReached | ChannelOwnedElsewhere, acting: Collection[WorkspaceKey]) -> UserFacingError:
    """The words for a refused configuration. Only channels of the `acting` workspaces are named; those of other
    workspaces (whose names, private channels included, are theirs) are only counted."""
    if isinstance(e, ChannelOwnedElsewhere):
        return UserFacingError(
            f"This channel is shared with another Slack workspace and belongs to {e.team_name}, which configured "
            "it first. Only that workspace can attach AWS accounts to it."
        )
    own = [r for r in e.existing if r.workspace in acting]
    listed = "; ".join(f"#{r.channel_name or r.channel_id} ({r.account_id})" for r in own[:25])
    others = len(e.existing) - len(own)
    if others:
        elsewhere = f"{others} channel{'s' if others != 1 else ''} of other Slack workspaces"
        listed = f"{listed} and {elsewhere}" if listed else elsewhere
    if e.what == "account":
        return UserFacingError(
            f"AWS account {e.existing[0].account_id if e.existing else ''} is already attached to {e.limit} "
            f"channels, the most one account can be: {listed}. Remove it from one of them first."
        )
    return UserFacingError(
        f"This channel already has {e.limit} AWS accounts, the most one channel can have: {listed}. Remove one first."
    )
