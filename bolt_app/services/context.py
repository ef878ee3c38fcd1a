"""Values that say where and as whom a request runs; they cross from listeners into every AWS-facing service."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from bolt_app.services.member_policy import MemberPolicy
from storage.workspaces import ChannelKey
from storage.workspaces import WorkspaceKey


@dataclass(frozen=True)
class Actor:
    """Who is changing the workspace's configuration: a Slack user of the workspace, or an operator.

    `slack_admin` is what Slack said of the user (an admin or owner of the workspace); a Slack user who is not
    may still be one of the app's admins listed for the workspace. An operator (the command line) has the
    authority of whoever can run the app's commands, so the admin check does not apply to it.

    `workspace` is the installation the request came through; `home` is the user's own workspace as the payload
    states it, which differs for a member of another organization in a Slack Connect channel."""

    workspace: WorkspaceKey
    user_id: str
    slack_admin: bool = False
    operator: bool = False
    home: WorkspaceKey = field(kw_only=True)

    @classmethod
    def at_command_line(cls, workspace: WorkspaceKey, label: str) -> Actor:
        return cls(workspace, label, operator=True, home=workspace)

    @classmethod
    def member(cls, workspace: WorkspaceKey, user_id: str, *, slack_admin: bool = False) -> Actor:
        """A user of the installing workspace itself."""
        return cls(workspace, user_id, slack_admin=slack_admin, home=workspace)

    @property
    def label(self) -> str:
        return self.user_id


@dataclass(frozen=True)
class ChannelAccount:
    """One AWS account configured on a channel: the role that channel acts with in that account."""

    workspace: WorkspaceKey
    channel_id: str
    channel_name: str
    account_id: str
    account_shown: str  # "Name (123456789012)", or the ID when the account has no name
    role_arn: str
    external_id: str
    workspace_name: str = ""  # the configuration's workspace as its members know it, for refusals
    members: MemberPolicy = field(default_factory=MemberPolicy)  # who in the channel may do what

    @property
    def owner_shown(self) -> str:
        return self.workspace_name or self.workspace.team_id or self.workspace.enterprise_id

    @property
    def channel(self) -> ChannelKey:
        return ChannelKey(self.workspace, self.channel_id)


@dataclass(frozen=True)
class SlackActor:
    """The Slack user acting; `name` ends up in case bodies ("Submitted from Slack by …"). `home` as in `Actor`."""

    workspace: WorkspaceKey
    user_id: str
    name: str
    home: WorkspaceKey = field(kw_only=True)
    handle: str = field(
        default="", kw_only=True
    )  # the username the payload gave, as the audit trail records it

    @classmethod
    def member(cls, workspace: WorkspaceKey, user_id: str, name: str) -> SlackActor:
        return cls(workspace, user_id, name, home=workspace)

    @property
    def team_for_session(self) -> str:
        return self.workspace.team_id or self.workspace.enterprise_id
