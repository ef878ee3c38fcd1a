"""Submissions of "Create a support case", "Search support cases", "Reply to case" and "Reopen case".

Every field is checked before `ack()` without calling AWS or Slack (errors appear under the fields); after `ack()`
the attachments are downloaded from Slack, AWS is called once per submission (the view id is the idempotency
key), and what happened is shown in the channel."""

from __future__ import annotations

from collections.abc import Awaitable
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from typing import TypeVar

from bolt_app.aws.budget import waiting_notice
from bolt_app.blocks.cases.messages import search_results_blocks
from bolt_app.blocks.cases.parts import ViewState
from bolt_app.blocks.cases.parts import status_name
from bolt_app.blocks.cases.readers import CaseForm
from bolt_app.blocks.cases.readers import MessageForm
from bolt_app.blocks.cases.readers import read_case_form
from bolt_app.blocks.cases.readers import read_message_form
from bolt_app.blocks.cases.readers import read_search_form
from bolt_app.errors import UserFacingError
from bolt_app.services.cases.channel_actions import CaseActions
from bolt_app.services.cases.deferral import Deferred
from bolt_app.services.cases.models import InvalidInput
from bolt_app.services.cases.models import MessageKind
from bolt_app.services.cases.service import CaseService
from bolt_app.services.cases.validation import validate_new_case
from bolt_app.services.cases.validation import validate_reply
from bolt_app.services.cases.validation import validate_search
from bolt_app.services.channels import ChannelService
from bolt_app.slack.case_messages import SlackCaseMessages
from bolt_app.slack.files import download_attachments
from listeners.case_flow import TO_SUBMITTER
from listeners.case_flow import Show
from listeners.case_flow import acting_user
from listeners.case_flow import create_form_errors
from listeners.case_flow import message_form_errors
from listeners.case_flow import payload_user_name
from listeners.case_flow import tell_user
from listeners.case_flow import view_state
from listeners.common import account_of
from listeners.common import channel_accounts
from listeners.common import slack_actor
from listeners.requests import Listener
from listeners.requests import Submission
from listeners.requests import on_submit
from listeners.waiting import ToldOnce
from listeners.waiting import WaitingView
from listeners.waiting import shown_in_line

RESULTS_BELOW = (
    "Your search results are in the channel, where only you can see them. You can close this window."
)

F = TypeVar("F")


@dataclass(frozen=True)
class PassedForm:
    """A case form's submission once its fields passed, with what acting on it uses: the view id is the
    idempotency key, `show` tells the submitter in the channel."""

    submission: Submission
    channels: ChannelService
    case_actions: CaseActions
    state: ViewState
    show: Show

    @property
    def idempotency_key(self) -> str:
        return str(self.submission.view["id"])


Act = Callable[[PassedForm, F], Awaitable[None]]


def _form_submitted(
    read: Callable[[dict[str, Any]], F],
    field_errors: Callable[[F, ViewState, str], dict[str, str]],
    act: Act[F],
) -> Listener:
    """A case form's submission: its field errors before `ack()` (the modal stays open and shows them), then
    `act`; what went wrong is told to the user in the channel."""

    @on_submit(TO_SUBMITTER)
    async def submitted(submission: Submission, channels: ChannelService, case_actions: CaseActions) -> None:
        state, form = view_state(submission.view), read(submission.state)
        errors = field_errors(form, state, payload_user_name(submission.body))
        if errors:
            await submission.ack(response_action="errors", errors=errors)
            return
        await submission.ack()
        show = tell_user(submission.client, state.channel_id, submission.context.user_id or "")
        await act(PassedForm(submission, channels, case_actions, state, show), form)

    return submitted


async def _create_case(passed: PassedForm, form: CaseForm) -> None:
    client, context = passed.submission.client, passed.submission.context
    account = await account_of(passed.channels, context, passed.state.channel_id, form.account_id)
    actor = await acting_user(client, context, passed.state)
    attachments = await download_attachments(client, [f.id for f in form.files])
    new = validate_new_case(
        form, attachments=attachments, actor_name=actor.name, channel_name=account.channel_name
    )
    with waiting_notice(ToldOnce(passed.show, "your case")):
        done = await passed.case_actions.create(
            account, actor, new, passed.idempotency_key, SlackCaseMessages(client)
        )
    if isinstance(done, Deferred):
        await passed.show(done.message)  # saved: created and posted here once AWS accepts it


def _send_message(kind: MessageKind, done: str) -> Act[MessageForm]:
    """Reply and reopen: one flow; `done` starts what the user is told afterwards."""

    async def send(passed: PassedForm, form: MessageForm) -> None:
        state, client, context = passed.state, passed.submission.client, passed.submission.context
        if not state.case_id:
            raise UserFacingError(
                "This form does not say which case it is about. Open it again from the case."
            )
        account = await account_of(passed.channels, context, state.channel_id, state.account_id)
        actor = await acting_user(client, context, state)
        attachments = await download_attachments(client, [f.id for f in form.files])
        message = validate_reply(
            form, attachments=attachments, actor_name=actor.name, channel_name=account.channel_name
        )
        what = "your reply" if kind == "reply" else "your message reopening the case"
        with waiting_notice(ToldOnce(passed.show, what)):
            sent = await passed.case_actions.send_message(
                kind,
                account,
                actor,
                state.case_id,
                message,
                passed.idempotency_key,
                SlackCaseMessages(client),
                language=state.language,
                message_ts=state.message_ts,
            )
        if sent is None:
            return  # Slack's retry or a second click: the first submission sent it
        if sent.case is None:
            await passed.show(f"{done} (case {sent.case_id}).")
        else:
            case = sent.case
            await passed.show(
                f"{done} (case {case.display_id or case.case_id}, now {status_name(case.status)})."
            )

    return send


create_case_submitted = _form_submitted(read_case_form, create_form_errors, _create_case)
reply_submitted = _form_submitted(
    read_message_form, message_form_errors, _send_message("reply", "Your reply was sent to AWS Support")
)
reopen_submitted = _form_submitted(
    read_message_form, message_form_errors, _send_message("reopen", "The case is reopened")
)


SEARCH_TITLE = "Search support cases"


@on_submit(TO_SUBMITTER)
async def search_cases_submitted(
    submission: Submission, channels: ChannelService, cases: CaseService
) -> None:
    """When the budget says the search will wait for its turn at AWS, the modal stays open and says where it is
    in line until the results are posted in the channel; otherwise it closes and the results follow."""
    try:
        search = validate_search(read_search_form(submission.state))
    except InvalidInput as e:
        await submission.ack(response_action="errors", errors=e.errors)
        return
    client, context = submission.client, submission.context
    channel_id, user_id = view_state(submission.view).channel_id, context.user_id or ""
    try:
        accounts = await channel_accounts(channels, context, channel_id)  # from memory, as every command
    except UserFacingError:
        accounts = []  # said after ack()
    place = cases.place_in_line(accounts, search)
    waiting = WaitingView(client, submission.view["id"], SEARCH_TITLE, "your search") if place else None
    if waiting is None:
        await submission.ack()
    else:
        await submission.ack(response_action="update", view=waiting.view(place))

    async def search_and_show() -> None:
        found = accounts or await channel_accounts(channels, context, channel_id)
        page = await cases.search(found, slack_actor(context), search)
        await client.chat_postEphemeral(
            channel=channel_id, user=user_id, text="Search results", blocks=search_results_blocks(page, 1)
        )

    told = ToldOnce(tell_user(client, channel_id, user_id), "your search")
    await shown_in_line(waiting, search_and_show, RESULTS_BELOW, otherwise=told)
