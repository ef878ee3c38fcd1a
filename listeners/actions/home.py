"""App Home's controls: "Create case" and "Search cases" (in a configured channel the viewer is in), and the
overflow menus of accounts and channels (Edit / Remove…, the removal confirmed in a modal)."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bolt_app.blocks.accounts import metadata, remove_account_modal, rename_account_modal
from bolt_app.blocks.channels import remove_channel_modal
from bolt_app.blocks.common import input_value
from bolt_app.blocks.home import HOME_CASES_BLOCK, HOME_CHANNEL_ACTION, HOME_CREATE_CASE_ACTION
from bolt_app.errors import UserFacingError
from bolt_app.services.accounts import AccountService
from bolt_app.services.cases.service import CaseService
from bolt_app.services.channels import ChannelService
from bolt_app.services.home import HomeService
from bolt_app.slack.directory import channel_info, member_channel_ids
from listeners.case_flow import open_create_case_modal, open_search_modal
from listeners.channel_flows import open_configure_modal
from listeners.common import acting_user, channel_accounts
from listeners.errors import TO_CLICKER, shows_errors
from listeners.events.app_home import publish_home


async def _chosen_channel(
    body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, user: str
) -> str:
    """The channel picked beside the buttons (else the button's own), checked to be one the user is in: a
    member of the workspace who is not in a channel does not act with its role."""
    state = (body.get("view") or {}).get("state") or {}
    channel_id = input_value(state, HOME_CASES_BLOCK, HOME_CHANNEL_ACTION) or str(action.get("value") or "")
    member_of = await member_channel_ids(client, user)
    if member_of is None:
        raise UserFacingError("Slack did not say which channels you are in; try again in a moment.")
    if channel_id not in member_of:
        raise UserFacingError(
            "You are no longer in that channel: join it, or use another AWS Support channel."
        )
    return channel_id


@shows_errors(TO_CLICKER)
async def home_cases_clicked(
    ack: AsyncAck,
    action: dict[str, Any],
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    respond: AsyncRespond,
    channels: ChannelService,
    cases: CaseService,
) -> None:
    """ "Create case" and "Search cases": the same modals as the commands, for the chosen channel."""
    await ack()
    channel_id = await _chosen_channel(body, action, client, context.user_id or "")
    if action.get("action_id") == HOME_CREATE_CASE_ACTION:
        await open_create_case_modal(client, context, channels, cases, body["trigger_id"], channel_id)
        return
    accounts = await channel_accounts(channels, context, channel_id)
    await open_search_modal(client, accounts, body["trigger_id"], channel_id)


async def home_channel_chosen(
    ack: AsyncAck,
    action: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    home: HomeService,
) -> None:
    """Picking the channel sets what the buttons beside it act on: App Home is drawn again with their values
    set to it, so a click never depends on Slack reporting the select's state."""
    await ack()
    chosen = str((action.get("selected_option") or {}).get("value") or "")
    await publish_home(client, home, await acting_user(client, context), chosen)


def _choice(action: dict[str, Any], separator: str) -> tuple[str, list[str]]:
    what, *rest = str((action.get("selected_option") or {}).get("value") or "").split(separator)
    return what, rest


@shows_errors(TO_CLICKER)
async def home_account_menu(
    ack: AsyncAck,
    action: dict[str, Any],
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    respond: AsyncRespond,
    accounts: AccountService,
) -> None:
    await ack()
    what, rest = _choice(action, ":")
    row = await accounts.to_rename(await acting_user(client, context), rest[0] if rest else "")
    if what == "remove":
        view = remove_account_modal(row)
    else:
        view = rename_account_modal(row, metadata(account_id=row.account.account_id))
    await client.views_open(trigger_id=body["trigger_id"], view=view)


@shows_errors(TO_CLICKER)
async def home_channel_menu(
    ack: AsyncAck,
    action: dict[str, Any],
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    respond: AsyncRespond,
    channels: ChannelService,
) -> None:
    await ack()
    what, rest = _choice(action, "|")
    channel_id, account_id = (rest + ["", ""])[:2]
    actor = await acting_user(client, context)
    if what == "remove":
        rows = await channels.for_channel(actor.workspace, channel_id)
        row = next((r for r in rows if r.account_id == account_id), None)
        if row is None:
            raise UserFacingError("This configuration was already removed.")
        await client.views_open(trigger_id=body["trigger_id"], view=remove_channel_modal(row))
        return
    form = await channels.configure_form(actor, await channel_info(client, channel_id), account_id or None)
    await open_configure_modal(client, body["trigger_id"], form)
