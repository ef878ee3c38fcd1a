"""`service-quota-increase`: opens "Increase service quota" at once; AWS is asked only after."""

from __future__ import annotations

from bolt_app.blocks.quotas import quota_modal
from bolt_app.services.channels import ChannelService
from bolt_app.services.quotas.fields import DEFAULT_REGION
from bolt_app.services.quotas.service import QuotaService
from listeners.commands.aws_support import IN_REPLY
from listeners.commands.aws_support import CommandRequest
from listeners.commands.aws_support import subcommand
from listeners.common import channel_accounts
from listeners.common import slack_actor
from listeners.errors import shows_errors
from listeners.quota_form import metadata


@subcommand("service-quota-increase", "request a service quota increase", ("quota",))
@shows_errors(IN_REPLY)
async def service_quota_increase_subcommand(
    request: CommandRequest, channels: ChannelService, quotas: QuotaService
) -> None:
    await request.ack()
    accounts = await channel_accounts(channels, request.context, request.channel_id)
    view = quota_modal(accounts, None, None, None, None, metadata=metadata(request.channel_id))
    await request.client.views_open(trigger_id=request.trigger_id, view=view)
    # Warm the service list of the default Region while the user reads the modal, so the first
    # type-ahead answers from the cache well within Slack's 3 seconds.
    await quotas.services(accounts[0], slack_actor(request.context), DEFAULT_REGION, None)
