"""Submissions of the account modals."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bolt_app.blocks.accounts import (
    ACCOUNT_BLOCK,
    ACCOUNT_NAME_BLOCK,
    ROLE_ARN_BLOCK,
    authorize_account_modal,
)
from bolt_app.blocks.common import input_value, message_modal
from bolt_app.errors import UserFacingError
from bolt_app.services.accounts import display_name, parse_account_name, parse_role_arn
from listeners.common import actor_of, admin_user, read_metadata, services_of, unexpected_error_text
from listeners.events.app_home import publish_home


async def _field_errors(ack: AsyncAck, checks: dict[str, Any]) -> bool:
    """Runs the format checks (no I/O); answers the modal with every field error. True when all passed."""
    errors: dict[str, str] = {}
    for block_id, check in checks.items():
        try:
            check()
        except UserFacingError as e:
            errors[e.field or block_id] = e.message
    if errors:
        await ack(response_action="errors", errors=errors)
    return not errors


async def authorize_account_submitted(
    ack: AsyncAck, view: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    state = view["state"]
    role_arn = (input_value(state, ROLE_ARN_BLOCK) or "").strip(" ")  # a newline is refused, not cut
    name = input_value(state, ACCOUNT_NAME_BLOCK)
    checks = {
        ROLE_ARN_BLOCK: lambda: parse_role_arn(role_arn),
        ACCOUNT_NAME_BLOCK: lambda: parse_account_name(name),
    }
    if not await _field_errors(ack, checks):
        return
    await ack(
        response_action="update", view=message_modal("Authorize AWS account", "Checking the role with AWS…")
    )
    services = services_of(context)
    actor = actor_of(context)
    meta = read_metadata(view)
    try:
        await admin_user(context, client, "authorize AWS accounts")
        row = await services.accounts.authorize(actor, role_arn, name)
    except UserFacingError as e:
        setup = await services.accounts.role_setup(actor.workspace)
        retry = authorize_account_modal(
            setup, view.get("private_metadata", ""), role_arn=role_arn, account_name=name, error=e.message
        )
        await client.views_update(view_id=view["id"], view=retry)
        return
    except Exception as e:  # noqa: BLE001
        await client.views_update(
            view_id=view["id"], view=message_modal("Authorize AWS account", unexpected_error_text(e))
        )
        return
    text = (
        f":white_check_mark: AWS account *{display_name(row.account)}* is authorized for this workspace with "
        f"role `{row.verified_role_arn}`. Next: `/aws-support configure-channel` in a private channel."
    )
    await client.views_update(view_id=view["id"], view=message_modal("Authorize AWS account", text))
    if meta.get("channel_id"):
        await client.chat_postEphemeral(channel=meta["channel_id"], user=actor.user_id, text=text)
    await publish_home(client, context, actor.user_id)


async def rename_account_submitted(
    ack: AsyncAck, view: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    name = input_value(view["state"], ACCOUNT_NAME_BLOCK)
    if not await _field_errors(ack, {ACCOUNT_NAME_BLOCK: lambda: parse_account_name(name)}):
        return
    await ack()
    meta = read_metadata(view)
    actor = actor_of(context)
    services = services_of(context)
    try:
        await admin_user(context, client, "rename AWS accounts")
        account = await services.accounts.rename(actor, meta["account_id"], name)
    except UserFacingError as e:
        await client.chat_postEphemeral(
            channel=meta.get("channel_id") or actor.user_id, user=actor.user_id, text=e.message
        )
        return
    text = f"The AWS account `{account.account_id}` is now shown as *{display_name(account)}*."
    if meta.get("channel_id"):
        await client.chat_postEphemeral(channel=meta["channel_id"], user=actor.user_id, text=text)
    await publish_home(client, context, actor.user_id)


async def register_organization_submitted(
    ack: AsyncAck, view: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    account_id = input_value(view["state"], ACCOUNT_BLOCK)
    if not account_id:
        await ack(
            response_action="errors", errors={ACCOUNT_BLOCK: "Pick the organization's management account."}
        )
        return
    await ack(
        response_action="update", view=message_modal("Authorize organization", "Reading the organization…")
    )
    actor = actor_of(context)
    try:
        await admin_user(context, client, "register an AWS Organization")
        outcome = await services_of(context).accounts.register_organization(actor, account_id)
    except UserFacingError as e:
        await client.views_update(
            view_id=view["id"], view=message_modal("Authorize organization", f":warning: {e.message}")
        )
        return
    text = (
        f":white_check_mark: Organization `{outcome.organization_id}` is registered for this workspace: "
        f"{len(outcome.authorized)} accounts are authorized through it."
    )
    if outcome.at_limit:
        text += f" Not authorized, because they already use 5 workspaces: {', '.join(outcome.at_limit)}."
    await client.views_update(view_id=view["id"], view=message_modal("Authorize organization", text))
    await publish_home(client, context, actor.user_id)
