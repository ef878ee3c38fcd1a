"""Buttons of case messages (See details, Reply, Resolve case, Reopen case, Share to channel, Show full message,
Previous correspondence), of search results (Next / Previous 5 results, Edit Search), and the choices of the
create-case modal that change what it offers."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bolt_app.aws.budget import waiting_notice
from bolt_app.blocks.cases.forms import create_case_modal, reopen_modal, reply_modal
from bolt_app.blocks.cases.messages import (
    case_text,
    full_message_modal,
    parse_full_message_value,
    previous_correspondence_blocks,
    search_results_blocks,
)
from bolt_app.blocks.cases.parts import CaseRef
from bolt_app.blocks.cases.readers import read_case_form
from bolt_app.blocks.common import View, message_modal
from bolt_app.errors import UserFacingError
from bolt_app.services.cases.channel_actions import CaseActions
from bolt_app.services.cases.fields import SEARCH_PAGE_SIZE, SERVICE_BLOCK
from bolt_app.services.cases.models import CaseAlreadyResolved, CaseSummary, Communication, SupportedLanguage
from bolt_app.services.cases.search import search_filter_of
from bolt_app.services.cases.service import CaseService
from bolt_app.services.channels import ChannelService
from bolt_app.services.context import ChannelAccount, SlackActor
from bolt_app.services.member_policy import Action
from bolt_app.slack.case_messages import SlackCaseMessages
from listeners.case_flow import (
    MessageClick,
    details_blocks,
    ephemeral,
    message_click,
    offered_severities,
    open_case_modal,
    open_search_modal,
    prefill_of,
    severity_levels,
    view_state,
)
from listeners.common import account_of, channel_accounts, pick_account, slack_actor, update_view
from listeners.errors import BELOW_MESSAGE, shows_errors
from listeners.waiting import ToldOnce, WaitingView, answered_in_line, open_waiting_view, shown_in_line

DETAILS_BELOW = "The case's details are below the message you clicked, where only you can see them. You can close this window."
CORRESPONDENCE_BELOW = (
    "The case's correspondence is below the message you clicked, where only you can see it. You can close this "
    "window."
)
MAX_CORRESPONDENCE_PAGES = 10  # "Show full message" looks this far back for an older correspondence

ActionListener = Callable[..., Awaitable[None]]


async def _case_clicked(
    value: str, body: dict[str, Any], context: AsyncBoltContext, channels: ChannelService
) -> tuple[ChannelAccount, CaseRef, MessageClick]:
    """The case a button names, where it was clicked, and the channel's role for the case's account."""
    ref = CaseRef.decode(value)
    click = message_click(body)
    return await account_of(channels, context, click.channel_id, ref.account_id), ref, click


def _correspondence_page(value: str) -> tuple[str, str | None]:
    """A "Previous correspondence" value: a case (the first page) or a case and the page to show."""
    try:
        doc = json.loads(value) if value.startswith("{") else None
    except ValueError:
        doc = None
    return (str(doc.get("ref", "")), doc.get("next")) if isinstance(doc, dict) else (value, None)


def _full_message(value: str) -> tuple[str, datetime | None]:
    """A "Show full message" value: the case, and when the correspondence was written (none: the latest)."""
    try:
        ref, at = parse_full_message_value(value) if value.startswith("{") else (CaseRef.decode(value), None)
    except (ValueError, KeyError, TypeError):
        return value, None  # not a case: the click is answered with an apology
    return ref.encode(), at


# ---- the create-case modal -------------------------------------------------------------------------------------


async def case_form_changed(
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    channels: ChannelService,
    cases: CaseService,
) -> None:
    """The account, issue type, service or category changed: offer that account's severity levels and the
    languages AWS supports for that issue type, service and category (a new service clears the category)."""
    await ack()
    view = body["view"]
    form = read_case_form(view["state"])
    service_changed = (body.get("actions") or [{}])[0].get("block_id") == SERVICE_BLOCK
    accounts = await channel_accounts(channels, context, view_state(view).channel_id)
    account = pick_account(accounts, form.account_id)
    actor = slack_actor(context)
    levels, notice = await severity_levels(cases, account, actor)
    languages: list[SupportedLanguage] = []
    if (
        notice is None
        and form.issue_type
        and form.service_code
        and form.category_code
        and not service_changed
    ):
        try:
            languages = await cases.languages(
                account, actor, form.issue_type, form.service_code, form.category_code
            )
        except UserFacingError as e:
            notice = e.message
    updated = create_case_modal(
        accounts,
        prefill=prefill_of(form, view["state"], service_changed=service_changed),
        severity_levels=levels,
        languages=languages,
        private_metadata=replace(view_state(view), severities=offered_severities(account, levels)).encode(),
        notice=notice,
    )
    await update_view(client, view, updated)


# ---- reading a case --------------------------------------------------------------------------------------------


async def _waiting_view(
    client: AsyncWebClient, body: dict[str, Any], cases: CaseService, account: ChannelAccount, what: str
) -> WaitingView | None:
    """A modal saying where the request is in line, opened with the click's trigger when the budget says it will
    wait: its answer appears below the message, which may be everyone's and is never replaced."""
    place = cases.place_in_line([account])
    if not place:
        return None
    return await open_waiting_view(client, body["trigger_id"], "AWS is busy", what, place)


