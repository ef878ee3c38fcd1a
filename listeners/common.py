"""What listeners share: who is acting, where, and small Slack helpers."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bolt_app.errors import UserFacingError
from bolt_app.services.channels import ChannelService
from bolt_app.services.context import Actor
from bolt_app.services.context import ChannelAccount
from bolt_app.services.context import SlackActor
from bolt_app.slack.directory import user_info
from storage.workspaces import WorkspaceKey


def workspace_of(context: AsyncBoltContext) -> WorkspaceKey:
    return WorkspaceKey.of(context.enterprise_id, context.team_id, bool(context.is_enterprise_install))


def home_workspace(context: AsyncBoltContext) -> WorkspaceKey:
    """The acting user's own workspace (listeners.actor_home); none known reads as no workspace at all."""
    return context.get("actor_home") or WorkspaceKey("", "")


async def acting_user(client: AsyncWebClient, context: AsyncBoltContext, user_id: str | None = None) -> Actor:
    """The Slack user acting (or `user_id`), with what Slack says of their authority (users.info)."""
    user = await user_info(client, user_id or context.user_id or "")
    return Actor(
        workspace_of(context),
        user.id,
        slack_admin=user.is_admin or user.is_owner,
        home=home_workspace(context),
    )


def pick_account(accounts: list[ChannelAccount], account_id: str | None) -> ChannelAccount:
    chosen = next((a for a in accounts if a.account_id == account_id), None)
    if chosen is None and account_id:
        raise UserFacingError(f"AWS account {account_id} is no longer configured on this channel.")
    return chosen or accounts[0]


async def channel_accounts(
    channels: ChannelService, context: AsyncBoltContext, channel_id: str
) -> list[ChannelAccount]:
    """The accounts the channel acts with in this workspace; UserFacingError when it is not set up."""
    return await channels.configured_accounts(workspace_of(context), channel_id)


async def account_of(
    channels: ChannelService, context: AsyncBoltContext, channel_id: str, account_id: str | None
) -> ChannelAccount:
    return pick_account(await channel_accounts(channels, context, channel_id), account_id)


def slack_actor(context: AsyncBoltContext, name: str | None = None) -> SlackActor:
    user_id = context.user_id or ""
    handle = context.get("actor_name") or ""
    return SlackActor(
        workspace_of(context), user_id, name or user_id, home=home_workspace(context), handle=handle
    )


def read_metadata(view: dict[str, Any]) -> dict[str, Any]:
    """The JSON a modal keeps in private_metadata (values the listener set, never user input)."""
    raw = view.get("private_metadata") or "{}"
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


async def update_view(client: AsyncWebClient, view: dict[str, Any], updated: dict[str, Any]) -> None:
    """views.update guarded by the view's hash: when the user changed the modal meanwhile, the update made for
    that change shows the newer state, so this one is dropped."""
    try:
        await client.views_update(view_id=view["id"], hash=view.get("hash"), view=updated)
    except SlackApiError as e:
        if e.response.get("error") != "hash_conflict":
            raise
