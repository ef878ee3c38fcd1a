"""Making a channel's deliveries, in order, under its lease: describe the case with the channel's role, plan
against what the channel was already told, post through the Slack adapter, record each write once Slack took it.

Nothing twice: the thread state is the only guard. A duplicate event, a reconciled copy of an event, or a delivery
re-run after a crash all plan against the same state, so a post can repeat only if the process dies between Slack
accepting it and the state being written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from typing import Protocol

from bolt_app.services.cases import CaseSummary
from bolt_app.services.channels import channel_account
from bolt_app.services.notifications.case_reading import NOTIFIER_USER
from bolt_app.services.notifications.case_reading import CaseReader
from bolt_app.services.notifications.messages import CaseMessage
from bolt_app.services.notifications.options import Clock
from bolt_app.services.notifications.options import NotificationOptions
from bolt_app.services.notifications.outcomes import RetryDelivery
from bolt_app.services.notifications.outcomes import SkipDelivery
from bolt_app.services.notifications.planner import Step
from bolt_app.services.notifications.planner import comm_floor
from bolt_app.services.notifications.planner import plan_delivery
from storage.audit import AuditEvent
from storage.audit import AuditRepository
from storage.channels import ChannelConfigRow
from storage.channels import ChannelRepository
from storage.notifications.deliveries import DeliveryRepository
from storage.notifications.thread_state import ThreadChange
from storage.notifications.thread_state import ThreadKey
from storage.notifications.thread_state import ThreadState
from storage.notifications.threads import ThreadRepository
from storage.notifications.values import FAILED
from storage.notifications.values import POSTED
from storage.notifications.values import SKIPPED
from storage.notifications.values import ChannelKey
from storage.notifications.values import DeliveryWork
from storage.workspaces import WorkspaceKey
from storage.workspaces import WorkspaceRepository

log = logging.getLogger(__name__)

# The audited action (and its detail) that made each lifecycle change, when the app made it.
_LIFECYCLE_ACTIONS = {
    "resolved": ("support:ResolveCase", None),
    "reopened": ("support:AddCommunicationToCase", "reopen"),
}
LIFECYCLE_ACTOR_SECONDS = 900.0  # how long before AWS's event the app's own resolve or reopen may have been


class ChannelPoster(Protocol):
    """Writes to the channels of one workspace as its bot. Waits out Slack's rate limits itself; raises
    SkipDelivery when the channel or the token is gone, RetryDelivery on a failure that may pass."""

    async def post(self, channel_id: str, message: CaseMessage, thread_ts: str | None = None) -> str:
        """Posts `message` (under `thread_ts`, when given); returns the new message's ts."""
        ...

    async def update(self, channel_id: str, ts: str, message: CaseMessage) -> None:
        """Replaces the message at `ts`; one that can no longer be edited is left as it is."""
        ...

    async def delete(self, channel_id: str, ts: str) -> None:
        """Deletes the message at `ts`, quietly: a failure is only logged."""
        ...


class ChannelPosters(Protocol):
    async def for_workspace(self, workspace: WorkspaceKey) -> ChannelPoster:
        """A poster with the workspace's bot token, rotated first when it is near expiry."""
        ...


@dataclass(frozen=True)
class _Done:
    state: str  # posted | skipped | failed
    outcome: str
    thread: tuple[ThreadKey, ThreadChange] | None = None


