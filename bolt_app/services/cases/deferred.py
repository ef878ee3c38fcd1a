"""The drainer of deferred case creations: takes due rows under a lease, creates each case as an interactive create
would (`CaseService.create_deferred`), posts it in its channel like a normal create, tells its submitter, and
deletes the row. Started by `serve`, `socket` and `worker` (`run`); any number may share one PostgreSQL database.

Exactly once, step by step (each committed before the next, every write conditional on this drainer's lease):

1. `attempted_at` before CreateCase is sent. A row with it set and no `case_id` may have made its case: the next
   attempt looks for it at AWS (same subject and signed body, created since) before creating it again.
2. `case_id` as soon as AWS answers (the files are deleted with it). From then on the case is only posted.
3. `posting_at` before the case is posted, `posted_ts` after. A row with `posting_at` but no `posted_ts` may have
   been posted by a process that died right after: it is not posted again (at most once); its submitter is told
   the case's ID instead.
4. The row is deleted, then the submitter is told (a death between the two costs the note, never a second one).

A lease outlasts one attempt (`attempt_seconds` bounds it), so another drainer takes the row only after the one
holding it can no longer send anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Protocol

from bolt_app.aws.budget import AwsBusy
from bolt_app.aws.budget import background
from bolt_app.aws.errors import AwsError
from bolt_app.errors import UserFacingError
from bolt_app.mrkdwn import escape
from bolt_app.services.audited import AuditedActions
from bolt_app.services.cases.channel_actions import CaseActions
from bolt_app.services.cases.channel_actions import CaseMessages
from bolt_app.services.cases.deferral import GIVE_UP_AFTER
from bolt_app.services.cases.deferral import actor_of
from bolt_app.services.cases.deferral import case_of
from bolt_app.services.cases.deferral import deferral_reason
from bolt_app.services.cases.deferral import next_try
from bolt_app.services.cases.models import CaseSummary
from bolt_app.services.context import ChannelAccount
from bolt_app.services.context import SlackActor
from bolt_app.services.member_rules import MemberRefused
from bolt_app.services.membership import NotAMember
from storage.clock import as_utc
from storage.deferred_cases import DeferredCaseRepository
from storage.deferred_cases import DeferredCaseRow
from storage.workspaces import WorkspaceKey

log = logging.getLogger(__name__)

# AWS errors that may pass: the row is tried again shortly (until it is given up after a day).
_PASSING = frozenset(
    {"Timeout", "BotoCore", "NoCredentials", "InternalServerError", "InternalFailure", "ServiceUnavailable"}
)
ACTION = "support:CreateCase"


class DeferredSlack(Protocol):
    """What the drainer needs of Slack, outside any request: a workspace's bot, found by its key."""

    async def messages(self, workspace: WorkspaceKey) -> CaseMessages:
        """Posts case messages in the workspace's channels (like an interactive create)."""
        ...

    async def tell(self, workspace: WorkspaceKey, channel_id: str, user_id: str, text: str) -> None:
        """Says `text` to the user only, in the channel; by direct message when they are no longer in it."""
        ...


class ChannelAccounts(Protocol):
    async def channel_accounts(self, key: WorkspaceKey, channel_id: str) -> list[ChannelAccount]: ...


class LeaseLost(Exception):
    """Another drainer took the row over: this one stops without changing anything."""


@dataclass(frozen=True)
class DrainOptions:
    lease_seconds: float = 600.0
    attempt_seconds: float = 300.0  # one attempt's AWS work, waits included; well inside the lease
    batch: int = 10
    poll_seconds: float = 15.0
    retry_soon: timedelta = timedelta(minutes=1)


def _system_clock() -> datetime:
    return datetime.now(UTC)


async def _either(stop: asyncio.Event, wake: asyncio.Event, seconds: float) -> None:
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


class _Attempt:
    """`CreateAttempt` for one leased row: commits each step, or raises LeaseLost when the row is not ours."""

    def __init__(self, drainer: DeferredCases, row: DeferredCaseRow, worker: str) -> None:
        self._drainer, self._row, self._worker = drainer, row, worker
        self.attempted_at = as_utc(row.attempted_at)

    async def sending(self) -> None:
        d = self._drainer
        now = d.clock()
        until = now + timedelta(seconds=d.options.lease_seconds)
        if not await d.repository.attempting(self._row.id, self._worker, now, until):
            raise LeaseLost(self._row.id)
        d.checkpoint("sending")

    async def created(self, case_id: str) -> None:
        self._drainer.checkpoint("created")
        if not await self._drainer.repository.created(self._row.id, self._worker, case_id):
            raise LeaseLost(self._row.id)


