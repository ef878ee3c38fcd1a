"""Buttons of case messages (See details, Reply, Resolve case, Reopen case, Share to channel, Show full message,
Previous correspondence), of search results (Next / Previous 5 results, Edit Search), and the choices of the
create-case modal that change what it offers."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime

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
from listeners.errors import BELOW_MESSAGE
from listeners.requests import Click, on_click

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


@on_click(BELOW_MESSAGE)
async def see_details_clicked(click: Click, channels: ChannelService, cases: CaseService) -> None:
    await click.ack()
    account, ref, _ = await _case_clicked(click, channels)
    actor = slack_actor(click.context)
    case = await cases.details(account, actor, ref.case_id, ref.language)
    blocks = await details_blocks(cases, actor, account, case)
    await click.respond(
        text=case_text(case), blocks=blocks, response_type="ephemeral", replace_original=False
    )


@on_click(BELOW_MESSAGE)
async def previous_correspondence_clicked(click: Click, channels: ChannelService, cases: CaseService) -> None:
    """The first page (from a case's details) appears below them; older pages replace the page clicked."""
    await click.ack()
    value, page_token = _correspondence_page(click.value)
    account, ref, _ = await _case_clicked(click, channels, value)
    actor = slack_actor(click.context)
    case = await cases.details(account, actor, ref.case_id, ref.language)
    communications, next_token = await cases.communications(account, actor, ref.case_id, page_token)
    await click.respond(
        text=f"Previous correspondence of case {case.display_id or case.case_id}",
        blocks=previous_correspondence_blocks(case, communications, next_token),
        response_type="ephemeral",
        replace_original=page_token is not None,
    )


@on_click(BELOW_MESSAGE)
async def show_full_message_clicked(click: Click, channels: ChannelService, cases: CaseService) -> None:
    """A modal with one correspondence whole: opened at once, filled in once AWS answered."""
    await click.ack()
    value, at = _full_message(click.value)
    account, ref, _ = await _case_clicked(click, channels, value)
    opened = await click.client.views_open(
        trigger_id=click.trigger_id, view=message_modal("Full message", "Loading the message…")
    )
    try:
        actor = slack_actor(click.context)
        case = await cases.details(account, actor, ref.case_id, ref.language)
        updated = full_message_modal(case, await _communication(cases, actor, account, case, at))
    except UserFacingError as e:
        updated = message_modal("Full message", f":warning: {e.message}")
    await update_view(click.client, opened["view"], updated)


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
    """ "Next 5 results" / "Previous 5 results": the search again, that page, in place of the one clicked."""
    await click.ack()
    token = click.value
    accounts = await channel_accounts(channels, click.context, message_click(click.body).channel_id)
    page = await cases.search(accounts, slack_actor(click.context), search_filter_of(token), page_token=token)
    await click.respond(
        text="Search results",
        blocks=search_results_blocks(page, page.offset // SEARCH_PAGE_SIZE + 1),
        response_type="ephemeral",
        replace_original=True,
    )


@on_click(BELOW_MESSAGE)
async def edit_search_clicked(click: Click, channels: ChannelService) -> None:
    await click.ack()
    channel_id = message_click(click.body).channel_id
    accounts = await channel_accounts(channels, click.context, channel_id)
    await open_search_modal(click.client, accounts, click.trigger_id, channel_id)
