"""The confirmations App Home's "Remove…" menus open: removing an account or a channel's configuration."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bolt_app.blocks.common import message_modal
from bolt_app.services.accounts import AccountService
from bolt_app.services.channels import ChannelService
from bolt_app.services.home import HomeService
from listeners.common import acting_user, read_metadata
from listeners.errors import in_modal, shows_errors
from listeners.events.app_home import publish_home


@shows_errors(in_modal("Remove account"))
async def remove_account_confirmed(
    ack: AsyncAck,
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    accounts: AccountService,
    home: HomeService,
) -> None:
    await ack(response_action="update", view=message_modal("Remove account", "Removing the account…"))
    account_id = str(read_metadata(view).get("account_id") or "")
    actor = await acting_user(client, context)
    await accounts.remove(actor, account_id)
    done = f"AWS account {account_id} was removed from this workspace."
    await client.views_update(view_id=view["id"], view=message_modal("Remove account", done))
    await publish_home(client, home, actor)


@shows_errors(in_modal("Remove configuration"))
async def remove_channel_confirmed(
    ack: AsyncAck,
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    channels: ChannelService,
    home: HomeService,
) -> None:
    await ack(response_action="update", view=message_modal("Remove configuration", "Removing…"))
    meta = read_metadata(view)
    actor = await acting_user(client, context)
    removed = await channels.remove(
        actor, str(meta.get("channel_id") or ""), str(meta.get("account_id") or "")
    )
    done = f"AWS account {removed.account_id} was detached from #{removed.channel_name}."
    await client.views_update(view_id=view["id"], view=message_modal("Remove configuration", done))
    await publish_home(client, home, actor)
