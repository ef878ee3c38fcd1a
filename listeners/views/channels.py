"""Submission of "Configure channel"."""

from __future__ import annotations

from typing import Any

from bolt_app.blocks.channels import ACCOUNT_BLOCK
from bolt_app.blocks.channels import CONFIRM_PUBLIC_BLOCK
from bolt_app.blocks.channels import ROLE_ARN_BLOCK
from bolt_app.blocks.channels import SEVERITY_BLOCK
from bolt_app.blocks.channels import configure_channel_modal
from bolt_app.blocks.channels import notifications_from
from bolt_app.blocks.common import input_value
from bolt_app.blocks.common import input_values
from bolt_app.blocks.common import message_modal
from bolt_app.blocks.members import read_who_can
from bolt_app.errors import UserFacingError
from bolt_app.services.accounts import AccountService
from bolt_app.services.accounts import parse_role_arn
from bolt_app.services.channels import NOTIFICATIONS_FIELD
from bolt_app.services.channels import ChannelService
from bolt_app.services.channels import ConfigureRequest
from bolt_app.services.channels import configuration_line
from bolt_app.services.channels import validate_notifications
from bolt_app.services.home import HomeService
from bolt_app.services.member_policy import MemberPolicy
from listeners.common import read_metadata
from listeners.common import workspace_of
from listeners.errors import in_modal
from listeners.events.app_home import publish_home
from listeners.requests import Submission
from listeners.requests import on_submit


def _request(view: dict[str, Any], members: MemberPolicy) -> ConfigureRequest:
    state, meta = view["state"], read_metadata(view)
    return ConfigureRequest(
        channel_id=meta.get("channel_id", ""),
        channel_name=meta.get("channel_name", ""),
        account_id=input_value(state, ACCOUNT_BLOCK) or "",
        role_arn=(input_value(state, ROLE_ARN_BLOCK) or "").strip(" ") or None,
        notifications=notifications_from(
            input_value(state, SEVERITY_BLOCK), input_values(state, NOTIFICATIONS_FIELD)
        ),
        members=members,
    )


def _field_errors(view: dict[str, Any], request: ConfigureRequest) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not request.account_id:
        errors[ACCOUNT_BLOCK] = "Choose the AWS account this channel acts with."
    if read_metadata(view).get("public") and not input_values(view["state"], CONFIRM_PUBLIC_BLOCK):
        errors[CONFIRM_PUBLIC_BLOCK] = (
            "Confirm that everyone who joins this public channel gets the role's permissions."
        )
    for check in (
        lambda: validate_notifications(request.notifications),
        lambda: parse_role_arn(request.role_arn, ROLE_ARN_BLOCK) if request.role_arn else None,
    ):
        try:
            check()
        except UserFacingError as e:
            errors[e.field or NOTIFICATIONS_FIELD] = e.message
    return errors


@on_submit(in_modal("Configure channel"))
async def configure_channel_submitted(
    submission: Submission, accounts: AccountService, channels: ChannelService, home: HomeService
) -> None:
    ack, view = submission.ack, submission.view
    try:
        members = read_who_can(submission.state)
    except UserFacingError as e:
        await ack(response_action="errors", errors={e.field or "": e.message})
        return
    request = _request(view, members)
    errors = _field_errors(view, request)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    await ack(
        response_action="update", view=message_modal("Configure channel", "Checking the role with AWS…")
    )
    try:
        actor = await submission.actor()
        row = await channels.configure(actor, request)
    except UserFacingError as e:  # the form again, with what to fix
        retry = configure_channel_modal(
            await accounts.authorized_accounts(workspace_of(submission.context)),
            view.get("private_metadata", ""),
            channel_name=request.channel_name,
            public=bool(submission.metadata.get("public")),
            shared_externally=bool(submission.metadata.get("connect")),
            account_id=request.account_id,
            role_arn=request.role_arn,
            notifications=request.notifications,
            members=request.members,
            error=e.message,
        )
        await submission.show(retry)
        return
    text = (
        f":white_check_mark: #{row.channel_name} now acts with {configuration_line(row)}. Everyone in the channel "
        "can use `/aws-support create-case`, `search-case` and `service-quota-increase` with this role."
    )
    await submission.show(message_modal("Configure channel", text))
    await submission.client.chat_postEphemeral(channel=row.channel_id, user=actor.user_id, text=text)
    await publish_home(submission.client, home, actor)
