"""Type-ahead options of "Create a support case": services, the chosen service's categories, severity levels."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from bolt_app.blocks.cases.forms import category_options, service_options, severity_options
from bolt_app.blocks.cases.readers import read_case_form
from bolt_app.services.cases.models import SupportService
from bolt_app.services.cases.service import CaseService
from bolt_app.services.channels import ChannelService
from bolt_app.services.context import ChannelAccount
from listeners.case_flow import view_state
from listeners.common import account_of, slack_actor
from listeners.errors import Options, answers_options, reason_option


async def _account(
    body: dict[str, Any], context: AsyncBoltContext, channels: ChannelService
) -> ChannelAccount:
    view = body["view"]
    channel_id = view_state(view).channel_id
    return await account_of(channels, context, channel_id, read_case_form(view["state"]).account_id)


async def _services(
    body: dict[str, Any], context: AsyncBoltContext, channels: ChannelService, cases: CaseService
) -> list[SupportService]:
    return await cases.services(await _account(body, context, channels), slack_actor(context))


@answers_options
async def case_service_options(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    channels: ChannelService,
    cases: CaseService,
) -> Options:
    return service_options(await _services(body, context, channels, cases), body.get("value") or "")


@answers_options
async def case_category_options(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    channels: ChannelService,
    cases: CaseService,
) -> Options:
    service_code = read_case_form(body["view"]["state"]).service_code
    if not service_code:
        return [reason_option("Choose the service first")]
    services = await _services(body, context, channels, cases)
    return category_options(services, service_code, body.get("value") or "")


@answers_options
async def case_severity_options(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    channels: ChannelService,
    cases: CaseService,
) -> Options:
    account = await _account(body, context, channels)
    return severity_options(await cases.severity_levels(account, slack_actor(context)))
