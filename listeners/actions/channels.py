"""Buttons of channel configurations ("Edit", "Remove", "Add another account") and the account picker."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bolt_app.blocks.channels import (
    ACCOUNT_BLOCK,
    CONFIGURE_ACCOUNT_ACTION,
    ROLE_ARN_BLOCK,
    SEVERITY_BLOCK,
    channel_configurations_blocks,
    configure_channel_modal,
    notifications_from,
)
from bolt_app.blocks.common import input_value, input_values
from bolt_app.services.channel_fields import NOTIFICATIONS_FIELD
from listeners.actions.accounts import from_home, show
from listeners.channel_flows import configurable_channel, open_configure_modal
from listeners.common import actor_of, admin_user, explain_errors, read_metadata, services_of
from listeners.events.app_home import publish_home
from storage.accounts import AUTHORIZED


def _target(action: dict[str, Any]) -> tuple[str, str | None]:
    channel_id, _, account_id = str(action.get("value", "")).partition("|")
    return channel_id, account_id or None


async def _open(
    action: dict[str, Any],
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    respond: AsyncRespond,
    *,
    new: bool,
) -> None:
    channel_id, account_id = _target(action)

    async def work() -> None:
        await admin_user(context, client, "configure channels")
        channel = await configurable_channel(client, channel_id)
        await open_configure_modal(client, context, body["trigger_id"], channel, None if new else account_id)

    await explain_errors(lambda text: show(body, client, respond, actor_of(context).user_id, text), work)


async def edit_channel_clicked(
    ack: AsyncAck,
    action: dict[str, Any],
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    respond: AsyncRespond,
) -> None:
    await ack()
    await _open(action, body, client, context, respond, new=False)


async def add_channel_account_clicked(
    ack: AsyncAck,
    action: dict[str, Any],
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    respond: AsyncRespond,
) -> None:
    await ack()
    await _open(action, body, client, context, respond, new=True)


async def remove_channel_clicked(
    ack: AsyncAck,
    action: dict[str, Any],
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    respond: AsyncRespond,
) -> None:
    await ack()
    channel_id, account_id = _target(action)
    actor = actor_of(context)
    services = services_of(context)

    async def work() -> None:
        await admin_user(context, client, "configure channels")
        removed = await services.channels.remove(actor, channel_id, account_id or "")
        if from_home(body):
            await publish_home(client, context, actor.user_id)
            return
        rows = await services.channels.for_channel(actor.workspace, channel_id)
        text = f"AWS account {removed.account_id} was detached from #{removed.channel_name}."
        blocks = channel_configurations_blocks(rows, removed.channel_name, admin=True) if rows else None
        await respond(text=text, blocks=blocks, replace_original=True)

    await explain_errors(lambda text: show(body, client, respond, actor.user_id, text), work)


async def configure_account_selected(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Choosing the account in "Configure channel" shows the role verified for it (used when the field is empty)."""
    await ack()
    view = body["view"]
    state = view["state"]
    services = services_of(context)
    key = actor_of(context).workspace
    accounts = [a for a in await services.accounts.list(key) if a.state == AUTHORIZED]
    account_id = input_value(state, ACCOUNT_BLOCK, CONFIGURE_ACCOUNT_ACTION)
    chosen = next((a for a in accounts if a.account.account_id == account_id), None)
    meta = read_metadata(view)
    updated = configure_channel_modal(
        accounts,
        view.get("private_metadata", ""),
        channel_name=meta.get("channel_name", ""),
        public=bool(meta.get("public")),
        account_id=account_id,
        role_arn=input_value(state, ROLE_ARN_BLOCK),
        verified_role_arn=chosen.verified_role_arn if chosen else None,
        notifications=notifications_from(
            input_value(state, SEVERITY_BLOCK), input_values(state, NOTIFICATIONS_FIELD)
        ),
    )
    await client.views_update(view_id=view["id"], hash=view.get("hash"), view=updated)
