"""What a channel does to a case as one use case: the AWS change, the note to notifications that the channel did
it itself (so it is not announced to it again), and the case's message in the channel.

The Slack side comes in through `CaseMessages` and the notifications through `OwnActions`: this module knows
neither Block Kit nor the notification store.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from bolt_app.errors import UserFacingError
from bolt_app.services.audited import DuplicateSubmission
from bolt_app.services.cases.deferral import Deferred
from bolt_app.services.cases.models import CaseSummary
from bolt_app.services.cases.models import MessageKind
from bolt_app.services.cases.models import NewCase
from bolt_app.services.cases.models import NewMessage
from bolt_app.services.cases.models import Resolution
from bolt_app.services.cases.service import CaseService
from bolt_app.services.context import ChannelAccount
from bolt_app.services.context import SlackActor
from storage.workspaces import ChannelKey

log = logging.getLogger(__name__)


class CaseMessages(Protocol):
    """A channel's case messages, as Slack shows them."""

    async def post(self, channel_id: str, case: CaseSummary) -> str | None:
        """Posts the case for everyone; its message ts. UserFacingError when Slack refuses."""
        ...

    async def refresh(self, channel_id: str, message_ts: str | None, case: CaseSummary) -> None:
        """Shows the case's new state in the message it was changed from (best effort)."""
        ...


class OwnActions(Protocol):
    async def record_own_action(
        self, channel: ChannelKey, account_id: str, case_id: str, kind: str, root_ts: str | None = None
    ) -> object: ...


@dataclass(frozen=True)
class MessageSent:
    """A reply or reopen went to AWS; `case` is the case as it is now, None when it could not be read back."""

    case_id: str
    case: CaseSummary | None


class CaseActions:
    def __init__(self, cases: CaseService, own_actions: OwnActions) -> None:
        self.cases = cases
        self.own_actions = own_actions

    async def create(
        self,
        account: ChannelAccount,
        actor: SlackActor,
        new: NewCase,
        idempotency_key: str,
        messages: CaseMessages,
    ) -> CaseSummary | Deferred | None:
        """Opens the case and posts it in the channel, whose thread then carries its notifications. None for a
        repeated submission (Slack's retry or a second click): the first one opened the case and posts it.
        `Deferred` when AWS put it off: it is saved, and posted by `post_created` once created."""
        try:
            case = await self.cases.create_case(account, actor, new, idempotency_key)
        except DuplicateSubmission:
            return None
        if isinstance(case, Deferred):
            return case
        await self.post_created(account, case, messages)
        return case

    async def post_created(
        self, account: ChannelAccount, case: CaseSummary, messages: CaseMessages
    ) -> str | None:
        """Posts a case just created in the channel, its message becoming the thread of its notifications."""
        await self._remember(account, case.case_id, "create")
        ts = await messages.post(account.channel_id, case)
        if ts:
            await self._remember(account, case.case_id, "create", root_ts=ts)
        return ts

    async def send_message(
        self,
        kind: MessageKind,
        account: ChannelAccount,
        actor: SlackActor,
        case_id: str,
        message: NewMessage,
        idempotency_key: str,
        messages: CaseMessages,
        *,
        language: str | None = None,
        message_ts: str | None = None,
    ) -> MessageSent | None:
        """A reply, or the message that reopens a resolved case; then the case's message `message_ts` shows its
        new state. None for a repeated submission: the first one sent it."""
        try:
            await self.cases.send_message(kind, account, actor, case_id, message, idempotency_key)
        except DuplicateSubmission:
            return None
        await self._remember(account, case_id, kind)
        try:
            case = await self.cases.details(account, actor, case_id, language)
        except UserFacingError:
            return MessageSent(case_id, None)
        await messages.refresh(account.channel_id, message_ts, case)
        return MessageSent(case_id, case)

    async def resolve(self, account: ChannelAccount, actor: SlackActor, case_id: str) -> Resolution:
        """Resolves the case (`CaseAlreadyResolved` when it was)."""
        resolution = await self.cases.resolve(account, actor, case_id)
        await self._remember(account, case_id, "resolve")
        return resolution

    async def _remember(
        self, account: ChannelAccount, case_id: str, kind: str, root_ts: str | None = None
    ) -> None:
        """The user's action already succeeded: a failure to note it is logged, not shown."""
        try:
            await self.own_actions.record_own_action(
                account.channel, account.account_id, case_id, kind, root_ts=root_ts
            )
        except Exception:
            log.exception("could not record %s of case %s in %s", kind, case_id, account.channel_id)
