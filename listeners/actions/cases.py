"""Buttons of case messages (See details, Reply, Resolve case, Reopen case, Share to channel, Show full message,
Previous correspondence), of search results (Next / Previous 5 results, Edit Search), and the choices of the
create-case modal that change what it offers."""

from __future__ import annotations

import json
from collections.abc import Awaitable
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from bolt_app.aws.budget import waiting_notice
from bolt_app.blocks.cases.forms import create_case_modal
from bolt_app.blocks.cases.forms import reopen_modal
from bolt_app.blocks.cases.forms import reply_modal
from bolt_app.blocks.cases.messages import case_text
from bolt_app.blocks.cases.messages import full_message_modal
from bolt_app.blocks.cases.messages import parse_full_message_value
from bolt_app.blocks.cases.messages import previous_correspondence_blocks
from bolt_app.blocks.cases.messages import search_results_blocks
from bolt_app.blocks.cases.parts import CaseRef
from bolt_app.blocks.cases.readers import read_case_form
from bolt_app.blocks.common import View
from bolt_app.blocks.common import message_modal
from bolt_app.errors import UserFacingError
from bolt_app.services.cases.channel_actions import CaseActions
from bolt_app.services.cases.fields import SEARCH_PAGE_SIZE
from bolt_app.services.cases.fields import SERVICE_BLOCK
from bolt_app.services.cases.models import CaseAlreadyResolved
from bolt_app.services.cases.models import CaseSummary
from bolt_app.services.cases.models import Communication
from bolt_app.services.cases.models import SupportedLanguage
from bolt_app.services.cases.search import search_filter_of
from bolt_app.services.cases.service import CaseService
from bolt_app.services.channels import ChannelService
from bolt_app.services.context import ChannelAccount
from bolt_app.services.context import SlackActor
from bolt_app.services.member_policy import Action
from bolt_app.slack.case_messages import SlackCaseMessages
from listeners.case_flow import MessageClick
from listeners.case_flow import details_blocks
from listeners.case_flow import ephemeral
from listeners.case_flow import message_click
from listeners.case_flow import offered_severities
from listeners.case_flow import open_case_modal
from listeners.case_flow import open_search_modal
from listeners.case_flow import prefill_of
from listeners.case_flow import severity_levels
from listeners.case_flow import view_state
from listeners.common import account_of
from listeners.common import channel_accounts
from listeners.common import pick_account
from listeners.common import slack_actor
from listeners.common import update_view
from listeners.errors import BELOW_MESSAGE
from listeners.requests import Click
from listeners.requests import on_click
from listeners.waiting import ToldOnce
from listeners.waiting import WaitingView
from listeners.waiting import answered_in_line
from listeners.waiting import open_waiting_view
from listeners.waiting import shown_in_line

DETAILS_BELOW = "The case's details are below the message you clicked, where only you can see them. You can close this window."
CORRESPONDENCE_BELOW = (
    "The case's correspondence is below the message you clicked, where only you can see it. You can close this "
    "window."
)

MAX_CORRESPONDENCE_PAGES = 10  # "Show full message" looks this far back for an older correspondence

ActionListener = Callable[..., Awaitable[None]]


async def _case_clicked(
    click: Click, channels: ChannelService, value: str | None = None
) -> tuple[ChannelAccount, CaseRef, MessageClick]:
    """The case a button names (its value, or `value` read from it), where it was clicked, and the channel's role
    for the case's account."""
    ref = CaseRef.decode(click.value if value is None else value)
    where = message_click(click.body)
    return await account_of(channels, click.context, where.channel_id, ref.account_id), ref, where


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


@on_click()
async def case_form_changed(click: Click, channels: ChannelService, cases: CaseService) -> None:
    """The account, issue type, service or category changed: offer that account's severity levels and the
    languages AWS supports for that issue type, service and category (a new service clears the category)."""
    await click.ack()
    view = click.body["view"]
    form = read_case_form(view["state"])
    service_changed = click.action.get("block_id") == SERVICE_BLOCK
    accounts = await channel_accounts(channels, click.context, view_state(view).channel_id)
    account = pick_account(accounts, form.account_id)
    actor = slack_actor(click.context)
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
    await update_view(click.client, view, updated)


# ---- reading a case --------------------------------------------------------------------------------------------


async def _waiting_view(
    click: Click, cases: CaseService, account: ChannelAccount, what: str
) -> WaitingView | None:
    """A modal saying where the request is in line, opened with the click's trigger when the budget says it will
    wait: its answer appears below the message, which may be everyone's and is never replaced."""
    place = cases.place_in_line([account])
    if not place:
        return None
    return await open_waiting_view(click.client, click.trigger_id, "AWS is busy", what, place)


@on_click(BELOW_MESSAGE)
async def see_details_clicked(click: Click, channels: ChannelService, cases: CaseService) -> None:
    await click.ack()
    account, ref, _ = await _case_clicked(click, channels)
    actor = slack_actor(click.context)
    waiting = await _waiting_view(click, cases, account, "your request for the case's details")

    async def show_details() -> None:
        case = await cases.details(account, actor, ref.case_id, ref.language)
        blocks = await details_blocks(cases, actor, account, case)
        await click.respond(
            text=case_text(case), blocks=blocks, response_type="ephemeral", replace_original=False
        )

    told = ToldOnce(ephemeral(click.respond), "your request")
    await shown_in_line(waiting, show_details, DETAILS_BELOW, otherwise=told)


