"""Type-ahead options of "Increase service quota": services of the Region, adjustable quotas of the service."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from bolt_app.blocks.quotas import REGION_ACTION, REGION_BLOCK, quota_options, service_options
from bolt_app.errors import UserFacingError
from listeners.common import (
    configured_accounts,
    message_option,
    pick_account,
    read_metadata,
    services_of,
    slack_actor,
)
from listeners.quota_form import chosen, chosen_account_id, chosen_service


async def _where(body: dict[str, Any], context: AsyncBoltContext) -> tuple[Any, str]:
    view = body["view"]
    accounts = await configured_accounts(context, read_metadata(view).get("channel_id", ""))
    account = pick_account(accounts, chosen_account_id(view["state"]))
    region = chosen(view["state"], REGION_BLOCK, REGION_ACTION)
    return account, region.code if region else "us-east-1"


async def quota_service_options(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    try:
        account, region = await _where(body, context)
        choices = await services_of(context).quotas.services(
            account, slack_actor(context), region, body.get("value")
        )
        await ack(options=service_options(choices))
    except UserFacingError as e:
        await ack(options=[message_option(e.message)])


async def quota_code_options(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    try:
        account, region = await _where(body, context)
        service = chosen_service(body["view"]["state"])
        if service is None:
            await ack(options=[message_option("Choose a service first")])
            return
        quotas = await services_of(context).quotas.quotas(
            account, slack_actor(context), region, service.code, body.get("value")
        )
        await ack(options=quota_options(quotas))
    except UserFacingError as e:
        await ack(options=[message_option(e.message)])
