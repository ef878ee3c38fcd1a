"""Submissions of "Create a support case", "Search support cases", "Reply to case" and "Reopen case".

Every field is checked before `ack()` without calling AWS or Slack (errors appear under the fields); after `ack()`
the attachments are downloaded from Slack, AWS is called once per submission (the view id is the idempotency
key), and what happened is shown in the channel."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bolt_app.blocks.cases.forms import CaseForm, read_case_form, read_message_form, read_search_form
from bolt_app.blocks.cases.messages import search_results_blocks
from bolt_app.blocks.cases.parts import ViewState, status_name
from bolt_app.errors import UserFacingError
from bolt_app.services.cases.channel_actions import MessageKind
from bolt_app.services.cases.models import InvalidInput
from bolt_app.services.cases.validation import validate_new_case, validate_reply, validate_search
from bolt_app.slack_case_messages import SlackCaseMessages
from bolt_app.slack_files import download_attachments
from listeners.case_flow import (
    account_of,
    acting_user,
    create_form_errors,
    message_form_errors,
    payload_user_name,
    tell_user,
    view_state,
)
from listeners.common import configured_accounts, explain_errors, services_of, slack_actor

ViewListener = Callable[
    [AsyncAck, dict[str, Any], dict[str, Any], AsyncWebClient, AsyncBoltContext], Awaitable[None]
]


async def create_case_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    state, form = view_state(view), read_case_form(view["state"])
    errors = create_form_errors(form, state, payload_user_name(body))
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    await ack()

    async def work() -> None:
        await _create_case(client, context, state, form, idempotency_key=view["id"])

    await explain_errors(tell_user(client, state.channel_id, context.user_id or ""), work)


async def _create_case(
    client: AsyncWebClient, context: AsyncBoltContext, state: ViewState, form: CaseForm, idempotency_key: str
) -> None:
    account = await account_of(context, state.channel_id, form.account_id)
    actor = await acting_user(client, context, state)
    attachments = await download_attachments(client, [f.id for f in form.files])
    new = validate_new_case(
        form, attachments=attachments, actor_name=actor.name, channel_name=account.channel_name
    )
    await services_of(context).case_actions.create(
        account, actor, new, idempotency_key, SlackCaseMessages(client)
    )


async def search_cases_submitted(
    ack: AsyncAck, view: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    try:
        search = validate_search(read_search_form(view["state"]))
    except InvalidInput as e:
        await ack(response_action="errors", errors=e.errors)
        return
    await ack()
    channel_id, user_id = view_state(view).channel_id, context.user_id or ""

    async def work() -> None:
        accounts = await configured_accounts(context, channel_id)
        page = await services_of(context).cases.search(accounts, slack_actor(context), search)
        await client.chat_postEphemeral(
            channel=channel_id, user=user_id, text="Search results", blocks=search_results_blocks(page, 1)
        )

    await explain_errors(tell_user(client, channel_id, user_id), work)


# ---- reply and reopen: one flow -------------------------------------------------------------------------------


def _message_submitted(kind: MessageKind, done: str) -> ViewListener:
    """The submission of the reply or the reopen modal; `done` starts what the user is told afterwards."""

    async def submitted(
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        state, form = view_state(view), read_message_form(view["state"])
        errors = message_form_errors(form, state, payload_user_name(body))
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        show = tell_user(client, state.channel_id, context.user_id or "")

        async def work() -> None:
            if not state.case_id:
                raise UserFacingError(
                    "This form does not say which case it is about. Open it again from the case."
                )
            account = await account_of(context, state.channel_id, state.account_id)
            actor = await acting_user(client, context, state)
            attachments = await download_attachments(client, [f.id for f in form.files])
            message = validate_reply(
                message=form.message,
                cc_emails=form.cc_emails,
                attachments=attachments,
                actor_name=actor.name,
                channel_name=account.channel_name,
            )
            sent = await services_of(context).case_actions.send_message(
                kind,
                account,
                actor,
                state.case_id,
                message,
                view["id"],
                SlackCaseMessages(client),
                language=state.language,
                message_ts=state.message_ts,
            )
            if sent is None:
                return  # Slack's retry or a second click: the first submission sent it
            if sent.case is None:
                await show(f"{done} (case {sent.case_id}).")
            else:
                case = sent.case
                await show(
                    f"{done} (case {case.display_id or case.case_id}, now {status_name(case.status)})."
                )

        await explain_errors(show, work)

    submitted.__name__ = f"{kind}_submitted"
    return submitted


reply_submitted = _message_submitted("reply", "Your reply was sent to AWS Support")
reopen_submitted = _message_submitted("reopen", "The case is reopened")
