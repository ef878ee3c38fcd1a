"""`authorize-account`, `accounts`, `register-organization`: the AWS accounts of the workspace."""

from __future__ import annotations

from bolt_app.blocks.accounts import (
    accounts_blocks,
    authorize_account_modal,
    metadata,
    register_organization_modal,
)
from bolt_app.errors import UserFacingError
from bolt_app.services.admins import is_admin
from bolt_app.slack_directory import user_info
from listeners.commands.aws_support import CommandRequest, subcommand
from listeners.common import admin_user, explain_errors, services_of, workspace_of


@subcommand("authorize-account", "let an AWS account's IAM role serve this workspace (admins)")
async def authorize_account_subcommand(request: CommandRequest) -> None:
    await request.ack()

    async def work() -> None:
        await admin_user(request.context, request.client, "authorize AWS accounts")
        setup = await services_of(request.context).accounts.role_setup(workspace_of(request.context))
        view = authorize_account_modal(setup, metadata(channel_id=request.channel_id))
        await request.client.views_open(trigger_id=request.trigger_id, view=view)

    await explain_errors(request.say_ephemeral, work)


@subcommand("accounts", "list the AWS accounts of this workspace, with their names")
async def accounts_subcommand(request: CommandRequest) -> None:
    await request.ack()

    async def work() -> None:
        services = services_of(request.context)
        key = workspace_of(request.context)
        rows = await services.accounts.list(key)
        user = await user_info(request.client, request.context.user_id or "")
        admin = is_admin(user, await services.workspaces.get(key))
        await request.say_ephemeral(f"{len(rows)} AWS accounts", accounts_blocks(rows, admin))

    await explain_errors(request.say_ephemeral, work)


@subcommand("register-organization", "authorize every account of an AWS Organization (admins)")
async def register_organization_subcommand(request: CommandRequest) -> None:
    await request.ack()

    async def work() -> None:
        await admin_user(request.context, request.client, "register an AWS Organization")
        rows = await services_of(request.context).accounts.list(workspace_of(request.context))
        if not any(r.verified_role_arn for r in rows):
            raise UserFacingError(
                "Authorize the organization's management account first (`/aws-support authorize-account`)."
            )
        view = register_organization_modal(rows, metadata(channel_id=request.channel_id))
        await request.client.views_open(trigger_id=request.trigger_id, view=view)

    await explain_errors(request.say_ephemeral, work)
