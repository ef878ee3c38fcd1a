"""Submissions of the account modals."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bolt_app.blocks.accounts import ACCOUNT_BLOCK
from bolt_app.blocks.accounts import ACCOUNT_NAME_BLOCK
from bolt_app.blocks.accounts import ROLE_ARN_BLOCK
from bolt_app.blocks.accounts import authorize_account_modal
from bolt_app.blocks.common import input_value
from bolt_app.blocks.common import message_modal
from bolt_app.errors import UserFacingError
from bolt_app.services.accounts import AccountService
from bolt_app.services.accounts import display_name
from bolt_app.services.accounts import parse_account_name
from bolt_app.services.accounts import parse_role_arn
from bolt_app.services.context import Actor
from bolt_app.services.home import HomeService
from listeners.common import read_metadata
from listeners.common import workspace_of
from listeners.errors import Show
from listeners.errors import Where
from listeners.errors import in_modal
from listeners.events.app_home import publish_home
from listeners.requests import Submission
from listeners.requests import on_submit


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


@on_submit(in_modal("Authorize AWS account"))
async def authorize_account_submitted(
    submission: Submission, accounts: AccountService, home: HomeService
) -> None:
    ack, view, state = submission.ack, submission.view, submission.state
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
        actor = await submission.actor()
        row = await accounts.authorize(actor, role_arn, name)
    except UserFacingError as e:  # the form again, with what to fix
        setup = await accounts.role_setup(workspace_of(submission.context))
        retry = authorize_account_modal(
            setup,
            view.get("private_metadata", ""),
            role_arn=role_arn,
            account_name=name,
            error=e.message,
            template_link=submission.metadata.get("template"),
        )
        await submission.show(retry)
        return
    text = (
        f":white_check_mark: AWS account *{display_name(row.account)}* is authorized for this workspace with "
        f"role `{row.verified_role_arn}`. Next: `/aws-support configure-channel` in a private channel."
    )
    await submission.show(message_modal("Authorize AWS account", text))
    await _tell_in_channel(submission, actor, text, home)


def _post_ephemeral(kwargs: Mapping[str, Any]) -> Show:
    user_id = kwargs["context"].user_id or ""

    async def show(text: str) -> None:
        channel = read_metadata(kwargs["view"]).get("channel_id") or user_id
        await kwargs["client"].chat_postEphemeral(channel=channel, user=user_id, text=text)

    return show


# An ephemeral message in the channel the modal was opened from, else in the app's DM with the user.
TO_SUBMITTER = Where(("client", "context", "view"), _post_ephemeral)


async def _tell_in_channel(submission: Submission, actor: Actor, text: str, home: HomeService) -> None:
    """Says `text` in the channel the modal was opened from (if any), and draws the user's App Home again."""
    channel_id = submission.metadata.get("channel_id")
    if channel_id:
        await submission.client.chat_postEphemeral(channel=channel_id, user=actor.user_id, text=text)
    await publish_home(submission.client, home, actor)


@on_submit(TO_SUBMITTER)
async def rename_account_submitted(
    submission: Submission, accounts: AccountService, home: HomeService
) -> None:
    name = input_value(submission.state, ACCOUNT_NAME_BLOCK)
    if not await _field_errors(submission.ack, {ACCOUNT_NAME_BLOCK: lambda: parse_account_name(name)}):
        return
    await submission.ack()
    actor = await submission.actor()
    account = await accounts.rename(actor, submission.metadata["account_id"], name)
    text = f"The AWS account `{account.account_id}` is now shown as *{display_name(account)}*."
    await _tell_in_channel(submission, actor, text, home)


@on_submit(in_modal("Authorize organization"))
async def register_organization_submitted(
    submission: Submission, accounts: AccountService, home: HomeService
) -> None:
    account_id = input_value(submission.state, ACCOUNT_BLOCK)
    if not account_id:
        await submission.ack(
            response_action="errors", errors={ACCOUNT_BLOCK: "Pick the organization's management account."}
        )
        return
    await submission.ack(
        response_action="update", view=message_modal("Authorize organization", "Reading the organization…")
    )
    actor = await submission.actor()
    outcome = await accounts.register_organization(actor, account_id)
    text = (
        f":white_check_mark: Organization `{outcome.organization_id}` is registered for this workspace: "
        f"{len(outcome.authorized)} accounts are authorized through it."
    )
    if outcome.at_limit:
        text += f" Not authorized, because they already use 5 workspaces: {', '.join(outcome.at_limit)}."
    await submission.show(message_modal("Authorize organization", text))
    await publish_home(submission.client, home, actor)
