"""Type-ahead options of "Create a support case": services, the chosen service's categories, severity levels."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from bolt_app.blocks.cases.forms import category_options, service_options, severity_options
from bolt_app.blocks.cases.readers import read_case_form
from bolt_app.errors import UserFacingError
from bolt_app.services.context import ChannelAccount
from listeners.case_flow import account_of, view_state
from listeners.common import message_option, services_of, slack_actor, unexpected_error_text


async def _account(body: dict[str, Any], context: AsyncBoltContext) -> ChannelAccount:
    view = body["view"]
    return await account_of(context, view_state(view).channel_id, read_case_form(view["state"]).account_id)


Options = list[dict[str, Any]]


async def _answer(ack: AsyncAck, options: Callable[[], Awaitable[Options]]) -> None:
    try:
        await ack(options=await options())
    except UserFacingError as e:
        await ack(options=[message_option(e.message)])
    except Exception as e:  # noqa: BLE001 - an options request must be answered, or Slack shows nothing
        await ack(options=[message_option(unexpected_error_text(e))])


async def case_service_options(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    async def options() -> Options:
        services = await services_of(context).cases.services(
            await _account(body, context), slack_actor(context)
        )
        return service_options(services, body.get("value") or "")

    await _answer(ack, options)


async def case_category_options(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    async def options() -> Options:
        service_code = read_case_form(body["view"]["state"]).service_code
        if not service_code:
            return [message_option("Choose the service first")]
        services = await services_of(context).cases.services(
            await _account(body, context), slack_actor(context)
        )
        return category_options(services, service_code, body.get("value") or "")

    await _answer(ack, options)


async def case_severity_options(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    async def options() -> Options:
        account = await _account(body, context)
        return severity_options(
            await services_of(context).cases.severity_levels(account, slack_actor(context))
        )

    await _answer(ack, options)
