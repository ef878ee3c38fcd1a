"""Opening "Configure channel" from the command, its buttons and App Home."""

from __future__ import annotations

from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bolt_app.blocks.accounts import metadata
from bolt_app.blocks.channels import configure_channel_modal
from bolt_app.errors import UserFacingError
from bolt_app.services.channels import check_channel_kind
from bolt_app.slack_directory import SlackChannel, channel_info
from listeners.common import services_of, workspace_of
from storage.accounts import AUTHORIZED
from storage.workspaces import ChannelKey


async def configurable_channel(client: AsyncWebClient, channel_id: str) -> SlackChannel:
    return check_channel_kind(await channel_info(client, channel_id))


async def open_configure_modal(
    client: AsyncWebClient,
    context: AsyncBoltContext,
    trigger_id: str,
    channel: SlackChannel,
    account_id: str | None = None,
) -> None:
    """Opens the modal, prefilled with the channel's configuration for `account_id` when there is one."""
    services = services_of(context)
    key = workspace_of(context)
    accounts = [a for a in await services.accounts.list(key) if a.state == AUTHORIZED]
    if not accounts:
        raise UserFacingError(
            "No AWS account has authorized this workspace yet: run `/aws-support authorize-account` first."
        )
    existing = (
        await services.channels.repository.get(ChannelKey(key, channel.id), account_id)
        if account_id
        else None
    )
    if account_id is None and len(accounts) == 1:
        account_id = accounts[0].account.account_id
    chosen = next((a for a in accounts if a.account.account_id == account_id), None)
    view = configure_channel_modal(
        accounts,
        metadata(channel_id=channel.id, channel_name=channel.name, public="" if channel.is_private else "1"),
        channel_name=channel.name,
        public=not channel.is_private,
        account_id=account_id,
        role_arn=existing.role_arn if existing else (chosen.verified_role_arn if chosen else None),
        notifications=existing.notifications if existing else None,
    )
    await client.views_open(trigger_id=trigger_id, view=view)
