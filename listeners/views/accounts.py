"""Submissions of the account modals."""

from __future__ import annotations

from collections.abc import Mapping
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
from bolt_app.services.accounts import AccountService, display_name, parse_account_name, parse_role_arn
from bolt_app.services.home import HomeService
from listeners.common import acting_user, read_metadata, workspace_of
from listeners.errors import Show, Where, in_modal, shows_errors
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


@shows_errors(in_modal("Authorize AWS account"))
async def authorize_account_submitted(
    ack: AsyncAck,
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    accounts: AccountService,
    home: HomeService,
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
    try:
        actor = await acting_user(client, context)
        row = await accounts.authorize(actor, role_arn, name)
    except UserFacingError as e:  # the form again, with what to fix
        setup = await accounts.role_setup(workspace_of(context))
        retry = authorize_account_modal(
            setup,
            view.get("private_metadata", ""),
            role_arn=role_arn,
            account_name=name,
            error=e.message,
            template_link=read_metadata(view).get("template"),
        )
        await client.views_update(view_id=view["id"], view=retry)
        return
    text = (
        f":white_check_mark: AWS account *{display_name(row.account)}* is authorized for this workspace with "
        f"role `{row.verified_role_arn}`. Next: `/aws-support configure-channel` in a private channel."
    )
    await client.views_update(view_id=view["id"], view=message_modal("Authorize AWS account", text))
    meta = read_metadata(view)
    if meta.get("channel_id"):
        await client.chat_postEphemeral(channel=meta["channel_id"], user=actor.user_id, text=text)
    await publish_home(client, home, actor)


def _post_ephemeral(kwargs: Mapping[str, Any]) -> Show:
    user_id = kwargs["context"].user_id or ""

    async def show(text: str) -> None:
        channel = read_metadata(kwargs["view"]).get("channel_id") or user_id
        await kwargs["client"].chat_postEphemeral(channel=channel, user=user_id, text=text)

    return show


# An ephemeral message in the channel the modal was opened from, else in the app's DM with the user.
TO_SUBMITTER = Where(("client", "context", "view"), _post_ephemeral)


@shows_errors(TO_SUBMITTER)
async def rename_account_submitted(
    ack: AsyncAck,
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    accounts: AccountService,
    home: HomeService,
) -> None:
    name = input_value(view["state"], ACCOUNT_NAME_BLOCK)
    if not await _field_errors(ack, {ACCOUNT_NAME_BLOCK: lambda: parse_account_name(name)}):
        return
    await ack()
    meta = read_metadata(view)
    actor = await acting_user(client, context)
    account = await accounts.rename(actor, meta["account_id"], name)
    text = f"The AWS account `{account.account_id}` is now shown as *{display_name(account)}*."
    if meta.get("channel_id"):
        await client.chat_postEphemeral(channel=meta["channel_id"], user=actor.user_id, text=text)
    await publish_home(client, home, actor)


@shows_errors(in_modal("Authorize organization"))
async def register_organization_submitted(
    ack: AsyncAck,
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    accounts: AccountService,
    home: HomeService,
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
    actor = await acting_user(client, context)
    outcome = await accounts.register_organization(actor, account_id)
    text = (
        f":white_check_mark: Organization `{outcome.organization_id}` is registered for this workspace: "
        f"{len(outcome.authorized)} accounts are authorized through it."
    )
    if outcome.at_limit:
        text += f" Not authorized, because they already use 5 workspaces: {', '.join(outcome.at_limit)}."
    await client.views_update(view_id=view["id"], view=message_modal("Authorize organization", text))
    await publish_home(client, home, actor)