@dataclass(kw_only=True)
class ChannelDelivery:
    deliveries: DeliveryRepository
    threads: ThreadRepository
    channels: ChannelRepository
    workspaces: WorkspaceRepository
    reader: CaseReader
    posters: ChannelPosters
    audit: AuditRepository
    options: NotificationOptions
    clock: Clock
    # Failure injection for tests: called with the step name at each point a process could die.
    checkpoint: Callable[[str], None] = lambda step: None
    # Told of each finished delivery: its state and the seconds since the case event happened at AWS.
    observe: Callable[[str, float], None] = lambda state, lag_seconds: None

    def _lease_end(self) -> datetime:
        return self.clock() + timedelta(seconds=self.options.lease_seconds)

    async def claim_channels(self, worker: str, limit: int) -> list[ChannelKey]:
        return await self.deliveries.claim_channels(worker, self.clock(), self._lease_end(), limit)

    async def run_channel(
        self, worker: str, channel: ChannelKey, stopping: Callable[[], bool] = lambda: False
    ) -> int:
        """Makes the claimed channel's deliveries in order until none is left, one is deferred, `stopping()`
        turns true, or the lease is lost. Returns how many were finished."""
        lost, finished = asyncio.Event(), asyncio.Event()
        heartbeat = asyncio.create_task(self._heartbeat(worker, channel, lost, finished))
        done = 0
        try:
            while not stopping() and not lost.is_set():
                work = await self.deliveries.next_delivery(worker, channel, self.clock(), self._lease_end())
                if work is None:
                    break
                if work.reclaimed:
                    log.warning("delivery %s: taking over from a worker whose lease expired", work.id)
                if not await self._deliver(worker, work):
                    return done  # deferred: the channel waits, and was released with its wait
                done += 1
            await self.deliveries.release_channel(worker, channel)
            return done
        except Exception:
            # The database failed under the channel's bookkeeping (e.g. PostgreSQL ended the connection in the
            # middle of a transaction: asyncpg's "cannot switch to state 12; another operation (2) is in
            # progress"). Give the channel back, to be claimed again after a short wait, rather than hold it
            # for the rest of the lease with no task working on it.
            log.exception("channel %s: stopped by an error; giving it back", channel.channel_id)
            await self._release_after_error(worker, channel)
            return done
        finally:
            # Stopped, never cancelled: a task cancelled inside a transaction can leave its connection (on
            # SQLite, the database's write lock) held.
            finished.set()
            await heartbeat

    async def _release_after_error(self, worker: str, channel: ChannelKey) -> None:
        retry_at = self.clock() + timedelta(seconds=self.options.retry_base_seconds)
        try:
            await self.deliveries.release_channel(worker, channel, not_before=retry_at)
        except Exception:
            log.warning(
                "channel %s: could not give it back either; it is free again when its lease ends",
                channel.channel_id,
            )

    async def _heartbeat(
        self, worker: str, channel: ChannelKey, lost: asyncio.Event, finished: asyncio.Event
    ) -> None:
        every = max(self.options.lease_seconds / 3, 0.05)
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(finished.wait(), every)
            if finished.is_set():
                return
            try:
                if not await self.deliveries.renew_channel(worker, channel, self._lease_end()):
                    log.warning("lost the lease on channel %s", channel.channel_id)
                    lost.set()
                    return
            except Exception:
                log.exception("could not renew the lease on channel %s", channel.channel_id)

    async def _deliver(self, worker: str, work: DeliveryWork) -> bool:
        """One delivery; False when it was deferred (its channel then waits)."""
        try:
            done = await self._attempt(work)
        except SkipDelivery as skip:
            await self._finish(
                worker, work, _Done(SKIPPED, skip.reason), audit=skip.audit, detail=skip.detail
            )
            return True
        except RetryDelivery as retry:
            return await self._retry(worker, work, retry.reason)
        except Exception as e:  # a bug or an unexpected failure: retried a bounded number of times
            log.exception("delivery %s failed", work.id)
            return await self._retry(worker, work, f"error:{type(e).__name__}")
        await self._finish(worker, work, done)
        self.checkpoint("done")
        return True

    async def _retry(self, worker: str, work: DeliveryWork, reason: str) -> bool:
        if work.attempts >= self.options.max_attempts:
            await self._finish(worker, work, _Done(FAILED, reason), audit=True)
            return True
        delay = min(
            self.options.retry_base_seconds * 2 ** (work.attempts - 1), self.options.retry_max_seconds
        )
        now = self.clock()
        log.info("delivery %s: %s; retrying in %.0fs", work.id, reason, delay)
        await self.deliveries.defer_delivery(
            work.id, worker, work.channel, f"retry:{reason}", now + timedelta(seconds=delay), now
        )
        return False

    async def _finish(
        self, worker: str, work: DeliveryWork, done: _Done, *, audit: bool = False, detail: str | None = None
    ) -> None:
        now = self.clock()
        await self.deliveries.finish_delivery(work.id, worker, done.state, done.outcome, now, done.thread)
        with contextlib.suppress(Exception):  # counting must never fail a delivery that is done
            self.observe(done.state, (now - work.event.event_time).total_seconds())
        if audit:
            await self._audit(work, f"{done.state}:{done.outcome}", detail)

    async def _audit(self, work: DeliveryWork, outcome: str, detail: str | None) -> None:
        try:
            await self.audit.record(
                AuditEvent(
                    action="notification",
                    outcome=outcome[:32],
                    enterprise_id=work.channel.workspace.enterprise_id,
                    team_id=work.channel.workspace.team_id,
                    channel_id=work.channel.channel_id,
                    user_id=NOTIFIER_USER,
                    account_id=work.account_id,
                    case_id=work.event.case_id,
                    detail=(
                        detail or f"{work.event.event_name} event {work.event.aws_event_id or work.event.id}"
                    )[:2000],
                )
            )
        except Exception:
            log.exception("could not write the audit event of delivery %s", work.id)

    async def _attempt(self, work: DeliveryWork) -> _Done:
        event, target = work.event, work.channel
        config = await self.channels.get(target, work.account_id)
        if config is None:
            raise SkipDelivery("not_configured", audit=False)
        if config.notifications.severity == "none":
            raise SkipDelivery("filtered", audit=False)
        workspace = await self.workspaces.get(config.workspace)
        if workspace is None or not workspace.installed:
            raise SkipDelivery("not_installed")
        self.checkpoint("claimed")
        key = ThreadKey(target, work.account_id, event.case_id)
        state = await self.threads.thread(key) or ThreadState(key)
        channel = channel_account(config, workspace)
        case = await self.reader.describe(channel, event.case_id, state.language)
        comms = await self.reader.communications_since(channel, case, comm_floor(event, state, self.options))
        self.checkpoint("described")
        plan = plan_delivery(event, case, comms, state, config.notifications, self.options)
        thread = (key, plan.final)
        if not plan.steps:
            return _Done(SKIPPED, plan.reason, thread)
        poster = await self.posters.for_workspace(config.workspace)
        for step in plan.steps:
            by = (
                await self._who(step.kind, config, key, event.event_time)
                if step.kind in _LIFECYCLE_ACTIONS
                else ""
            )
            state = await self._perform(step, case, state, key, config, poster, by)
        return _Done(POSTED, plan.kinds, thread)

    async def _who(self, kind: str, config: ChannelConfigRow, key: ThreadKey, at: datetime) -> str:
        """Who resolved or reopened the case through the app, in this workspace, shortly before `at` (else
        nobody known: it happened in the console or through the API)."""
        action, detail = _LIFECYCLE_ACTIONS[kind]
        since = at - timedelta(seconds=LIFECYCLE_ACTOR_SECONDS)
        try:
            found = await self.audit.last_actor(
                config.workspace, key.account_id, key.case_id, action, since, detail
            )
        except Exception:  # naming who did it must never hold a delivery back
            log.exception("could not look up who changed case %s", key.case_id)
            return ""
        return found or ""

    async def _perform(
        self,
        step: Step,
        case: CaseSummary,
        state: ThreadState,
        key: ThreadKey,
        config: ChannelConfigRow,
        poster: ChannelPoster,
        by: str = "",
    ) -> ThreadState:
        """One Slack write, then its record: the only window in which a crash can repeat a post."""
        channel_id = config.channel_id
        self.checkpoint("before_post")
        if step.kind == "update_root":
            await poster.update(channel_id, state.root_ts or "", CaseMessage("root", case))
            change = step.change
        else:
            message = CaseMessage(step.kind, case, step.communication, by)
            ts = await poster.post(channel_id, message, None if step.kind == "root" else state.root_ts)
            change = replace(step.change, root_ts=ts) if step.kind == "root" else step.change
        self.checkpoint("after_post")
        after = await self.threads.change_thread(key, change, self.clock())
        self.checkpoint("recorded")
        if step.kind == "root" and after.root_ts != change.root_ts:
            # Someone else (the case listener) made the root meanwhile: take ours back.
            await poster.delete(channel_id, change.root_ts or "")
        return after
