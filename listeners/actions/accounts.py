"""Buttons on the accounts list (in a command reply or App Home): "Edit name", "Remove"."""

from __future__ import annotations

from bolt_app.blocks.accounts import accounts_blocks
from bolt_app.blocks.accounts import metadata
from bolt_app.blocks.accounts import policies_modal
from bolt_app.blocks.accounts import rename_account_modal
from bolt_app.services.accounts import AccountService
from bolt_app.services.home import HomeService
from listeners.errors import TO_CLICKER
from listeners.events.app_home import publish_home
from listeners.requests import Click
from listeners.requests import on_click


@on_click(TO_CLICKER)
async def edit_account_name_clicked(click: Click, accounts: AccountService) -> None:
    await click.ack()
    row = await accounts.to_rename(await click.actor(), click.value)
    channel_id = (click.body.get("channel") or {}).get("id")
    await click.open(
        rename_account_modal(row, metadata(account_id=row.account.account_id, channel_id=channel_id))
    )


@on_click(TO_CLICKER)
async def remove_account_clicked(click: Click, accounts: AccountService, home: HomeService) -> None:
    await click.ack()
    actor = await click.actor()
    await accounts.remove(actor, click.value)
    if click.from_home:
        await publish_home(click.client, home, actor)
        return
    await click.respond(
        text=f"AWS account {click.value} was removed from this workspace.",
        blocks=accounts_blocks(await accounts.list(actor.workspace), admin=True),
        replace_original=True,
    )


@on_click(TO_CLICKER)
async def show_policies_clicked(click: Click, accounts: AccountService) -> None:
    """ "Show policies" in the authorize form: the policies, pushed over the form (Back returns to it)."""
    await click.ack()
    setup = await accounts.setup_to_authorize(await click.actor())
    await click.client.views_push(trigger_id=click.trigger_id, view=policies_modal(setup))
