"""Type-ahead options of "Increase service quota": services of the Region, adjustable quotas of the service."""

from __future__ import annotations

from bolt_app.blocks.quotas import REGION_ACTION
from bolt_app.blocks.quotas import REGION_BLOCK
from bolt_app.blocks.quotas import quota_options
from bolt_app.blocks.quotas import service_options
from bolt_app.services.channels import ChannelService
from bolt_app.services.context import ChannelAccount
from bolt_app.services.quotas.service import QuotaService
from listeners.common import account_of
from listeners.common import read_metadata
from listeners.common import slack_actor
from listeners.errors import Options
from listeners.errors import reason_option
from listeners.quota_form import chosen
from listeners.quota_form import chosen_account_id
from listeners.quota_form import chosen_service
from listeners.requests import OptionsRequest
from listeners.requests import on_options


async def _where(request: OptionsRequest, channels: ChannelService) -> tuple[ChannelAccount, str]:
    view = request.view
    channel_id = read_metadata(view).get("channel_id", "")
    account = await account_of(channels, request.context, channel_id, chosen_account_id(view["state"]))
    region = chosen(view["state"], REGION_BLOCK, REGION_ACTION)
    return account, region.code if region else "us-east-1"


@on_options
async def quota_service_options(
    request: OptionsRequest, channels: ChannelService, quotas: QuotaService
) -> Options:
    account, region = await _where(request, channels)
    choices = await quotas.services(account, slack_actor(request.context), region, request.typed)
    return service_options(choices)


@on_options
async def quota_code_options(
    request: OptionsRequest, channels: ChannelService, quotas: QuotaService
) -> Options:
    account, region = await _where(request, channels)
    service = chosen_service(request.view["state"])
    if service is None:
        return [reason_option("Choose a service first")]
    found = await quotas.quotas(account, slack_actor(request.context), region, service.code, request.typed)
    return quota_options(found)
