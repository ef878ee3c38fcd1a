"""Type-ahead options of "Increase service quota": services of the Region, adjustable quotas of the service."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from bolt_app.blocks.quotas import REGION_ACTION, REGION_BLOCK, quota_options, service_options
from bolt_app.errors import UserFacingError
from bolt_app.services.channels import ChannelService
from bolt_app.services.context import ChannelAccount
from bolt_app.services.quotas.service import QuotaService
from listeners.common import account_of, message_option, read_metadata, slack_actor
from listeners.quota_form import chosen, chosen_account_id, chosen_service


async def _where(
    body: dict[str, Any], context: AsyncBoltContext, channels: ChannelService
) -> tuple[ChannelAccount, str]:
    view = body["view"]
    channel_id = read_metadata(view).get("channel_id", "")
    account = await account_of(channels, context, channel_id, chosen_account_id(view["state"]))
    region = chosen(view["state"], REGION_BLOCK, REGION_ACTION)
    return account, region.code if region else "us-east-1"


async def quota_service_options(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    channels: ChannelService,
    quotas: QuotaService,
) -> None:
    try:
        account, region = await _where(body, context, channels)
        choices = await quotas.services(account, slack_actor(context), region, body.get("value"))
        await ack(options=service_options(choices))
    except UserFacingError as e:
        await ack(options=[message_option(e.message)])


async def quota_code_options(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    channels: ChannelService,
    quotas: QuotaService,
) -> None:
    try:
        account, region = await _where(body, context, channels)
        service = chosen_service(body["view"]["state"])
        if service is None:
            await ack(options=[message_option("Choose a service first")])
            return
        found = await quotas.quotas(account, slack_actor(context), region, service.code, body.get("value"))
        await ack(options=quota_options(found))
    except UserFacingError as e:
        await ack(options=[message_option(e.message)])
