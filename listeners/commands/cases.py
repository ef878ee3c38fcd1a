"""`create-case` and `search-case`: the modal opens at once; AWS is asked only after."""

from __future__ import annotations

from bolt_app.blocks.cases.messages import search_results_blocks
from bolt_app.errors import UserFacingError
from bolt_app.services.cases.models import SearchFilter
from bolt_app.services.cases.service import CaseService
from bolt_app.services.cases.validation import validate_search
from bolt_app.services.channels import ChannelService
from listeners.case_flow import open_create_case_modal
from listeners.case_flow import open_search_modal
from listeners.commands.aws_support import IN_REPLY
from listeners.commands.aws_support import CommandRequest
from listeners.commands.aws_support import subcommand
from listeners.common import channel_accounts
from listeners.common import slack_actor
from listeners.errors import shows_errors
from listeners.waiting import waiting_in_line


@subcommand("create-case", "open an AWS support case from this channel", ("create",))
@shows_errors(IN_REPLY)
async def create_case_subcommand(
    request: CommandRequest, channels: ChannelService, cases: CaseService
) -> None:
    await request.ack()
    await open_create_case_modal(
        request.client, request.context, channels, cases, request.trigger_id, request.channel_id
    )


@subcommand(
    "search-case [case ID]", "find this channel's support cases, or show one case by its ID", ("search",)
)
@shows_errors(IN_REPLY)
async def search_case_subcommand(
    request: CommandRequest, channels: ChannelService, cases: CaseService
) -> None:
    await request.ack()
    accounts = await channel_accounts(channels, request.context, request.channel_id)
    if not request.args:
        await open_search_modal(request.client, accounts, request.trigger_id, request.channel_id)
        return
    search = validate_search(SearchFilter(display_id=request.args))
    async with waiting_in_line(request.respond, "your search") as reply:
        try:
            page = await cases.search(accounts, slack_actor(request.context), search)
        except UserFacingError as e:
            if not reply.shown:
                raise
            await reply.answer(e.message)  # in place of "AWS is busy…"
            return
    await reply.answer(f"Search results for case {search.display_id}", search_results_blocks(page, 1))
