"""Buttons of channel configurations ("Edit", "Remove", "Add another account") and the account picker."""

from __future__ import annotations

from typing import Any

from bolt_app.blocks.channels import ACCOUNT_BLOCK
from bolt_app.blocks.channels import ADD_CHANNEL_ACCOUNT_ACTION
from bolt_app.blocks.channels import CONFIGURE_ACCOUNT_ACTION
from bolt_app.blocks.channels import ROLE_ARN_BLOCK
from bolt_app.blocks.channels import SEVERITY_BLOCK
from bolt_app.blocks.channels import channel_configurations_blocks
from bolt_app.blocks.channels import configure_channel_modal
from bolt_app.blocks.channels import notifications_from
from bolt_app.blocks.common import input_value
from bolt_app.blocks.common import input_values
from bolt_app.blocks.members import read_who_can
from bolt_app.errors import UserFacingError
from bolt_app.services.accounts import AccountService
from bolt_app.services.channel_fields import NOTIFICATIONS_FIELD
from bolt_app.services.channels import ChannelService
from bolt_app.services.home import HomeService
from bolt_app.services.member_policy import MemberPolicy
from bolt_app.slack.directory import channel_info
from listeners.channel_flows import open_configure_modal
from listeners.common import read_metadata
from listeners.common import workspace_of
from listeners.errors import TO_CLICKER
from listeners.events.app_home import publish_home
from listeners.requests import Click
from listeners.requests import on_click


def _target(click: Click) -> tuple[str, str | None]:
    channel_id, _, account_id = click.value.partition("|")
    return channel_id, account_id or None


@on_click(TO_CLICKER)
async def channel_form_clicked(click: Click, channels: ChannelService) -> None:
    """The buttons Edit (the form prefilled with that configuration) and Add another account (an empty form)."""
    await click.ack()
    channel_id, account_id = _target(click)
    if click.action.get("action_id") == ADD_CHANNEL_ACCOUNT_ACTION:
        account_id = None
    channel = await channel_info(click.client, channel_id)
    form = await channels.configure_form(await click.actor(), channel, account_id)
    await open_configure_modal(click.client, click.trigger_id, form)


@on_click(TO_CLICKER)
async def remove_channel_clicked(click: Click, channels: ChannelService, home: HomeService) -> None:
    await click.ack()
    channel_id, account_id = _target(click)
    actor = await click.actor()
    removed = await channels.remove(actor, channel_id, account_id or "")
    if click.from_home:
        await publish_home(click.client, home, actor)
        return
    rows = await channels.for_channel(actor.workspace, channel_id)
    text = f"AWS account {removed.account_id} was detached from #{removed.channel_name}."
    blocks = channel_configurations_blocks(rows, removed.channel_name, admin=True) if rows else None
    await click.respond(text=text, blocks=blocks, replace_original=True)


@on_click()
async def configure_account_selected(click: Click, accounts: AccountService) -> None:
    """Choosing the account in "Configure channel" shows the role verified for it (used when the field is empty);
    a "Who can…" choice shows or hides its people and group pickers."""
    await click.ack()
    view = click.body["view"]
    state = view["state"]
    authorized = await accounts.authorized_accounts(workspace_of(click.context))
    account_id = input_value(state, ACCOUNT_BLOCK, CONFIGURE_ACCOUNT_ACTION)
    chosen = next((a for a in authorized if a.account.account_id == account_id), None)
    meta = read_metadata(view)
    updated = configure_channel_modal(
        authorized,
        view.get("private_metadata", ""),
        channel_name=meta.get("channel_name", ""),
        public=bool(meta.get("public")),
        shared_externally=bool(meta.get("connect")),
        account_id=account_id,
        role_arn=input_value(state, ROLE_ARN_BLOCK),
        verified_role_arn=chosen.verified_role_arn if chosen else None,
        notifications=notifications_from(
            input_value(state, SEVERITY_BLOCK), input_values(state, NOTIFICATIONS_FIELD)
        ),
        members=_members_so_far(state),
    )
    await click.client.views_update(view_id=view["id"], hash=view.get("hash"), view=updated)


def _members_so_far(state: dict[str, Any]) -> MemberPolicy:
    """The "Who can…" choices made so far; a half-made one (people still to pick) is checked on submission."""
    try:
        return read_who_can(state, complete=False)
    except UserFacingError:
        return MemberPolicy()
