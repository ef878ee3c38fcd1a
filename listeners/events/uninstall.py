"""`app_uninstalled` and `tokens_revoked`: forget the tokens, keep the workspace's configuration."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext

from bolt_app.services.workspaces import WorkspaceService


async def app_uninstalled_callback(context: AsyncBoltContext, workspaces: WorkspaceService) -> None:
    await workspaces.uninstall(context.enterprise_id, context.team_id, bool(context.is_enterprise_install))


async def tokens_revoked_callback(
    event: dict[str, Any], context: AsyncBoltContext, workspaces: WorkspaceService
) -> None:
    if event.get("tokens", {}).get("bot"):
        await workspaces.delete_tokens(
            context.enterprise_id, context.team_id, bool(context.is_enterprise_install)
        )
