"""App Home's controls: "Create case" and "Search cases" (in a configured channel the viewer is in), and the
overflow menus of accounts and channels (Edit / Remove…, the removal confirmed in a modal)."""

from __future__ import annotations

from bolt_app.blocks.accounts import metadata
from bolt_app.blocks.accounts import remove_account_modal
from bolt_app.blocks.accounts import rename_account_modal
from bolt_app.blocks.channels import remove_channel_modal
from bolt_app.blocks.common import input_value
from bolt_app.blocks.home import HOME_CASES_BLOCK
from bolt_app.blocks.home import HOME_CHANNEL_ACTION
from bolt_app.blocks.home import HOME_CREATE_CASE_ACTION
from bolt_app.errors import UserFacingError
from bolt_app.services.accounts import AccountService
from bolt_app.services.cases.service import CaseService
from bolt_app.services.channels import ChannelService
from bolt_app.services.home import HomeService
from bolt_app.slack.directory import channel_info
from bolt_app.slack.directory import member_channel_ids
from listeners.case_flow import open_create_case_modal
from listeners.case_flow import open_search_modal
from listeners.channel_flows import open_configure_modal
from listeners.common import channel_accounts
from listeners.errors import TO_CLICKER
from listeners.events.app_home import publish_home
from listeners.requests import Click
from listeners.requests import on_click


async def _chosen_channel(click: Click) -> str:
    """The channel picked beside the buttons (else the button's own), checked to be one the user is in: a
    member of the workspace who is not in a channel does not act with its role."""
    state = (click.body.get("view") or {}).get("state") or {}
    channel_id = input_value(state, HOME_CASES_BLOCK, HOME_CHANNEL_ACTION) or click.value
    member_of = await member_channel_ids(click.client, click.context.user_id or "")
    if member_of is None:
        raise UserFacingError("Slack did not say which channels you are in; try again in a moment.")
    if channel_id not in member_of:
        raise UserFacingError(
            "You are no longer in that channel: join it, or use another AWS Support channel."
        )
    return channel_id


@on_click(TO_CLICKER)
async def home_cases_clicked(click: Click, channels: ChannelService, cases: CaseService) -> None:
    """ "Create case" and "Search cases": the same modals as the commands, for the chosen channel."""
    await click.ack()
    channel_id = await _chosen_channel(click)
    if click.action.get("action_id") == HOME_CREATE_CASE_ACTION:
        await open_create_case_modal(
            click.client, click.context, channels, cases, click.trigger_id, channel_id
        )
        return
    accounts = await channel_accounts(channels, click.context, channel_id)
    await open_search_modal(click.client, accounts, click.trigger_id, channel_id)


@on_click()
async def home_channel_chosen(click: Click, home: HomeService) -> None:
    """Picking the channel sets what the buttons beside it act on: App Home is drawn again with their values
    set to it, so a click never depends on Slack reporting the select's state."""
    await click.ack()
    await publish_home(click.client, home, await click.actor(), click.value)


@on_click(TO_CLICKER)
async def home_account_menu(click: Click, accounts: AccountService) -> None:
    await click.ack()
    what, _, account_id = click.value.partition(":")
    row = await accounts.to_rename(await click.actor(), account_id)
    if what == "remove":
        view = remove_account_modal(row)
    else:
        view = rename_account_modal(row, metadata(account_id=row.account.account_id))
    await click.open(view)


@on_click(TO_CLICKER)
async def home_channel_menu(click: Click, channels: ChannelService) -> None:
    await click.ack()
    what, _, target = click.value.partition("|")
    channel_id, _, account_id = target.partition("|")
    actor = await click.actor()
    if what == "remove":
        rows = await channels.for_channel(actor.workspace, channel_id)
        row = next((r for r in rows if r.account_id == account_id), None)
        if row is None:
            raise UserFacingError("This configuration was already removed.")
        await click.open(remove_channel_modal(row))
        return
    form = await channels.configure_form(
        actor, await channel_info(click.client, channel_id), account_id or None
    )
    await open_configure_modal(click.client, click.trigger_id, form)
