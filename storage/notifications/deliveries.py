"""The delivery queue: events as they are ingested, their deliveries (event × channel), and the channel leases
under which one process at a time walks a channel's deliveries in order."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement
from sqlalchemy import delete
from sqlalchemy import exists
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.clock import as_utc
from storage.clock import utc_naive
from storage.db import Repository
from storage.db import reader
from storage.notifications.sql import insert_ignore
from storage.notifications.sql import lease_free
from storage.notifications.thread_state import ThreadChange
from storage.notifications.thread_state import ThreadKey
from storage.notifications.threads import change_thread_in
from storage.notifications.values import OPEN_STATES
from storage.notifications.values import PENDING
from storage.notifications.values import POSTING
from storage.notifications.values import ChannelKey
from storage.notifications.values import DeliveryRow
from storage.notifications.values import DeliveryWork
from storage.notifications.values import NewEvent
from storage.notifications.values import Recorded
from storage.notifications.values import StoredEvent
from storage.rows import from_row
from storage.tables import channel_configurations
from storage.tables import notification_channels
from storage.tables import notification_deliveries
from storage.tables import notification_events
from storage.tables import processed_events
from storage.workspaces import WorkspaceKey
from storage.workspaces import channel_of_row
from storage.workspaces import of_channel

delivery = notification_deliveries.c
leases = notification_channels.c
events = notification_events.c


def _let_go(state: str, outcome: str, now: datetime) -> dict[str, object]:
    """A delivery's values once its worker lets go of it, done or put back."""
    return {
        "state": state,
        "outcome": outcome[:64],
        "claimed_by": None,
        "lease_until": None,
        "updated_at": utc_naive(now),
    }


def idempotency_key(text: str) -> str:
    """processed_events keys are at most 255 characters: longer ones are hashed."""
    return text if len(text) <= 255 else "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _channel_where(channel: ChannelKey) -> ColumnElement[bool]:
    return of_channel(leases, channel)


