"""Buttons on the accounts list (in a command reply or App Home): "Edit name", "Remove"."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bolt_app.blocks.accounts import accounts_blocks, metadata, policies_modal, rename_account_modal
from bolt_app.services.accounts import AccountService
from bolt_app.services.home import HomeService
from listeners.common import acting_user
from listeners.errors import TO_CLICKER, shows_errors
from listeners.events.app_home import publish_home


def from_home(body: dict[str, Any]) -> bool:
    return body.get("view", {}).get("type") == "home"


@shows_errors(TO_CLICKER)
async def edit_account_name_clicked(
    ack: AsyncAck,
    action: dict[str, Any],
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    respond: AsyncRespond,
    accounts: AccountService,
) -> None:
    await ack()
    row = await accounts.to_rename(await acting_user(client, context), action["value"])
    channel_id = (body.get("channel") or {}).get("id")
    view = rename_account_modal(row, metadata(account_id=row.account.account_id, channel_id=channel_id))
    await client.views_open(trigger_id=body["trigger_id"], view=view)


@shows_errors(TO_CLICKER)
async def remove_account_clicked(
    ack: AsyncAck,
    action: dict[str, Any],
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    respond: AsyncRespond,
    accounts: AccountService,
    home: HomeService,
) -> None:
    await ack()
    actor = await acting_user(client, context)
    await accounts.remove(actor, action["value"])
    if from_home(body):
        await publish_home(client, home, actor)
        return
    await respond(
        text=f"AWS account {action['value']} was removed from this workspace.",
        blocks=accounts_blocks(await accounts.list(actor.workspace), admin=True),
        replace_original=True,
    )


@shows_errors(TO_CLICKER)
async def show_policies_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    respond: AsyncRespond,
    accounts: AccountService,
) -> None:
    """ "Show policies" in the authorize form: the policies, pushed over the form (Back returns to it)."""
    await ack()
    setup = await accounts.setup_to_authorize(await acting_user(client, context))
    await client.views_push(trigger_id=body["trigger_id"], view=policies_modal(setup))
