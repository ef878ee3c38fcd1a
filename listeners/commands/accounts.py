"""`authorize-account`, `accounts`, `register-organization`: the AWS accounts of the workspace."""

from __future__ import annotations

from bolt_app.blocks.accounts import accounts_blocks
from bolt_app.blocks.accounts import authorize_account_modal
from bolt_app.blocks.accounts import metadata
from bolt_app.blocks.accounts import register_organization_modal
from bolt_app.services.accounts import AccountService
from bolt_app.services.role_templates import RoleTemplates
from listeners.commands.aws_support import IN_REPLY
from listeners.commands.aws_support import CommandRequest
from listeners.commands.aws_support import subcommand
from listeners.common import acting_user
from listeners.errors import shows_errors


@subcommand("authorize-account", "let an AWS account's IAM role serve this workspace", admin=True)
@shows_errors(IN_REPLY)
async def authorize_account_subcommand(
    request: CommandRequest, accounts: AccountService, role_templates: RoleTemplates
) -> None:
    await request.ack()
    actor = await acting_user(request.client, request.context)
    setup = await accounts.setup_to_authorize(actor)
    link = role_templates.link_url(actor.workspace)
    view = authorize_account_modal(
        setup, metadata(channel_id=request.channel_id, template=link), template_link=link
    )
    await request.client.views_open(trigger_id=request.trigger_id, view=view)


@subcommand("accounts", "list the AWS accounts of this workspace, with their names")
@shows_errors(IN_REPLY)
async def accounts_subcommand(request: CommandRequest, accounts: AccountService) -> None:
    await request.ack()
    listed = await accounts.list_for(await acting_user(request.client, request.context))
    await request.say_ephemeral(
        f"{len(listed.rows)} AWS accounts", accounts_blocks(listed.rows, listed.admin)
    )


@subcommand("register-organization", "authorize every account of an AWS Organization", admin=True)
@shows_errors(IN_REPLY)
async def register_organization_subcommand(request: CommandRequest, accounts: AccountService) -> None:
    await request.ack()
    rows = await accounts.organization_candidates(await acting_user(request.client, request.context))
    view = register_organization_modal(rows, metadata(channel_id=request.channel_id))
    await request.client.views_open(trigger_id=request.trigger_id, view=view)
