"""Choices in "Increase service quota" refresh the modal; "Check status" refreshes a request's message."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

from bolt_app.blocks.quotas import REGION_ACTION
from bolt_app.blocks.quotas import REGION_BLOCK
from bolt_app.blocks.quotas import VALUE_BLOCK
from bolt_app.blocks.quotas import parse_check_status_value
from bolt_app.blocks.quotas import quota_modal
from bolt_app.blocks.quotas import quota_request_blocks
from bolt_app.blocks.quotas import quota_request_text
from bolt_app.errors import UserFacingError
from bolt_app.services.channels import ChannelService
from bolt_app.services.quotas.service import QuotaService
from listeners.common import account_of
from listeners.common import channel_accounts
from listeners.common import pick_account
from listeners.common import read_metadata
from listeners.common import slack_actor
from listeners.common import update_view
from listeners.errors import BELOW_MESSAGE
from listeners.quota_form import chosen
from listeners.quota_form import chosen_account_id
from listeners.quota_form import chosen_quota
from listeners.quota_form import chosen_service
from listeners.quota_form import metadata
from listeners.requests import Click
from listeners.requests import on_click


@on_click()
async def quota_form_changed(click: Click, channels: ChannelService, quotas: QuotaService) -> None:
    """Any select of the modal changed: show what depends on it (a new account or Region clears the service)."""
    await click.ack()
    view = click.body["view"]
    state = view["state"]
    changed = (click.body.get("actions") or [{}])[0].get("action_id")
    channel_id = read_metadata(view).get("channel_id", "")
    accounts = await channel_accounts(channels, click.context, channel_id)
    account = pick_account(accounts, chosen_account_id(state))
    region = chosen(state, REGION_BLOCK, REGION_ACTION)
    region_code = region.code if region else "us-east-1"
    service = None if changed in ("quota_account", "quota_region") else chosen_service(state)
    quota = chosen_quota(state, service)
    details, error = None, None
    if quota is not None and service is not None:
        try:
            details = await quotas.quota_details(
                account, slack_actor(click.context), region_code, service.code, quota.code
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
    await update_view(click.client, view, updated)


@on_click(BELOW_MESSAGE)
async def check_quota_status_clicked(click: Click, channels: ChannelService, quotas: QuotaService) -> None:
    await click.ack()
    ref = parse_check_status_value(click.value)
    channel_id = (click.body.get("channel") or {}).get("id", "")
    account = await account_of(channels, click.context, channel_id, ref.account_id)
    request = await quotas.request_status(account, slack_actor(click.context), ref.region, ref.request_id)
    blocks = quota_request_blocks(request, checked_at=datetime.now(UTC))
    await click.client.chat_update(
        channel=channel_id, ts=click.body["message"]["ts"], text=quota_request_text(request), blocks=blocks
    )
