"""Who may change the workspace's AWS configuration."""

from __future__ import annotations

from bolt_app.errors import UserFacingError
from bolt_app.slack_directory import SlackUser
from storage.workspaces import WorkspaceRow


def is_admin(user: SlackUser, workspace: WorkspaceRow | None) -> bool:
    listed = workspace is not None and user.id in workspace.admin_user_ids
    return user.is_admin or user.is_owner or listed


def require_admin(user: SlackUser, workspace: WorkspaceRow | None, what: str) -> None:
    if not is_admin(user, workspace):
        raise UserFacingError(
            f"Only Slack workspace admins and owners (or the app's admins, set with "
            f"`aws-support-slack workspaces admins`) can {what}. Ask one of them."
        )
