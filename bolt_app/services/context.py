"""Values that say where and as whom a request runs; they cross from listeners into every AWS-facing service."""

from __future__ import annotations

from dataclasses import dataclass

from storage.workspaces import ChannelKey, WorkspaceKey


@dataclass(frozen=True)
class Actor:
    """Who is changing the workspace's configuration: a Slack user of the workspace, or an operator.

    `slack_admin` is what Slack said of the user (an admin or owner of the workspace); a Slack user who is not
    may still be one of the app's admins listed for the workspace. An operator (the command line) has the
    authority of whoever can run the app's commands, so the admin check does not apply to it."""

    workspace: WorkspaceKey
    user_id: str
    slack_admin: bool = False
    operator: bool = False

    @classmethod
    def at_command_line(cls, workspace: WorkspaceKey, label: str) -> Actor:
        return cls(workspace, label, operator=True)

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

    @property
    def channel(self) -> ChannelKey:
        return ChannelKey(self.workspace, self.channel_id)


@dataclass(frozen=True)
class SlackActor:
    """The Slack user acting; `name` ends up in case bodies ("Submitted from Slack by …")."""

    workspace: WorkspaceKey
    user_id: str
    name: str

    @property
    def team_for_session(self) -> str:
        return self.workspace.team_id or self.workspace.enterprise_id
