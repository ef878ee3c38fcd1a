"""`app_uninstalled` and `tokens_revoked`: forget the tokens, keep the workspace's configuration."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext


async def app_uninstalled_callback(context: AsyncBoltContext) -> None:
    await context["services"].workspaces.uninstall(
        context.enterprise_id, context.team_id, bool(context.is_enterprise_install)
    )


async def tokens_revoked_callback(event: dict[str, Any], context: AsyncBoltContext) -> None:
    if event.get("tokens", {}).get("bot"):
        await context["services"].workspaces.delete_tokens(
            context.enterprise_id, context.team_id, bool(context.is_enterprise_install)
        )
