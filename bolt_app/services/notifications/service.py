"""The notification service as the rest of the app knows it: events in, actions taken from a channel, and the
work the delivery loop and the reconciler run. Each job is done by the part named after it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from bolt_app.services.cases import RESOLVED
from bolt_app.services.notifications.delivery import ChannelDelivery
from bolt_app.services.notifications.events import SupportCaseEvent
from bolt_app.services.notifications.events_tokens import EventsTokens
from bolt_app.services.notifications.inbox import Inbox
from bolt_app.services.notifications.inbox import IngestResult
from bolt_app.services.notifications.options import Clock
from bolt_app.services.notifications.reconcile import ReconcileReport
from bolt_app.services.notifications.reconcile import Reconciliation
from storage.notifications.thread_state import OPEN
from storage.notifications.thread_state import ThreadChange
from storage.notifications.thread_state import ThreadKey
from storage.notifications.thread_state import ThreadState
from storage.notifications.threads import ThreadRepository
from storage.notifications.values import ChannelKey
from storage.notifications.values import NewEvent

OWN_ACTIONS = ("create", "reply", "reopen", "resolve")


@dataclass(kw_only=True)
class NotificationService:
    tokens: EventsTokens
    inbox: Inbox
    delivery: ChannelDelivery
    reconciliation: Reconciliation
    threads: ThreadRepository
    clock: Clock

    @property
    def wake(self) -> asyncio.Event:
        """Set when work arrives, so this process's delivery loop starts at once."""
        return self.inbox.wake

    async def issue_events_token(self, account_id: str, issued_by: str | None = None) -> str:
        return await self.tokens.issue(account_id, issued_by)

    async def account_for_token(self, token: str | None) -> str | None:
        return await self.tokens.account_for(token)

    async def ingest(self, event: SupportCaseEvent, source: str) -> IngestResult:
        """Stores the event and its deliveries once; a repeat (same ID, or same change with a new ID) is
        accepted as a duplicate and stores nothing."""
        stored = NewEvent(
            account_id=event.account_id,
            case_id=event.case_id,
            event_name=event.event_name,
            event_time=event.time,
            source=source,
            communication_id=event.communication_id,
            origin=event.origin,
            aws_event_id=event.event_id,
        )
        return await self.inbox.record(stored, event.idempotency_keys())

    async def record_own_action(
        self,
        channel: ChannelKey,
        account_id: str,
        case_id: str,
        kind: str,
        root_ts: str | None = None,
    ) -> ThreadState:
        """Call after creating a case, replying, reopening or resolving from a channel: that channel then is not
        told about it again. With `root_ts` (the case message the listener posted), that message becomes the
        case's thread root in the channel. Returns the thread state (its root may predate `root_ts`)."""
        if kind not in OWN_ACTIONS:
            raise ValueError(f"kind must be one of {OWN_ACTIONS}")
        now = self.clock()
        lifecycle = {"create": OPEN, "reopen": OPEN, "resolve": RESOLVED}.get(kind)
        replied = kind in ("reply", "reopen")
        change = ThreadChange(
            root_ts=root_ts,
            root_status={"create": "opened", "reopen": "reopened", "resolve": RESOLVED}.get(kind)
            if root_ts
            else None,
            lifecycle=lifecycle,
            lifecycle_at=now if lifecycle else None,
            own_replies_added=1 if replied else 0,
            own_reply_at=now if replied else None,
        )
        return await self.threads.change_thread(ThreadKey(channel, account_id, case_id), change, now)

    async def claim_channels(self, worker: str, limit: int) -> list[ChannelKey]:
        return await self.delivery.claim_channels(worker, limit)

    async def run_channel(
        self, worker: str, channel: ChannelKey, stopping: Callable[[], bool] = lambda: False
    ) -> int:
        return await self.delivery.run_channel(worker, channel, stopping)

    async def reconcile(self, worker: str, stopping: Callable[[], bool] = lambda: False) -> ReconcileReport:
        return await self.reconciliation.reconcile(worker, stopping)
