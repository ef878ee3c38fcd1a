"""Choices in "Increase service quota" refresh the modal; "Check status" refreshes a request's message."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
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
from listeners.common import (
    configured_accounts,
    explain_errors,
    pick_account,
    read_metadata,
    services_of,
    slack_actor,
)
from listeners.quota_form import chosen, chosen_account_id, chosen_quota, chosen_service, metadata


async def quota_form_changed(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Any select of the modal changed: show what depends on it (a new account or Region clears the service)."""
    await ack()
    view = body["view"]
    state = view["state"]
    changed = (body.get("actions") or [{}])[0].get("action_id")
    channel_id = read_metadata(view).get("channel_id", "")
    accounts = await configured_accounts(context, channel_id)
    account = pick_account(accounts, chosen_account_id(state))
    region = chosen(state, REGION_BLOCK, REGION_ACTION)
    region_code = region.code if region else "us-east-1"
    service = None if changed in ("quota_account", "quota_region") else chosen_service(state)
    quota = chosen_quota(state, service)
    details, error = None, None
    if quota is not None and service is not None:
        try:
            details = await services_of(context).quotas.quota_details(
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
    try:
        await client.views_update(view_id=view["id"], hash=view.get("hash"), view=updated)
    except SlackApiError as e:
        if e.response.get("error") != "hash_conflict":
            raise
        # the user changed another field meanwhile; the update for that change shows the newer state


async def check_quota_status_clicked(
    ack: AsyncAck,
    action: dict[str, Any],
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    respond: AsyncRespond,
) -> None:
    await ack()
    ref = parse_check_status_value(action.get("value", ""))
    channel_id = (body.get("channel") or {}).get("id", "")

    async def work() -> None:
        accounts = await configured_accounts(context, channel_id)
        account = pick_account(accounts, ref.account_id)
        request = await services_of(context).quotas.request_status(
            account, slack_actor(context), ref.region, ref.request_id
        )
        blocks = quota_request_blocks(request, checked_at=datetime.now(UTC))
        await client.chat_update(
            channel=channel_id, ts=body["message"]["ts"], text=quota_request_text(request), blocks=blocks
        )

    await explain_errors(
        lambda text: respond(text=text, response_type="ephemeral", replace_original=False), work
    )
