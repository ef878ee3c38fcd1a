"""Type-ahead options of "Create a support case": services, the chosen service's categories, severity levels."""

from __future__ import annotations

from bolt_app.blocks.cases.forms import category_options
from bolt_app.blocks.cases.forms import service_options
from bolt_app.blocks.cases.forms import severity_options
from bolt_app.blocks.cases.readers import read_case_form
from bolt_app.services.cases.models import SupportService
from bolt_app.services.cases.service import CaseService
from bolt_app.services.channels import ChannelService
from bolt_app.services.context import ChannelAccount
from listeners.case_flow import view_state
from listeners.common import account_of
from listeners.common import slack_actor
from listeners.errors import Options
from listeners.errors import reason_option
from listeners.requests import OptionsRequest
from listeners.requests import on_options


async def _account(request: OptionsRequest, channels: ChannelService) -> ChannelAccount:
    view = request.view
    channel_id = view_state(view).channel_id
    return await account_of(channels, request.context, channel_id, read_case_form(view["state"]).account_id)


async def _services(
    request: OptionsRequest, channels: ChannelService, cases: CaseService
) -> list[SupportService]:
    return await cases.services(await _account(request, channels), slack_actor(request.context))


@on_options
async def case_service_options(
    request: OptionsRequest, channels: ChannelService, cases: CaseService
) -> Options:
    return service_options(await _services(request, channels, cases), request.typed or "")


@on_options
async def case_category_options(
    request: OptionsRequest, channels: ChannelService, cases: CaseService
) -> Options:
    service_code = read_case_form(request.view["state"]).service_code
    if not service_code:
        return [reason_option("Choose the service first")]
    services = await _services(request, channels, cases)
    return category_options(services, service_code, request.typed or "")


@on_options
async def case_severity_options(
    request: OptionsRequest, channels: ChannelService, cases: CaseService
) -> Options:
    account = await _account(request, channels)
    return severity_options(await cases.severity_levels(account, slack_actor(request.context)))
