"""What the support-case listeners share: where a click or a modal acts (channel, account, case), who acts (with
the name AWS receives in "Submitted from Slack by …"), the field errors of a form before `ack()` (the service's
rules applied to what Slack sent), modals opened at once and filled in once AWS answered, and where to say what
went wrong."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import replace
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bolt_app.blocks.cases.forms import CaseFormPrefill
from bolt_app.blocks.cases.forms import create_case_modal
from bolt_app.blocks.cases.forms import search_modal
from bolt_app.blocks.cases.messages import case_details_blocks
from bolt_app.blocks.cases.parts import TEXT_INPUT_CHARS
from bolt_app.blocks.cases.parts import CaseRef
from bolt_app.blocks.cases.parts import ViewState
from bolt_app.blocks.cases.readers import CaseForm
from bolt_app.blocks.cases.readers import MessageForm
from bolt_app.blocks.cases.readers import SlackFile
from bolt_app.blocks.common import Block
from bolt_app.blocks.common import View
from bolt_app.blocks.common import message_modal
from bolt_app.errors import UserFacingError
from bolt_app.file_hosts import remote_file_problem
from bolt_app.services.cases.fields import ATTACHMENTS_BLOCK
from bolt_app.services.cases.fields import CATEGORY_BLOCK
from bolt_app.services.cases.fields import SERVICE_BLOCK
from bolt_app.services.cases.fields import SEVERITY_BLOCK
from bolt_app.services.cases.models import CaseSummary
from bolt_app.services.cases.models import SupportService
from bolt_app.services.cases.service import CaseService
from bolt_app.services.cases.validation import attachment_problem
from bolt_app.services.cases.validation import new_case_errors
from bolt_app.services.cases.validation import reply_errors
from bolt_app.services.channels import ChannelService
from bolt_app.services.choice import Choice
from bolt_app.services.context import ChannelAccount
from bolt_app.services.context import SlackActor
from bolt_app.services.member_policy import Action
from bolt_app.services.member_rules import offered_severity_error
from bolt_app.slack.directory import user_info
from listeners.common import account_of
from listeners.common import channel_accounts
from listeners.common import pick_account
from listeners.common import slack_actor
from listeners.common import update_view
from listeners.errors import Where

log = logging.getLogger(__name__)

Show = Callable[[str], Awaitable[Any]]


# ---- where and who ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageClick:
    """Where a button of a message was clicked: an in-channel message can be updated with chat.update, an
    ephemeral one only through the action's response_url."""

    channel_id: str
    message_ts: str | None
    ephemeral: bool
    in_thread: bool = False  # a reply in a case's thread (a correspondence), not a case message


def message_click(body: Mapping[str, Any]) -> MessageClick:
    container = body.get("container") or {}
    channel_id = (body.get("channel") or {}).get("id") or container.get("channel_id") or ""
    message_ts = container.get("message_ts")
    thread_ts = (body.get("message") or {}).get("thread_ts") or container.get("thread_ts")
    in_thread = bool(thread_ts) and thread_ts != message_ts
    return MessageClick(str(channel_id), message_ts, bool(container.get("is_ephemeral")), in_thread)


def view_state(view: Mapping[str, Any]) -> ViewState:
    try:
        return ViewState.decode(str(view.get("private_metadata") or "{}"))
    except (ValueError, TypeError):
        return ViewState(channel_id="")


async def user_name(client: AsyncWebClient, context: AsyncBoltContext) -> str:
    return (await user_info(client, context.user_id or "")).name


async def acting_user(client: AsyncWebClient, context: AsyncBoltContext, state: ViewState) -> SlackActor:
    """The user with the name that signs what they send (known from the modal, else asked from Slack)."""
    return slack_actor(context, state.actor_name or await user_name(client, context))


def payload_user_name(body: Mapping[str, Any]) -> str:
    user = body.get("user") or {}
    return str(user.get("name") or user.get("username") or user.get("id") or "")


def ephemeral(respond: AsyncRespond) -> Show:
    """Say something only the clicking user sees, below the message they clicked."""

    async def show(text: str) -> None:
        await respond(text=text, response_type="ephemeral", replace_original=False)

    return show


def tell_user(client: AsyncWebClient, channel_id: str, user_id: str) -> Show:
    """Say something only `user_id` sees in the channel (after a modal closed there is no response_url)."""

    async def show(text: str) -> None:
        try:
            await client.chat_postEphemeral(channel=channel_id, user=user_id, text=text)
        except SlackApiError as e:
            log.warning(
                "could not tell %s in %s: %s (%s)", user_id, channel_id, text, e.response.get("error")
            )

    return show


def _to_submitter(kwargs: Mapping[str, Any]) -> Show:
    return tell_user(kwargs["client"], view_state(kwargs["view"]).channel_id, kwargs["context"].user_id or "")


# To whoever submitted a case modal, in the channel it was opened from (the modal has closed by then).
TO_SUBMITTER = Where(("client", "context", "view"), _to_submitter)


