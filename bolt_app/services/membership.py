"""Who may use a workspace's AWS Support configuration: its own members, never a guest from another organization.

As AWS's app does ("only the first workspace that configured it can use it"): in a Slack Connect channel the
configuration belongs to one workspace, and members of the other organizations in the channel are refused every
AWS call and every admin change, whatever the channel's role would allow.

Between workspaces of one Enterprise Grid org the install decides: a workspace-level install is used by members of
that workspace only (a member of a sibling workspace in an org-shared channel is refused, as AWS's app refuses a
second workspace); an org-wide install (team "") by any member of the org (same enterprise ID).
"""

from __future__ import annotations

from bolt_app.errors import UserFacingError
from bolt_app.services.context import ChannelAccount
from bolt_app.services.context import SlackActor
from storage.workspaces import WorkspaceKey


class NotAMember(UserFacingError):
    """The acting user belongs to another workspace or organization than the one whose configuration it is."""


def belongs_to(home: WorkspaceKey, workspace: WorkspaceKey) -> bool:
    if not workspace.team_id:  # org-wide install
        return bool(workspace.enterprise_id) and home.enterprise_id == workspace.enterprise_id
    return home.team_id == workspace.team_id


def require_member(channel: ChannelAccount, actor: SlackActor) -> None:
    """Before any AWS call with the channel's role: the user must belong to the installing workspace and to the
    workspace that owns the channel's configuration."""
    if belongs_to(actor.home, actor.workspace) and belongs_to(actor.home, channel.workspace):
        return
    owner = channel.owner_shown
    raise NotAMember(
        f"This channel's AWS Support configuration belongs to {owner}; only its members can use it. "
        f"An admin of {owner} can change the channel's configuration (`/aws-support configure-channel`); "
        "to open AWS Support cases from your own organization, install AWS Support in your workspace and "
        "configure a channel of your own."
    )


def not_a_member_of(workspace_name: str) -> NotAMember:
    return NotAMember(
        f"This workspace's AWS Support configuration belongs to {workspace_name}; only its members can change "
        f"it, and you belong to another workspace or organization. Ask an admin of {workspace_name}."
    )
