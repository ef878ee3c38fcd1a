"""Opening "Configure channel" from the command, its buttons and App Home."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bolt_app.blocks.accounts import metadata
from bolt_app.blocks.channels import configure_channel_modal
from bolt_app.services.channels import ConfigureForm


async def open_configure_modal(client: AsyncWebClient, trigger_id: str, form: ConfigureForm) -> None:
    channel = form.channel
    view = configure_channel_modal(
        form.accounts,
        metadata(
            channel_id=channel.id,
            channel_name=channel.name,
            public="" if channel.is_private else "1",
            connect="1" if channel.is_ext_shared else "",
        ),
        channel_name=channel.name,
        public=not channel.is_private,
        shared_externally=channel.is_ext_shared,
        account_id=form.account_id,
        role_arn=form.role_arn,
        notifications=form.notifications,
        members=form.members,
    )
    await client.views_open(trigger_id=trigger_id, view=view)