# ---- forms: the service's rules on what Slack sent, before ack() ----------------------------------------------


def _with_file_errors(errors: dict[str, str], files: tuple[SlackFile, ...]) -> dict[str, str]:
    # Slack tells each file's size in the submission, so the limits are checked before anything is downloaded.
    problem = attachment_problem([(f.name, f.size) for f in files]) or next(
        (remote_file_problem(f.name) for f in files if f.remote), None
    )
    return errors | {ATTACHMENTS_BLOCK: problem} if problem else errors


def create_form_errors(form: CaseForm, state: ViewState, fallback_name: str) -> dict[str, str]:
    errors = new_case_errors(
        form, actor_name=state.actor_name or fallback_name, channel_name=state.channel_name or ""
    )
    if state.severities is not None and form.severity_code and form.severity_code not in state.severities:
        # Not offered, so forged: refused here, under the field. The service checks again after ack().
        errors[SEVERITY_BLOCK] = offered_severity_error(state.severities)
    return _with_file_errors(errors, form.files)


def offered_severities(account: ChannelAccount, levels: list[Choice]) -> list[str] | None:
    """What the create form remembers it offered, when the channel's member policy narrows the severities."""
    return [c.code for c in levels] if account.members.max_severity is not None else None


def message_form_errors(form: MessageForm, state: ViewState, fallback_name: str) -> dict[str, str]:
    errors = reply_errors(
        form, actor_name=state.actor_name or fallback_name, channel_name=state.channel_name or ""
    )
    return _with_file_errors(errors, form.files)


def chosen(state: Mapping[str, Any], block_id: str) -> Choice | None:
    """The selected option of a select, with the name it showed (an external select's name comes from AWS)."""
    element = next(iter((state.get("values", {}).get(block_id) or {}).values()), {})
    selected = element.get("selected_option")
    if not selected:
        return None
    return Choice(str(selected["value"]), str((selected.get("text") or {}).get("text") or selected["value"]))


def prefill_of(form: CaseForm, state: Mapping[str, Any], *, service_changed: bool) -> CaseFormPrefill:
    """The modal's current values, to rebuild it without losing them (a new service clears the category)."""
    return CaseFormPrefill(
        subject=form.subject or "",
        description=form.description or "",
        account_id=form.account_id,
        issue_type=form.issue_type or "technical",
        service=chosen(state, SERVICE_BLOCK),
        category=None if service_changed else chosen(state, CATEGORY_BLOCK),
        severity_code=form.severity_code,
        language=form.language or "en",
        cc_emails=form.cc_emails or "",
    )


def prefill_from_message(text: str, permalink: str | None = None) -> CaseFormPrefill:
    """The message shortcut's starting point: its first line as the subject, its text (and a link back to it)
    as the description, cut so the link survives Slack's 3000-character input."""
    subject = next((line.strip() for line in text.splitlines() if line.strip()), "")
    link = f"\n\nFrom Slack: {permalink}" if permalink else ""
    body = text.strip()
    if len(body) + len(link) > TEXT_INPUT_CHARS:
        body = body[: TEXT_INPUT_CHARS - len(link) - 1] + "…"
    return CaseFormPrefill(subject=subject, description=body + link)


# ---- the create-case modal: opened at once, completed when Slack and AWS answered ------------------------------


async def open_create_case_modal(
    client: AsyncWebClient,
    context: AsyncBoltContext,
    channels: ChannelService,
    cases: CaseService,
    trigger_id: str,
    channel_id: str,
    *,
    message: Mapping[str, Any] | None = None,
) -> None:
    """Opens "Create a support case" right away (the trigger_id lives 3 seconds; no AWS call before it), then
    fills in what needs Slack or AWS: the user's name, the account's severity levels, the message's permalink."""
    accounts = await channel_accounts(channels, context, channel_id)
    text = str((message or {}).get("text") or "")
    message_ts = (message or {}).get("ts")
    prefill = prefill_from_message(text) if message is not None else CaseFormPrefill()
    state = ViewState(channel_id, message_ts=message_ts, channel_name=accounts[0].channel_name)
    modal = create_case_modal(accounts, prefill=prefill, private_metadata=state.encode())
    opened = await client.views_open(trigger_id=trigger_id, view=modal)

    account = pick_account(accounts, prefill.account_id)
    actor = slack_actor(context)
    if not await _permitted(client, opened["view"], cases, account, actor, "create"):
        return
    name, (levels, notice), link, _ = await asyncio.gather(
        _name_or_none(client, context),
        severity_levels(cases, account, actor),
        _permalink(client, channel_id, message_ts),
        _warm_services(cases, account, actor),
    )
    if link:
        prefill = prefill_from_message(text, link)
    completed = create_case_modal(
        accounts,
        prefill=prefill,
        severity_levels=levels,
        private_metadata=replace(
            state, actor_name=name, severities=offered_severities(account, levels)
        ).encode(),
        notice=notice,
    )
    await update_view(client, opened["view"], completed)


