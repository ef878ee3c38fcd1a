"""`create-case` and `search-case`: the modal opens at once; AWS is asked only after."""

from __future__ import annotations

from bolt_app.blocks.cases.messages import search_results_blocks
from bolt_app.services.cases.models import SearchFilter
from bolt_app.services.cases.validation import validate_search
from listeners.case_flow import open_create_case_modal, open_search_modal
from listeners.commands.aws_support import CommandRequest, subcommand
from listeners.common import configured_accounts, explain_errors, services_of, slack_actor


@subcommand("create-case", "open an AWS support case from this channel", ("create",))
async def create_case_subcommand(request: CommandRequest) -> None:
    await request.ack()

    async def work() -> None:
        await open_create_case_modal(request.client, request.context, request.trigger_id, request.channel_id)

    await explain_errors(request.say_ephemeral, work)


@subcommand(
    "search-case [case ID]", "find this channel's support cases, or show one case by its ID", ("search",)
)
async def search_case_subcommand(request: CommandRequest) -> None:
    await request.ack()

    async def work() -> None:
        accounts = await configured_accounts(request.context, request.channel_id)
        if not request.args:
            await open_search_modal(request.client, accounts, request.trigger_id, request.channel_id)
            return
        search = validate_search(SearchFilter(display_id=request.args))
        page = await services_of(request.context).cases.search(accounts, slack_actor(request.context), search)
        await request.say_ephemeral(
            f"Search results for case {search.display_id}", search_results_blocks(page, 1)
        )

    await explain_errors(request.say_ephemeral, work)
