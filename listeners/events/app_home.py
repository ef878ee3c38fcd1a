"""App Home shows the workspace's configuration; refreshed when opened and after configuration changes."""

from __future__ import annotations

from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bolt_app.blocks.channels import workspace_channels_blocks
from bolt_app.blocks.home import home_view
from bolt_app.services.admins import is_admin
from bolt_app.slack_directory import user_info
from listeners.common import services_of, workspace_of


async def publish_home(client: AsyncWebClient, context: AsyncBoltContext, user_id: str) -> None:
    services = services_of(context)
    key = workspace_of(context)
    accounts = await services.accounts.list(key)
    admin = is_admin(await user_info(client, user_id), await services.workspaces.get(key))
    channels = workspace_channels_blocks(await services.channels.for_workspace(key), admin)
    await client.views_publish(user_id=user_id, view=home_view(accounts, admin, channels))


async def app_home_opened_callback(
    event: dict[str, str], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    if event.get("tab", "home") == "home":
        await publish_home(client, context, event["user"])
