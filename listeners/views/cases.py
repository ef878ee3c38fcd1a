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

from bolt_app.blocks.cases import (
    CaseForm,
    MessageForm,
    ViewState,
    read_case_form,
    read_message_form,
    read_search_form,
    search_results_blocks,
    status_name,
)
from bolt_app.errors import UserFacingError
from bolt_app.services.cases import (
    DuplicateSubmission,
    InvalidInput,
    NewMessage,
    validate_new_case,
    validate_reply,
    validate_search,
)
from bolt_app.services.context import ChannelAccount, SlackActor
from bolt_app.slack_files import download_attachments
from listeners.case_flow import (
    Show,
    account_of,
    acting_user,
    create_form_errors,
    message_form_errors,
    payload_user_name,
    post_case_message,
    refresh_case_message,
    remember_own_action,
    tell_user,
    view_state,
)
from listeners.common import configured_accounts, explain_errors, services_of, slack_actor


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
        subject=form.subject,
        description=form.description,
        issue_type=form.issue_type,
        service_code=form.service_code,
        category_code=form.category_code,
        severity_code=form.severity_code,
        language=form.language,
        cc_emails=form.cc_emails,
        attachments=attachments,
        actor_name=actor.name,
        channel_name=account.channel_name,
    )
    try:
        case = await services_of(context).cases.create_case(account, actor, new, idempotency_key)
    except DuplicateSubmission:
        return  # Slack's retry or a second click: the first submission opened the case and posts it
    await remember_own_action(context, account, case.case_id, "create")
    ts = await post_case_message(client, state.channel_id, case)
    if ts:
        await remember_own_action(context, account, case.case_id, "create", root_ts=ts)


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


# ---- reply and reopen ------------------------------------------------------------------------------------------

Send = Callable[[ChannelAccount, SlackActor, str, NewMessage, str], Awaitable[None]]


async def reply_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    async def send(
        account: ChannelAccount, actor: SlackActor, case_id: str, msg: NewMessage, key: str
    ) -> None:
        await services_of(context).cases.reply(
            account, actor, case_id, msg.message, msg.cc_emails, msg.attachments, key
        )
        await remember_own_action(context, account, case_id, "reply")

    await _message_submitted(ack, body, view, client, context, send, "Your reply was sent to AWS Support")


async def reopen_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    async def send(
        account: ChannelAccount, actor: SlackActor, case_id: str, msg: NewMessage, key: str
    ) -> None:
        await services_of(context).cases.reopen(
            account, actor, case_id, msg.message, msg.cc_emails, key, msg.attachments
        )
        await remember_own_action(context, account, case_id, "reopen")

    await _message_submitted(ack, body, view, client, context, send, "The case is reopened")


async def _message_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    send: Send,
    done: str,
) -> None:
    state, form = view_state(view), read_message_form(view["state"])
    errors = message_form_errors(form, state, payload_user_name(body))
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    show = tell_user(client, state.channel_id, context.user_id or "")

    async def work() -> None:
        await _send_message(client, context, state, form, view["id"], send, done, show)

    await explain_errors(show, work)


async def _send_message(
    client: AsyncWebClient,
    context: AsyncBoltContext,
    state: ViewState,
    form: MessageForm,
    idempotency_key: str,
    send: Send,
    done: str,
    show: Show,
) -> None:
    if not state.case_id:
        raise UserFacingError("This form does not say which case it is about. Open it again from the case.")
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
    try:
        await send(account, actor, state.case_id, message, idempotency_key)
    except DuplicateSubmission:
        return  # Slack's retry or a second click: the first submission sent it
    try:
        case = await services_of(context).cases.details(account, actor, state.case_id, state.language)
    except UserFacingError:
        await show(f"{done} (case {state.case_id}).")
        return
    await refresh_case_message(client, state.channel_id, state.message_ts, case)
    await show(f"{done} (case {case.display_id or case.case_id}, now {status_name(case.status)}).")
