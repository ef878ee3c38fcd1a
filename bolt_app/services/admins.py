"""Who may change the workspace's AWS configuration."""

from __future__ import annotations

from bolt_app.errors import UserFacingError
from bolt_app.services.context import Actor
from bolt_app.services.membership import belongs_to
from bolt_app.services.membership import not_a_member_of
from storage.workspaces import WorkspaceRow


def is_admin(actor: Actor, workspace: WorkspaceRow | None) -> bool:
    """Slack admins and owners, the users the workspace lists as the app's admins, and operators; a Slack user
    only while they belong to the installing workspace (an admin of another organization in a Slack Connect
    channel is not one of ours)."""
    if actor.operator:
        return True
    listed = workspace is not None and actor.user_id in workspace.admin_user_ids
    return belongs_to(actor.home, actor.workspace) and (actor.slack_admin or listed)


def require_admin(actor: Actor, workspace: WorkspaceRow | None, what: str) -> None:
    if not actor.operator and not belongs_to(actor.home, actor.workspace):
        name = (
            workspace.team_name
            if workspace and workspace.team_name
            else "the workspace that installed AWS Support"
        )
        raise not_a_member_of(name)
    if not is_admin(actor, workspace):
        raise UserFacingError(
            f"Only Slack workspace admins and owners (or the app's admins, set with "
            f"`aws-support-slack workspaces admins`) can {what}. Ask one of them."
        )