@shows_errors(BELOW_MESSAGE)
async def see_details_clicked(
    ack: AsyncAck,
    action: dict[str, Any],
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    respond: AsyncRespond,
    channels: ChannelService,
    cases: CaseService,
) -> None:
    await ack()
    account, ref, _ = await _case_clicked(str(action.get("value", "")), body, context, channels)
    actor = slack_actor(context)
    waiting = await _waiting_view(client, body, cases, account, "your request for the case's details")

    async def show_details() -> None:
        case = await cases.details(account, actor, ref.case_id, ref.language)
        blocks = await details_blocks(cases, actor, account, case)
        await respond(text=case_text(case), blocks=blocks, response_type="ephemeral", replace_original=False)

    await shown_in_line(
        waiting, show_details, DETAILS_BELOW, otherwise=ToldOnce(ephemeral(respond), "your request")
    )


@shows_errors(BELOW_MESSAGE)
async def previous_correspondence_clicked(
    ack: AsyncAck,
    action: dict[str, Any],
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    respond: AsyncRespond,
    channels: ChannelService,
    cases: CaseService,
) -> None:
    """The first page (from a case's details) appears below them; older pages replace the page clicked (and so
    does the wait for them)."""
    await ack()
    value, page_token = _correspondence_page(str(action.get("value", "")))
    account, ref, _ = await _case_clicked(value, body, context, channels)
    actor = slack_actor(context)

    async def correspondence() -> tuple[str, list[dict[str, Any]]]:
        case = await cases.details(account, actor, ref.case_id, ref.language)
        communications, next_token = await cases.communications(account, actor, ref.case_id, page_token)
        return (
            f"Previous correspondence of case {case.display_id or case.case_id}",
            previous_correspondence_blocks(case, communications, next_token),
        )

    if page_token is not None:
        await answered_in_line(respond, "your request", correspondence, replaces_original=True)
        return

    async def show_first_page() -> None:
        text, blocks = await correspondence()
        await respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)

    waiting = await _waiting_view(client, body, cases, account, "your request for the case's correspondence")
    await shown_in_line(
        waiting, show_first_page, CORRESPONDENCE_BELOW, otherwise=ToldOnce(ephemeral(respond), "your request")
    )


@shows_errors(BELOW_MESSAGE)
async def show_full_message_clicked(
    ack: AsyncAck,
    action: dict[str, Any],
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    respond: AsyncRespond,
    channels: ChannelService,
    cases: CaseService,
) -> None:
    """A modal with one correspondence whole: opened at once (saying where the request is in line when it waits
    for its turn at AWS), filled in once AWS answered."""
    await ack()
    value, at = _full_message(str(action.get("value", "")))
    account, ref, _ = await _case_clicked(value, body, context, channels)
    place = cases.place_in_line([account])
    waiting = WaitingView(client, "", "Full message", "your request for the message")
    loading = waiting.view(place) if place else message_modal("Full message", "Loading the message…")
    opened = await client.views_open(trigger_id=body["trigger_id"], view=loading)
    waiting.view_id = opened["view"]["id"]
    try:
        actor = slack_actor(context)
        with waiting_notice(waiting):
            case = await cases.details(account, actor, ref.case_id, ref.language)
            updated = full_message_modal(case, await _communication(cases, actor, account, case, at))
    except UserFacingError as e:
        updated = message_modal("Full message", f":warning: {e.message}")
    await waiting.answer_with(updated)