class DeferredCases:
    def __init__(
        self,
        repository: DeferredCaseRepository,
        actions: CaseActions,
        channels: ChannelAccounts,
        slack: DeferredSlack,
        audited: AuditedActions,
        *,
        options: DrainOptions | None = None,
        clock: Callable[[], datetime] = _system_clock,
        checkpoint: Callable[[str], None] = lambda step: None,
    ) -> None:
        self.repository = repository
        self.actions = actions
        self.cases = actions.cases
        self.channels = channels
        self.slack = slack
        self.audited = audited
        self.options = options or DrainOptions()
        self.clock = clock
        self.checkpoint = checkpoint  # failure injection for tests: where a process could die
        self.wake = asyncio.Event()  # set: `run` looks for due rows now instead of at its next poll

    async def run(self, worker: str, stop: asyncio.Event) -> None:
        """Drains until `stop` is set: at once while rows are due, else every `poll_seconds`."""
        while not stop.is_set():
            try:
                drained = await self.drain(worker)
            except Exception:
                log.exception("draining deferred cases failed")
                drained = 0
            if not drained:
                await _either(stop, self.wake, self.options.poll_seconds)
                self.wake.clear()

    async def drain(self, worker: str) -> int:
        """One batch of due rows, each to its end (created and posted, dropped, or put off); how many."""
        now = self.clock()
        until = now + timedelta(seconds=self.options.lease_seconds)
        rows = await self.repository.take_due(worker, now, until, self.options.batch)
        for row in rows:
            try:
                with background():  # every AWS call of a drainer waits behind the users'
                    await self._one(worker, row)
            except LeaseLost:
                log.info("deferred case %s was taken over by another drainer", row.id)
            except Exception:
                log.exception("deferred case %s failed; trying again later", row.id)
                with contextlib.suppress(Exception):
                    await self.repository.later(row.id, worker, self.clock() + self.options.retry_soon)
        return len(rows)

    async def _one(self, worker: str, row: DeferredCaseRow) -> None:
        actor = actor_of(row)
        accounts = await self.channels.channel_accounts(row.channel.workspace, row.channel.channel_id)
        found = next((a for a in accounts if a.account_id == row.account_id), None)
        channel = replace(found, channel_name=row.channel_name) if found else None
        if row.case_id:
            if channel is None:
                await self._created_elsewhere(worker, row, actor)
                return
            new = case_of(row, [])
            case = await self.cases.opened(channel, actor, row.case_id, new)
        else:
            created = await self._create(worker, row, actor, channel)
            if created is None:
                return
            channel, case = created
        await self._post(worker, row, channel, case)

    def _given_up(
        self, row: DeferredCaseRow, channel: ChannelAccount | None, subject: str, maybe: str
    ) -> tuple[str, str] | None:
        """Why a saved case is dropped before it is tried (its audit outcome, what its submitter is told), if it is:
        its channel lost the account, or AWS did not take it within a day."""
        if channel is None:
            return (
                "dropped: the channel no longer has the account",
                f"Your saved case {subject} was not created: this channel no longer has AWS account "
                f"{row.account_id} configured.{maybe} Ask a workspace admin to configure it again "
                "(`/aws-support configure-channel`), then submit the case again.",
            )
        if self.clock() - as_utc(row.submitted_at) > GIVE_UP_AFTER:  # type: ignore[operator]
            return (
                "expired: not accepted within 24 hours",
                f"AWS did not accept your saved case {subject} for account {escape(channel.account_shown)} "
                f"within 24 hours, so the app stopped trying.{maybe} Submit it again when AWS accepts cases, "
                "or open it in the AWS Support Center.",
            )
        return None

    async def _create(
        self, worker: str, row: DeferredCaseRow, actor: SlackActor, channel: ChannelAccount | None
    ) -> tuple[ChannelAccount, CaseSummary] | None:
        subject = f"“{escape(row.subject)}”"
        maybe = (
            " An earlier attempt may have created it: look for it with `/aws-support search` before submitting "
            "it again."
            if row.attempted_at
            else " Nothing was created."
        )
        given_up = self._given_up(row, channel, subject, maybe)
        if given_up is not None:
            await self._drop(worker, row, actor, *given_up)
            return None
        assert channel is not None  # a channel that lost the account is given up above
        new = case_of(row, await self.repository.files(row.id))
        try:
            async with asyncio.timeout(self.options.attempt_seconds):
                case = await self.cases.create_deferred(channel, actor, new, _Attempt(self, row, worker))
        except (MemberRefused, NotAMember) as e:  # audited as refused by the create
            await self._drop(
                worker, row, actor, None, f"Your saved case {subject} was not created: {e.message}"
            )
            return None
        except (AwsBusy, AwsError) as e:
            reason = deferral_reason(e)
            if reason is not None or getattr(e, "code", "") in _PASSING:
                when = next_try(reason, self.clock()) if reason else self.clock() + self.options.retry_soon
                await self._later(worker, row, when)
                return None
            await self._drop(
                worker, row, actor, None,
                f"AWS refused your saved case {subject}, so it was not created: {e.message}",
            )  # fmt: skip
            return None
        except TimeoutError:  # the attempt ran out of time, sent or not: the next one looks first
            await self._later(worker, row, self.clock() + self.options.retry_soon)
            return None
        return channel, case

    async def _post(
        self, worker: str, row: DeferredCaseRow, channel: ChannelAccount, case: CaseSummary
    ) -> None:
        shown = f"{case.display_id or case.case_id} “{escape(case.subject)}”"
        where = "and posted in this channel"
        if row.posted_ts is None:
            if row.posting_at is not None:
                where = (
                    "but may not have been posted in this channel (the app stopped while posting it); share "
                    f"it with `/aws-support search-case {case.display_id or case.case_id}`"
                )
            else:
                if not await self.repository.posting(row.id, worker, self.clock()):
                    raise LeaseLost(row.id)
                try:
                    ts = await self.actions.post_created(
                        channel, case, await self.slack.messages(row.channel.workspace)
                    )
                except UserFacingError as e:
                    ts, where = None, f"but not posted here: {e.message}"
                self.checkpoint("posting")
                if not await self.repository.posted(row.id, worker, ts or ""):
                    raise LeaseLost(row.id)
        self.checkpoint("posted")
        if not await self.repository.drop(row.id, worker):
            raise LeaseLost(row.id)
        await self._tell(
            row,
            f"Your saved case {shown} was created in AWS account {escape(channel.account_shown)} {where}.",
        )

    async def _created_elsewhere(self, worker: str, row: DeferredCaseRow, actor: SlackActor) -> None:
        await self._drop(
            worker, row, actor, "created, not posted: the channel no longer has the account",
            f"Your saved case “{escape(row.subject)}” was created in AWS account {row.account_id} (case ID "
            f"{row.case_id}), but this channel no longer has that account configured, so it is not posted here.",
        )  # fmt: skip

    async def _later(self, worker: str, row: DeferredCaseRow, when: datetime) -> None:
        if not await self.repository.later(row.id, worker, when):
            raise LeaseLost(row.id)

    async def _drop(
        self, worker: str, row: DeferredCaseRow, actor: SlackActor, audit: str | None, text: str
    ) -> None:
        """Deletes the row and tells the submitter why; `audit` is the audit row's detail when the create itself
        wrote none."""
        if not await self.repository.drop(row.id, worker):
            raise LeaseLost(row.id)
        if audit is not None:
            where = ChannelAccount(
                row.channel.workspace, row.channel.channel_id, row.channel_name, row.account_id,
                row.account_id, role_arn="", external_id="",
            )  # fmt: skip
            await self.audited.record(where, actor, ACTION, "dropped", f"{audit}: {row.subject}")
        await self._tell(row, text)

    async def _tell(self, row: DeferredCaseRow, text: str) -> None:
        try:
            await self.slack.tell(row.channel.workspace, row.channel.channel_id, row.user_id, text)
        except Exception:
            log.warning("could not tell %s about deferred case %s", row.user_id, row.id, exc_info=True)
