"""What listeners share: who is acting, where, and small Slack helpers."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bolt_app.errors import UserFacingError
from bolt_app.services.context import Actor, ChannelAccount, SlackActor
from bolt_app.slack_directory import user_info

# The case and quota listeners import these two from here until they ask for their services by name.
from listeners.errors import explain_errors as explain_errors
from listeners.errors import unexpected_error_text as unexpected_error_text
from storage.workspaces import WorkspaceKey

if TYPE_CHECKING:
    from bolt_app.bundle import Services


def services_of(context: AsyncBoltContext) -> Services:
    """The whole bundle, for the case and quota listeners until they ask for their services by name."""
    return context["services"]


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


async def configured_accounts(context: AsyncBoltContext, channel_id: str) -> list[ChannelAccount]:
    """The AWS accounts this channel acts with; UserFacingError saying how to configure it when there are none."""
    accounts = await services_of(context).channels.channel_accounts(workspace_of(context), channel_id)
    if not accounts:
        raise UserFacingError(
            "This channel is not set up for AWS Support yet. A Slack workspace admin can run "
            "`/aws-support configure-channel` here to attach an AWS account and IAM role "
            "(after `/aws-support authorize-account`)."
        )
    return accounts


def pick_account(accounts: list[ChannelAccount], account_id: str | None) -> ChannelAccount:
    chosen = next((a for a in accounts if a.account_id == account_id), None)
    if chosen is None and account_id:
        raise UserFacingError(f"AWS account {account_id} is no longer configured on this channel.")
    return chosen or accounts[0]


def slack_actor(context: AsyncBoltContext, name: str | None = None) -> SlackActor:
    user_id = context.user_id or ""
    return SlackActor(workspace_of(context), user_id, name or user_id, home=home_workspace(context))


def read_metadata(view: dict[str, Any]) -> dict[str, Any]:
    """The JSON a modal keeps in private_metadata (values the listener set, never user input)."""
    raw = view.get("private_metadata") or "{}"
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def message_option(text: str) -> dict[str, Any]:
    """An options response cannot carry an error, so the reason becomes the one (unusable) option."""
    return {"text": {"type": "plain_text", "text": text[:75]}, "value": "error"}


async def update_view(client: AsyncWebClient, view: dict[str, Any], updated: dict[str, Any]) -> None:
    """views.update guarded by the view's hash: when the user changed the modal meanwhile, the update made for
    that change shows the newer state, so this one is dropped."""
    try:
        await client.views_update(view_id=view["id"], hash=view.get("hash"), view=updated)
    except SlackApiError as e:
        if e.response.get("error") != "hash_conflict":
            raise
