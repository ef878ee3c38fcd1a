"""Values that say where and as whom a request runs; they cross from listeners into every AWS-facing service."""

from __future__ import annotations

from dataclasses import dataclass

from storage.workspaces import ChannelKey, WorkspaceKey


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