async def _permitted(
    client: AsyncWebClient,
    view: dict[str, Any],
    cases: CaseService,
    account: ChannelAccount,
    actor: SlackActor,
    rule: Action,
    case_id: str | None = None,
) -> bool:
    """Whether the form just opened may be filled in; if not, it shows why instead (the refusal is audited)."""
    try:
        await cases.permitted(account, actor, rule, case_id)
    except UserFacingError as e:
        title = view.get("title", {}).get("text") or "AWS Support"
        await update_view(client, view, message_modal(title, f":warning: {e.message}"))
        return False
    return True


async def severity_levels(
    cases: CaseService, account: ChannelAccount, actor: SlackActor
) -> tuple[list[Choice], str | None]:
    """The account's severity levels, or none and why (the modal then shows the reason at its top)."""
    try:
        return await cases.severity_levels(account, actor), None
    except UserFacingError as e:
        return [], e.message


async def _name_or_none(client: AsyncWebClient, context: AsyncBoltContext) -> str | None:
    try:
        return await user_name(client, context)
    except UserFacingError:
        return None  # asked again when the form is submitted


async def _permalink(client: AsyncWebClient, channel_id: str, message_ts: str | None) -> str | None:
    if not message_ts:
        return None
    try:
        response = await client.chat_getPermalink(channel=channel_id, message_ts=message_ts)
    except SlackApiError as e:
        log.info("no permalink for %s/%s: %s", channel_id, message_ts, e.response.get("error"))
        return None
    return str(response.get("permalink") or "") or None


async def _warm_services(cases: CaseService, account: ChannelAccount, actor: SlackActor) -> None:
    """Reads the service list while the user reads the modal, so the first Service type-ahead answers from the
    cache well within Slack's 3 seconds. A failure shows up in that type-ahead, with its reason."""
    with contextlib.suppress(UserFacingError):
        await cases.services(account, actor)


# ---- reply and reopen modals: opened at once, completed with the case ------------------------------------------

CaseModal = Callable[..., View]


def placeholder_case(ref: CaseRef, account: ChannelAccount) -> CaseSummary:
    """What a modal shows of the case for the moment it takes AWS to describe it."""
    unknown = ("display_id", "status", "severity_code", "service_code", "category_code", "submitted_by")
    return CaseSummary(
        case_id=ref.case_id,
        subject="Loading the case…",
        time_created=None,
        language=ref.language or "",
        cc_emails=(),
        account_id=account.account_id,
        account_shown=account.account_shown,
        **dict.fromkeys(unknown, ""),
    )


async def open_case_modal(
    build: CaseModal,
    client: AsyncWebClient,
    context: AsyncBoltContext,
    channels: ChannelService,
    cases: CaseService,
    body: Mapping[str, Any],
    ref: CaseRef,
    rule: Action,
) -> None:
    """Opens a modal about one case (`reply_modal`, `reopen_modal`) before asking AWS anything, then shows the
    case in it. The modal remembers the message clicked, so that the message can be refreshed afterwards."""
    click = message_click(body)
    account = await account_of(channels, context, click.channel_id, ref.account_id)
    state = ViewState(
        click.channel_id,
        account_id=account.account_id,
        case_id=ref.case_id,
        language=ref.language,
        message_ts=None if click.ephemeral or click.in_thread else click.message_ts,
        channel_name=account.channel_name,
    )
    opened = await client.views_open(
        trigger_id=body["trigger_id"],
        view=build(placeholder_case(ref, account), private_metadata=state.encode()),
    )
    if not await _permitted(client, opened["view"], cases, account, slack_actor(context), rule, ref.case_id):
        return
    try:
        case, name = await asyncio.gather(
            cases.details(account, slack_actor(context), ref.case_id, ref.language),
            _name_or_none(client, context),
        )
    except UserFacingError as e:
        title = opened["view"].get("title", {}).get("text") or "AWS Support"
        await update_view(client, opened["view"], message_modal(title, f":warning: {e.message}"))
        return
    state = replace(state, actor_name=name, language=case.language or ref.language)
    await update_view(client, opened["view"], build(case, private_metadata=state.encode()))


# ---- showing a case ------------------------------------------------------------------------------------------


async def details_blocks(
    cases: CaseService, actor: SlackActor, account: ChannelAccount, case: CaseSummary
) -> list[Block]:
    """The case's details, with the service and category by name when the account's catalogue can be read."""
    services: list[SupportService] = []
    with contextlib.suppress(UserFacingError):  # without the catalogue, the codes are shown
        services = await cases.services(account, actor)
    service = next((s for s in services if s.code == case.service_code), None)
    return case_details_blocks(
        case,
        service_names={s.code: s.name for s in services},
        category_names={c.code: c.name for c in service.categories} if service else None,
    )


async def open_search_modal(
    client: AsyncWebClient, accounts: list[ChannelAccount], trigger_id: str, channel_id: str
) -> None:
    state = ViewState(channel_id, channel_name=accounts[0].channel_name)
    await client.views_open(
        trigger_id=trigger_id, view=search_modal(accounts, private_metadata=state.encode())
    )
