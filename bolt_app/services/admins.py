"""Who may change the workspace's AWS configuration."""

from __future__ import annotations

from bolt_app.errors import UserFacingError
from bolt_app.services.context import Actor
from storage.workspaces import WorkspaceRow


def is_admin(actor: Actor, workspace: WorkspaceRow | None) -> bool:
    """Slack admins and owners, the users the workspace lists as the app's admins, and operators."""
    listed = workspace is not None and actor.user_id in workspace.admin_user_ids
    return actor.operator or actor.slack_admin or listed


def require_admin(actor: Actor, workspace: WorkspaceRow | None, what: str) -> None:
    if not is_admin(actor, workspace):
        raise UserFacingError(
            f"Only Slack workspace admins and owners (or the app's admins, set with "
            f"`aws-support-slack workspaces admins`) can {what}. Ask one of them."
        )
