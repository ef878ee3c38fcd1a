"""`configure-channel`: attach AWS accounts and IAM roles to this channel."""

from __future__ import annotations

from bolt_app.blocks.channels import channel_configurations_blocks
from bolt_app.services.channels import ChannelService
from bolt_app.services.channels import ConfigureForm
from bolt_app.slack.directory import channel_info
from listeners.channel_flows import open_configure_modal
from listeners.commands.aws_support import IN_REPLY
from listeners.commands.aws_support import CommandRequest
from listeners.commands.aws_support import subcommand
from listeners.common import acting_user
from listeners.errors import shows_errors


@subcommand(
    "configure-channel", "attach an AWS account and IAM role to this channel", ("configure",), admin=True
)
@shows_errors(IN_REPLY)
async def configure_channel_subcommand(request: CommandRequest, channels: ChannelService) -> None:
    await request.ack()
    actor = await acting_user(request.client, request.context)
    setup = await channels.start_configuring(actor, await channel_info(request.client, request.channel_id))
    if isinstance(setup, ConfigureForm):
        await open_configure_modal(request.client, request.trigger_id, setup)
        return
    name, rows = setup.channel.name, setup.rows
    blocks = channel_configurations_blocks(rows, name, admin=True)
    await request.say_ephemeral(f"#{name} is configured for {len(rows)} AWS accounts", blocks)
