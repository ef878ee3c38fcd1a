"""The confirmations App Home's "Remove…" menus open: removing an account or a channel's configuration."""

from __future__ import annotations

from bolt_app.blocks.common import message_modal
from bolt_app.services.accounts import AccountService
from bolt_app.services.channels import ChannelService
from bolt_app.services.home import HomeService
from listeners.errors import in_modal
from listeners.events.app_home import publish_home
from listeners.requests import Submission
from listeners.requests import on_submit


@on_submit(in_modal("Remove account"))
async def remove_account_confirmed(
    submission: Submission, accounts: AccountService, home: HomeService
) -> None:
    await submission.ack(
        response_action="update", view=message_modal("Remove account", "Removing the account…")
    )
    account_id = str(submission.metadata.get("account_id") or "")
    actor = await submission.actor()
    await accounts.remove(actor, account_id)
    done = f"AWS account {account_id} was removed from this workspace."
    await submission.show(message_modal("Remove account", done))
    await publish_home(submission.client, home, actor)


@on_submit(in_modal("Remove configuration"))
async def remove_channel_confirmed(
    submission: Submission, channels: ChannelService, home: HomeService
) -> None:
    await submission.ack(response_action="update", view=message_modal("Remove configuration", "Removing…"))
    meta = submission.metadata
    actor = await submission.actor()
    removed = await channels.remove(
        actor, str(meta.get("channel_id") or ""), str(meta.get("account_id") or "")
    )
    done = f"AWS account {removed.account_id} was detached from #{removed.channel_name}."
    await submission.show(message_modal("Remove configuration", done))
    await publish_home(submission.client, home, actor)