class DeliveryRepository(Repository):
    # ---- ingestion ----------------------------------------------------------------------------------------

    async def record_event(self, event: NewEvent, keys: Sequence[str], now: datetime) -> Recorded | None:
        """Claims the event's idempotency keys, stores it and one pending delivery per channel configuration of
        its account, all in one transaction. None: a key was already claimed (a duplicate), nothing stored."""
        at = utc_naive(now)
        claimed = list(dict.fromkeys(idempotency_key(k) for k in keys))
        try:
            async with self.engine.begin() as conn:
                for key in claimed:
                    await conn.execute(insert(processed_events).values(key=key, seen_at=at))
                event_id = await self._insert_event(conn, event, at)
                count = await self._insert_deliveries(conn, event_id, event.account_id, at)
        except IntegrityError:
            # Only a key claimed before is a duplicate; any other broken constraint is a failure the caller
            # must see (the worker then leaves the message in the queue instead of deleting it).
            if await self._any_claimed(claimed):
                return None
            raise
        return Recorded(event_id, count)

    async def _any_claimed(self, keys: Sequence[str]) -> bool:
        async with self.engine.connect() as conn:
            found = await conn.execute(select(processed_events.c.key).where(processed_events.c.key.in_(keys)))
            return found.first() is not None

    async def _insert_event(self, conn: AsyncConnection, event: NewEvent, at: datetime) -> int:
        result = await conn.execute(
            insert(notification_events).values(
                account_id=event.account_id,
                case_id=event.case_id,
                event_name=event.event_name,
                communication_id=event.communication_id,
                origin=event.origin,
                event_time=utc_naive(event.event_time),
                floor_time=utc_naive(event.floor_time) if event.floor_time else None,
                source=event.source,
                aws_event_id=event.aws_event_id,
                received_at=at,
            )
        )
        return int(result.inserted_primary_key[0])

    async def _insert_deliveries(
        self, conn: AsyncConnection, event_id: int, account_id: str, at: datetime
    ) -> int:
        columns = channel_configurations.c
        configs = (
            await conn.execute(
                select(columns.enterprise_id, columns.team_id, columns.channel_id)
                .where(columns.account_id == account_id)
                .order_by(columns.enterprise_id, columns.team_id, columns.channel_id)
            )
        ).all()
        if not configs:
            return 0
        await conn.execute(
            insert(notification_deliveries),
            [
                {
                    "event_id": event_id,
                    "enterprise_id": config.enterprise_id,
                    "team_id": config.team_id,
                    "channel_id": config.channel_id,
                    "account_id": account_id,
                    "state": PENDING,
                    "attempts": 0,
                    "created_at": at,
                    "updated_at": at,
                }
                for config in configs
            ],
        )
        channels = [
            {
                "team_id": config.team_id,
                "channel_id": config.channel_id,
                "enterprise_id": config.enterprise_id,
            }
            for config in configs
        ]
        await conn.execute(insert_ignore(conn, notification_channels, channels))
        return len(configs)

    # ---- channel leases -----------------------------------------------------------------------------------

    async def claim_channels(
        self, worker: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[ChannelKey]:
        """Leases up to `limit` channels with deliveries to make whose lease is free and whose wait is over.
        PostgreSQL: FOR UPDATE SKIP LOCKED, so concurrent claimers split the channels instead of queueing."""
        at, until = utc_naive(now), utc_naive(lease_until)
        has_work = exists().where(
            delivery.enterprise_id == leases.enterprise_id,
            delivery.team_id == leases.team_id,
            delivery.channel_id == leases.channel_id,
            delivery.state.in_(OPEN_STATES),
        )
        query = (
            select(leases.enterprise_id, leases.team_id, leases.channel_id)
            .where(
                lease_free(leases.lease_until, at),
                or_(leases.not_before.is_(None), leases.not_before <= at),
                has_work,
            )
            .limit(limit)
            .with_for_update(skip_locked=True, of=notification_channels)
        )
        async with self.engine.begin() as conn:
            rows = (await conn.execute(query)).all()
            claimed = []
            for r in rows:
                key = ChannelKey(WorkspaceKey(r.enterprise_id, r.team_id), r.channel_id)
                result = await conn.execute(
                    update(notification_channels)
                    .where(_channel_where(key), lease_free(leases.lease_until, at))
                    .values(claimed_by=worker, lease_until=until)
                )
                if result.rowcount == 1:
                    claimed.append(key)
        return claimed

    async def renew_channel(self, worker: str, channel: ChannelKey, lease_until: datetime) -> bool:
        """Extends this worker's lease on the channel (and on the delivery it is posting); False if lost."""
        until = utc_naive(lease_until)
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(notification_channels)
                .where(_channel_where(channel), leases.claimed_by == worker)
                .values(lease_until=until)
            )
            await conn.execute(
                update(notification_deliveries)
                .where(
                    of_channel(delivery, channel),
                    delivery.state == POSTING,
                    delivery.claimed_by == worker,
                )
                .values(lease_until=until)
            )
        return bool(result.rowcount == 1)

    async def release_channel(
        self, worker: str, channel: ChannelKey, not_before: datetime | None = None
    ) -> None:
        """Gives the channel back; a delivery this worker left `posting` (its work stopped by an error) may
        then be taken by whoever claims the channel next, without waiting for the delivery's own lease."""
        async with self.engine.begin() as conn:
            await conn.execute(
                update(notification_channels)
                .where(_channel_where(channel), leases.claimed_by == worker)
                .values(
                    claimed_by=None,
                    lease_until=None,
                    not_before=utc_naive(not_before) if not_before else None,
                )
            )
            await conn.execute(
                update(notification_deliveries)
                .where(
                    of_channel(delivery, channel), delivery.state == POSTING, delivery.claimed_by == worker
                )
                .values(lease_until=None)
            )

    # ---- deliveries ---------------------------------------------------------------------------------------

    async def next_delivery(
        self, worker: str, channel: ChannelKey, now: datetime, lease_until: datetime
    ) -> DeliveryWork | None:
        """The channel's oldest unfinished delivery, now `posting` under this worker's lease; None when the
        channel has nothing left or this worker no longer holds it."""
        at, until = utc_naive(now), utc_naive(lease_until)
        async with self.engine.begin() as conn:
            held = (
                await conn.execute(
                    select(leases.claimed_by).where(
                        _channel_where(channel), leases.claimed_by == worker, leases.lease_until >= at
                    )
                )
            ).first()
            if held is None:
                return None
            row = (
                await conn.execute(
                    select(notification_deliveries, notification_events)
                    .join(notification_events, events.id == delivery.event_id)
                    .where(
                        of_channel(delivery, channel),
                        delivery.state.in_(OPEN_STATES),
                    )
                    .order_by(delivery.id)
                    .limit(1)
                )
            ).first()
            if row is None:
                return None
            found = row._mapping
            delivery_id = found[delivery.id]
            if (
                found[delivery.state] == POSTING
                and found[delivery.claimed_by] != worker
                and found[delivery.lease_until]
                and found[delivery.lease_until] >= at
            ):
                # Another worker still holds it (cannot happen while the channel lease is respected).
                return None
            reclaimed = found[delivery.state] == POSTING and found[delivery.claimed_by] != worker
            attempts = int(found[delivery.attempts]) + 1
            await conn.execute(
                update(notification_deliveries)
                .where(delivery.id == delivery_id)
                .values(state=POSTING, claimed_by=worker, lease_until=until, attempts=attempts, updated_at=at)
            )
        return DeliveryWork(
            id=delivery_id,
            channel=channel,
            account_id=found[delivery.account_id],
            attempts=attempts,
            reclaimed=reclaimed,
            event=StoredEvent(
                id=found[events.id],
                account_id=found[events.account_id],
                case_id=found[events.case_id],
                event_name=found[events.event_name],
                event_time=as_utc(found[events.event_time]) or now,
                source=found[events.source],
                communication_id=found[events.communication_id],
                origin=found[events.origin],
                aws_event_id=found[events.aws_event_id],
                floor_time=as_utc(found[events.floor_time]),
            ),
        )

    async def finish_delivery(
        self,
        delivery_id: int,
        worker: str,
        state: str,
        outcome: str,
        now: datetime,
        thread: tuple[ThreadKey, ThreadChange] | None = None,
    ) -> bool:
        """Marks the delivery done (posted, skipped or failed) and applies the thread's last change with it.
        False when another worker had taken the delivery over (its outcome then stands)."""
        async with self.engine.begin() as conn:
            if thread is not None:
                await change_thread_in(conn, *thread, now)
            result = await conn.execute(
                update(notification_deliveries)
                .where(delivery.id == delivery_id, delivery.state == POSTING, delivery.claimed_by == worker)
                .values(**_let_go(state, outcome, now))
            )
        return bool(result.rowcount == 1)

    async def defer_delivery(
        self,
        delivery_id: int,
        worker: str,
        channel: ChannelKey,
        outcome: str,
        not_before: datetime,
        now: datetime,
    ) -> None:
        """Puts the delivery back (pending) and holds its channel until `not_before`: later posts to the channel
        wait behind it, so the channel keeps its order."""
        async with self.engine.begin() as conn:
            await conn.execute(
                update(notification_deliveries)
                .where(delivery.id == delivery_id, delivery.claimed_by == worker)
                .values(**_let_go(PENDING, outcome, now))
            )
            await conn.execute(
                update(notification_channels)
                .where(_channel_where(channel), leases.claimed_by == worker)
                .values(claimed_by=None, lease_until=None, not_before=utc_naive(not_before))
            )

    async def deliveries(self, *, case_id: str | None = None, state: str | None = None) -> list[DeliveryRow]:
        query = (
            select(notification_deliveries, events.case_id, events.event_name)
            .join(notification_events, events.id == delivery.event_id)
            .order_by(delivery.id)
        )
        if case_id is not None:
            query = query.where(events.case_id == case_id)
        if state is not None:
            query = query.where(delivery.state == state)
        async with reader(self.engine).connect() as conn:
            rows = (await conn.execute(query)).all()
        return [from_row(DeliveryRow, r, channel=channel_of_row(r)) for r in rows]

    async def count_open(self) -> int:
        async with reader(self.engine).connect() as conn:
            return int(
                (await conn.execute(select(func.count()).where(delivery.state.in_(OPEN_STATES)))).scalar_one()
            )

    async def purge(self, finished_before: datetime) -> int:
        """Deletes finished deliveries, and events without open deliveries, older than `finished_before`."""
        before = utc_naive(finished_before)
        async with self.engine.begin() as conn:
            result = await conn.execute(
                delete(notification_deliveries).where(
                    delivery.state.not_in(OPEN_STATES), delivery.updated_at < before
                )
            )
            await conn.execute(
                delete(notification_events).where(
                    events.received_at < before, ~exists().where(delivery.event_id == events.id)
                )
            )
        return int(result.rowcount or 0)