async def _communication(
    cases: CaseService, actor: SlackActor, account: ChannelAccount, case: CaseSummary, at: datetime | None
) -> Communication:
    """The correspondence written at `at` (the latest without one): among the recent ones, else further back."""
    found = next((c for c in case.recent if at is None or c.time_created == at), None)
    token: str | None = None
    for _ in range(MAX_CORRESPONDENCE_PAGES if found is None and at is not None else 0):
        items, token = await cases.communications(account, actor, case.case_id, token)
        found = next((c for c in items if c.time_created == at), None)
        if found is not None or token is None:
            break
    if found is None:
        raise UserFacingError("That message is no longer among the case's correspondence. See details again.")
    return found


@shows_errors(BELOW_MESSAGE)
async def share_clicked(
    ack: AsyncAck,
    action: dict[str, Any],
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    respond: AsyncRespond,
    channels: ChannelService,
    cases: CaseService,
) -> None:
    """Posts the case's summary in the channel, for everyone."""
    await ack()
    account, ref, click = await _case_clicked(str(action.get("value", "")), body, context, channels)
    case = await cases.details(account, slack_actor(context), ref.case_id, ref.language)
    await SlackCaseMessages(client).post(click.channel_id, case, shared_by=context.user_id)


# ---- changing a case -------------------------------------------------------------------------------------------


def _case_modal_clicked(build: Callable[..., View], rule: Action) -> ActionListener:
    """ "Reply" and "Reopen case": the modal about the case clicked (`reply_modal`, `reopen_modal`), unless the
    channel's member policy (`rule`) would refuse its submission."""

    @shows_errors(BELOW_MESSAGE)
    async def clicked(
        ack: AsyncAck,
        action: dict[str, Any],
        body: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
        respond: AsyncRespond,
        channels: ChannelService,
        cases: CaseService,
    ) -> None:
        await ack()
        ref = CaseRef.decode(str(action.get("value", "")))
        await open_case_modal(build, client, context, channels, cases, body, ref, rule)

    return clicked


reply_clicked = _case_modal_clicked(reply_modal, "reply")
reopen_clicked = _case_modal_clicked(reopen_modal, "resolve")


@shows_errors(BELOW_MESSAGE)
async def resolve_clicked(
    ack: AsyncAck,
    action: dict[str, Any],
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    respond: AsyncRespond,
    channels: ChannelService,
    cases: CaseService,
    case_actions: CaseActions,
) -> None:
    """Confirmed in Slack's "Resolve case" dialog; resolves the case and shows it resolved where it was clicked."""
    await ack()
    account, ref, click = await _case_clicked(str(action.get("value", "")), body, context, channels)
    actor = slack_actor(context)
    try:
        await case_actions.resolve(account, actor, ref.case_id)
    except CaseAlreadyResolved as e:
        await ephemeral(respond)(e.message)
    case = await cases.details(account, actor, ref.case_id, ref.language)
    if click.ephemeral:
        blocks = await details_blocks(cases, actor, account, case)
        await respond(text=case_text(case), blocks=blocks, replace_original=True)
    else:
        await SlackCaseMessages(client).refresh(click.channel_id, click.message_ts, case)


# ---- search results --------------------------------------------------------------------------------------------


@shows_errors(BELOW_MESSAGE)
async def search_results_page_clicked(
    ack: AsyncAck,
    action: dict[str, Any],
    body: dict[str, Any],
    context: AsyncBoltContext,
    respond: AsyncRespond,
    channels: ChannelService,
    cases: CaseService,
) -> None:
    """ "Next 5 results" / "Previous 5 results": the search again, that page, in place of the one clicked (and so
    is the wait for it)."""
    await ack()
    token = str(action.get("value", ""))

    async def page_of_results() -> tuple[str, list[dict[str, Any]]]:
        accounts = await channel_accounts(channels, context, message_click(body).channel_id)
        page = await cases.search(accounts, slack_actor(context), search_filter_of(token), page_token=token)
        return "Search results", search_results_blocks(page, page.offset // SEARCH_PAGE_SIZE + 1)

    await answered_in_line(respond, "your search", page_of_results, replaces_original=True)


@shows_errors(BELOW_MESSAGE)
async def edit_search_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    respond: AsyncRespond,
    channels: ChannelService,
) -> None:
    await ack()
    channel_id = message_click(body).channel_id
    accounts = await channel_accounts(channels, context, channel_id)
    await open_search_modal(client, accounts, body["trigger_id"], channel_id)