@on_click(BELOW_MESSAGE)
async def previous_correspondence_clicked(click: Click, channels: ChannelService, cases: CaseService) -> None:
    """The first page (from a case's details) appears below them; older pages replace the page clicked (and so
    does the wait for them)."""
    await click.ack()
    value, page_token = _correspondence_page(click.value)
    account, ref, _ = await _case_clicked(click, channels, value)
    actor = slack_actor(click.context)

    async def correspondence() -> tuple[str, list[dict[str, Any]]]:
        case = await cases.details(account, actor, ref.case_id, ref.language)
        communications, next_token = await cases.communications(account, actor, ref.case_id, page_token)
        return (
            f"Previous correspondence of case {case.display_id or case.case_id}",
            previous_correspondence_blocks(case, communications, next_token),
        )

    if page_token is not None:
        await answered_in_line(click.respond, "your request", correspondence, replaces_original=True)
        return

    async def show_first_page() -> None:
        text, blocks = await correspondence()
        await click.respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)

    waiting = await _waiting_view(click, cases, account, "your request for the case's correspondence")
    told = ToldOnce(ephemeral(click.respond), "your request")
    await shown_in_line(waiting, show_first_page, CORRESPONDENCE_BELOW, otherwise=told)


@on_click(BELOW_MESSAGE)
async def show_full_message_clicked(click: Click, channels: ChannelService, cases: CaseService) -> None:
    """A modal with one correspondence whole: opened at once (saying where the request is in line when it waits
    for its turn at AWS), filled in once AWS answered."""
    await click.ack()
    value, at = _full_message(click.value)
    account, ref, _ = await _case_clicked(click, channels, value)
    place = cases.place_in_line([account])
    waiting = WaitingView(click.client, "", "Full message", "your request for the message")
    loading = waiting.view(place) if place else message_modal("Full message", "Loading the message…")
    opened = await click.client.views_open(trigger_id=click.trigger_id, view=loading)
    waiting.view_id = opened["view"]["id"]
    try:
        actor = slack_actor(click.context)
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


@on_click(BELOW_MESSAGE)
async def share_clicked(click: Click, channels: ChannelService, cases: CaseService) -> None:
    """Posts the case's summary in the channel, for everyone."""
    await click.ack()
    account, ref, where = await _case_clicked(click, channels)
    case = await cases.details(account, slack_actor(click.context), ref.case_id, ref.language)
    await SlackCaseMessages(click.client).post(where.channel_id, case, shared_by=click.context.user_id)


# ---- changing a case -------------------------------------------------------------------------------------------


def _case_modal_clicked(build: Callable[..., View], rule: Action) -> ActionListener:
    """ "Reply" and "Reopen case": the modal about the case clicked (`reply_modal`, `reopen_modal`), unless the
    channel's member policy (`rule`) would refuse its submission."""

    @on_click(BELOW_MESSAGE)
    async def clicked(click: Click, channels: ChannelService, cases: CaseService) -> None:
        await click.ack()
        ref = CaseRef.decode(click.value)
        await open_case_modal(build, click.client, click.context, channels, cases, click.body, ref, rule)

    return clicked


reply_clicked = _case_modal_clicked(reply_modal, "reply")
reopen_clicked = _case_modal_clicked(reopen_modal, "resolve")


@on_click(BELOW_MESSAGE)
async def resolve_clicked(
    click: Click, channels: ChannelService, cases: CaseService, case_actions: CaseActions
) -> None:
    """Confirmed in Slack's "Resolve case" dialog; resolves the case and shows it resolved where it was clicked."""
    await click.ack()
    account, ref, where = await _case_clicked(click, channels)
    actor = slack_actor(click.context)
    try:
        await case_actions.resolve(account, actor, ref.case_id)
    except CaseAlreadyResolved as e:
        await ephemeral(click.respond)(e.message)
    case = await cases.details(account, actor, ref.case_id, ref.language)
    if where.ephemeral:
        blocks = await details_blocks(cases, actor, account, case)
        await click.respond(text=case_text(case), blocks=blocks, replace_original=True)
    else:
        await SlackCaseMessages(click.client).refresh(where.channel_id, where.message_ts, case)


# ---- search results --------------------------------------------------------------------------------------------


@on_click(BELOW_MESSAGE)
async def search_results_page_clicked(click: Click, channels: ChannelService, cases: CaseService) -> None:
    """ "Next 5 results" / "Previous 5 results": the search again, that page, in place of the one clicked (and so
    is the wait for it)."""
    await click.ack()
    token = click.value

    async def page_of_results() -> tuple[str, list[dict[str, Any]]]:
        accounts = await channel_accounts(channels, click.context, message_click(click.body).channel_id)
        actor = slack_actor(click.context)
        page = await cases.search(accounts, actor, search_filter_of(token), page_token=token)
        return "Search results", search_results_blocks(page, page.offset // SEARCH_PAGE_SIZE + 1)

    await answered_in_line(click.respond, "your search", page_of_results, replaces_original=True)


@on_click(BELOW_MESSAGE)
async def edit_search_clicked(click: Click, channels: ChannelService) -> None:
    await click.ack()
    channel_id = message_click(click.body).channel_id
    accounts = await channel_accounts(channels, click.context, channel_id)
    await open_search_modal(click.client, accounts, click.trigger_id, channel_id)
