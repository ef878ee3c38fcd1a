"""`configure-channel`: attach AWS accounts and IAM roles to this channel."""

from __future__ import annotations

from bolt_app.blocks.channels import channel_configurations_blocks
from listeners.channel_flows import configurable_channel, open_configure_modal
from listeners.commands.aws_support import CommandRequest, subcommand
from listeners.common import admin_user, explain_errors, services_of, workspace_of


@subcommand(
    "configure-channel", "attach an AWS account and IAM role to this channel (admins)", ("configure",)
)
async def configure_channel_subcommand(request: CommandRequest) -> None:
    await request.ack()

    async def work() -> None:
        await admin_user(request.context, request.client, "configure channels")
        channel = await configurable_channel(request.client, request.channel_id)
        rows = await services_of(request.context).channels.for_channel(
            workspace_of(request.context), channel.id
        )
        if rows:
            blocks = channel_configurations_blocks(rows, channel.name, admin=True)
            await request.say_ephemeral(f"#{channel.name} is configured for {len(rows)} AWS accounts", blocks)
        else:
            await open_configure_modal(request.client, request.context, request.trigger_id, channel)

    await explain_errors(request.say_ephemeral, work)
