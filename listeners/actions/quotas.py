"""Choices in "Increase service quota" refresh the modal; "Check status" refreshes a request's message."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bolt_app.blocks.quotas import (
    REGION_ACTION,
    REGION_BLOCK,
    VALUE_BLOCK,
    parse_check_status_value,
    quota_modal,
    quota_request_blocks,
    quota_request_text,
)
from bolt_app.errors import UserFacingError
from bolt_app.services.channels import ChannelService
from bolt_app.services.quotas.service import QuotaService
from listeners.common import (
    account_of,
    channel_accounts,
    pick_account,
    read_metadata,
    slack_actor,
    update_view,
)
from listeners.errors import BELOW_MESSAGE, shows_errors
from listeners.quota_form import chosen, chosen_account_id, chosen_quota, chosen_service, metadata


async def quota_form_changed(
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    channels: ChannelService,
    quotas: QuotaService,
) -> None:
    """Any select of the modal changed: show what depends on it (a new account or Region clears the service)."""
    await ack()
    view = body["view"]
    state = view["state"]
    changed = (body.get("actions") or [{}])[0].get("action_id")
    channel_id = read_metadata(view).get("channel_id", "")
    accounts = await channel_accounts(channels, context, channel_id)
    account = pick_account(accounts, chosen_account_id(state))
    region = chosen(state, REGION_BLOCK, REGION_ACTION)
    region_code = region.code if region else "us-east-1"
    service = None if changed in ("quota_account", "quota_region") else chosen_service(state)
    quota = chosen_quota(state, service)
    details, error = None, None
    if quota is not None and service is not None:
        try:
            details = await quotas.quota_details(
                account, slack_actor(context), region_code, service.code, quota.code
            )
        except UserFacingError as e:
            error = e.message
    typed = state.get("values", {}).get(VALUE_BLOCK, {}).get("value", {}).get("value")
    updated = quota_modal(
        accounts,
        region_code,
        service,
        quota,
        details,
        account_id=account.account_id,
        requested_value=typed,
        error=error,
        metadata=metadata(channel_id, details),
    )
    await update_view(client, view, updated)


@shows_errors(BELOW_MESSAGE)
async def check_quota_status_clicked(
    ack: AsyncAck,
    action: dict[str, Any],
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    respond: AsyncRespond,
    channels: ChannelService,
    quotas: QuotaService,
) -> None:
    await ack()
    ref = parse_check_status_value(action.get("value", ""))
    channel_id = (body.get("channel") or {}).get("id", "")
    account = await account_of(channels, context, channel_id, ref.account_id)
    request = await quotas.request_status(account, slack_actor(context), ref.region, ref.request_id)
    blocks = quota_request_blocks(request, checked_at=datetime.now(UTC))
    await client.chat_update(
        channel=channel_id, ts=body["message"]["ts"], text=quota_request_text(request), blocks=blocks
    )
