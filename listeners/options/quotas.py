"""Type-ahead options of "Increase service quota": services of the Region, adjustable quotas of the service."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from bolt_app.blocks.quotas import REGION_ACTION, REGION_BLOCK, quota_options, service_options
from bolt_app.services.channels import ChannelService
from bolt_app.services.context import ChannelAccount
from bolt_app.services.quotas.service import QuotaService
from listeners.common import account_of, read_metadata, slack_actor
from listeners.errors import Options, answers_options, reason_option
from listeners.quota_form import chosen, chosen_account_id, chosen_service


async def _where(
    body: dict[str, Any], context: AsyncBoltContext, channels: ChannelService
) -> tuple[ChannelAccount, str]:
    view = body["view"]
    channel_id = read_metadata(view).get("channel_id", "")
    account = await account_of(channels, context, channel_id, chosen_account_id(view["state"]))
    region = chosen(view["state"], REGION_BLOCK, REGION_ACTION)
    return account, region.code if region else "us-east-1"


@answers_options
async def quota_service_options(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    channels: ChannelService,
    quotas: QuotaService,
) -> Options:
    account, region = await _where(body, context, channels)
    choices = await quotas.services(account, slack_actor(context), region, body.get("value"))
    return service_options(choices)


@answers_options
async def quota_code_options(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    channels: ChannelService,
    quotas: QuotaService,
) -> Options:
    account, region = await _where(body, context, channels)
    service = chosen_service(body["view"]["state"])
    if service is None:
        return [reason_option("Choose a service first")]
    found = await quotas.quotas(account, slack_actor(context), region, service.code, body.get("value"))
    return quota_options(found)
