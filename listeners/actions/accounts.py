"""Buttons on the accounts list (in a command reply or App Home): "Edit name", "Remove"."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bolt_app.blocks.accounts import accounts_blocks, metadata, rename_account_modal
from listeners.common import actor_of, admin_user, explain_errors, services_of
from listeners.events.app_home import publish_home


def from_home(body: dict[str, Any]) -> bool:
    return body.get("view", {}).get("type") == "home"


async def show(
    body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond, user_id: str, text: str
) -> None:
    if from_home(body) or not body.get("response_url"):
        await client.chat_postMessage(channel=user_id, text=text)  # the app's DM with the user
    else:
        await respond(text=text, response_type="ephemeral", replace_original=False)


async def edit_account_name_clicked(
    ack: AsyncAck,
    action: dict[str, Any],
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    respond: AsyncRespond,
) -> None:
    await ack()
    actor = actor_of(context)

    async def work() -> None:
        await admin_user(context, client, "rename AWS accounts")
        row = await services_of(context).accounts.authorized(actor.workspace, action["value"])
        channel_id = (body.get("channel") or {}).get("id")
        view = rename_account_modal(row, metadata(account_id=row.account.account_id, channel_id=channel_id))
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    await explain_errors(lambda text: show(body, client, respond, actor.user_id, text), work)


async def remove_account_clicked(
    ack: AsyncAck,
    action: dict[str, Any],
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    respond: AsyncRespond,
) -> None:
    await ack()
    actor = actor_of(context)
    services = services_of(context)

    async def work() -> None:
        await admin_user(context, client, "remove AWS accounts")
        await services.accounts.remove(actor, action["value"])
        if from_home(body):
            await publish_home(client, context, actor.user_id)
        else:
            rows = await services.accounts.list(actor.workspace)
            await respond(
                text=f"AWS account {action['value']} was removed from this workspace.",
                blocks=accounts_blocks(rows, admin=True),
                replace_original=True,
            )

    await explain_errors(lambda text: show(body, client, respond, actor.user_id, text), work)
