"""Case notifications: events tokens, ingested events, deliveries (event × channel), channel leases, the thread
state of each case in each channel, and reconciliation bookkeeping.

Delivery protocol. An event is stored together with one `pending` delivery per channel configuration of its
account, in the transaction that claims its idempotency keys, so an acknowledged event is never lost. A process
leases a channel (`notification_channels`: claimed_by, lease_until; PostgreSQL picks rows with FOR UPDATE SKIP
LOCKED), then walks that channel's deliveries in order: `pending` → `posting` (claimed_by, lease_until) →
`posted` / `skipped` / `failed`. Every Slack write is recorded in `case_threads` right after Slack accepts it,
so re-running a delivery whose lease expired repeats only the writes that were not recorded yet.

Times are naive UTC, like every table of the app.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    and_,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.tables import (
    channel_configurations,
    metadata,
    processed_events,
    workspace_authorizations,
)

PENDING = "pending"
POSTING = "posting"
POSTED = "posted"
SKIPPED = "skipped"
FAILED = "failed"
OPEN_STATES = (PENDING, POSTING)
OPEN = "open"
RESOLVED = "resolved"

# One token per AWS account for `POST /aws/events`; only its SHA-256 is kept.
events_tokens = Table(
    "events_tokens",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("issued_by", String(64)),
    Column("issued_at", DateTime, nullable=False, default=func.now()),
)

notification_events = Table(
    "notification_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("case_id", String(64), nullable=False),
    Column("event_name", String(32), nullable=False),  # CreateCase … or Reconcile
    Column("communication_id", String(255)),
    Column("origin", String(16)),
    Column("event_time", DateTime, nullable=False),
    Column("floor_time", DateTime),  # Reconcile: the start of the window it looked at
    Column("source", String(16), nullable=False),  # http | sqs | reconcile
    Column("aws_event_id", String(128)),
    Column("received_at", DateTime, nullable=False, default=func.now(), index=True),
)

notification_deliveries = Table(
    "notification_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", Integer, nullable=False),
    Column("enterprise_id", String(32), nullable=False, default=""),
    Column("team_id", String(32), nullable=False),
    Column("channel_id", String(32), nullable=False),
    Column("account_id", String(12), nullable=False),
    Column("state", String(16), nullable=False, default=PENDING),
    Column("claimed_by", String(64)),
    Column("lease_until", DateTime),
    Column("attempts", Integer, nullable=False, default=0),
    Column("outcome", String(64)),
    Column("created_at", DateTime, nullable=False, default=func.now()),
    Column("updated_at", DateTime, nullable=False, default=func.now()),
    UniqueConstraint("event_id", "team_id", "channel_id", name="uq_notification_deliveries_event_channel"),
    Index("ix_notification_deliveries_channel_state", "team_id", "channel_id", "state", "id"),
    Index("ix_notification_deliveries_state_updated", "state", "updated_at"),
)

# One row per channel that ever had a delivery: who is posting to it, and when it may be tried again.
notification_channels = Table(
    "notification_channels",
    metadata,
    Column("team_id", String(32), primary_key=True),
    Column("channel_id", String(32), primary_key=True),
    Column("enterprise_id", String(32), nullable=False, default=""),
    Column("claimed_by", String(64)),
    Column("lease_until", DateTime),
    Column("not_before", DateTime),
)

# What each channel has been told about each case: the guard against posting anything twice, whether a change
# arrives as an event, a duplicate, or through reconciliation.
case_threads = Table(
    "case_threads",
    metadata,
    Column("team_id", String(32), primary_key=True),
    Column("channel_id", String(32), primary_key=True),
    Column("account_id", String(12), primary_key=True),
    Column("case_id", String(64), primary_key=True),
    Column("enterprise_id", String(32), nullable=False, default=""),
    Column("display_id", String(32)),
    Column("language", String(8)),
    Column("root_ts", String(32)),  # the thread's root message; None until one exists
    Column("root_status", String(32)),  # the status the root message shows
    Column("lifecycle", String(16)),  # open | resolved, as last announced or deliberately passed over
    Column("lifecycle_at", DateTime),  # when that lifecycle change happened (event time, or observation)
    Column("last_comm_at", DateTime),  # newest correspondence covered (posted or deliberately passed over)
    Column("own_replies", Integer, nullable=False, default=0),  # replies sent from this channel, not yet seen
    Column("own_reply_at", DateTime),
    Column("updated_at", DateTime, nullable=False, default=func.now()),
    Index("ix_case_threads_account", "account_id", "case_id"),
)

notification_reconciliations = Table(
    "notification_reconciliations",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("last_look_at", DateTime),
    Column("next_due_at", DateTime),
    Column("claimed_by", String(64)),
    Column("lease_until", DateTime),
)

NOTIFICATION_TABLES = (
    events_tokens,
    notification_events,
    notification_deliveries,
    notification_channels,
    case_threads,
    notification_reconciliations,
)

d = notification_deliveries.c
ch = notification_channels.c
th = case_threads.c
rc = notification_reconciliations.c


def utc_naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def as_utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def idempotency_key(text: str) -> str:
    """processed_events keys are at most 255 characters: longer ones are hashed."""
    return text if len(text) <= 255 else "sha256:" + hashlib.sha256(text.encode()).hexdigest()


# ---------------------------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelKey:
    enterprise_id: str
    team_id: str
    channel_id: str


@dataclass(frozen=True)
class ThreadKey:
    team_id: str
    channel_id: str
    account_id: str
    case_id: str


@dataclass(frozen=True)
class NewEvent:
    account_id: str
    case_id: str
    event_name: str
    event_time: datetime
    source: str
    communication_id: str | None = None
    origin: str | None = None
    aws_event_id: str | None = None
    floor_time: datetime | None = None


@dataclass(frozen=True)
class StoredEvent(NewEvent):
    id: int = 0


@dataclass(frozen=True)
class Recorded:
    event_id: int
    deliveries: int


@dataclass(frozen=True)
class DeliveryWork:
    """A delivery this process now holds (state `posting`), with its event."""

    id: int
    channel: ChannelKey
    account_id: str
    attempts: int  # including this one
    reclaimed: bool  # a lease of another process had expired on it
    event: StoredEvent


@dataclass(frozen=True)
class DeliveryRow:
    id: int
    event_id: int
    case_id: str
    event_name: str
    channel: ChannelKey
    account_id: str
    state: str
    outcome: str | None
    attempts: int
    claimed_by: str | None


@dataclass(frozen=True)
class ThreadState:
    key: ThreadKey
    display_id: str | None = None
    language: str | None = None
    root_ts: str | None = None
    root_status: str | None = None
    lifecycle: str | None = None
    lifecycle_at: datetime | None = None
    last_comm_at: datetime | None = None
    own_replies: int = 0
    own_reply_at: datetime | None = None


@dataclass(frozen=True)
class ThreadChange:
    """A change to a thread's state. Fields left None keep their value; the merge never goes backwards: the root
    is set once, the correspondence mark only rises, a lifecycle change older than the recorded one is ignored."""

    display_id: str | None = None
    language: str | None = None
    root_ts: str | None = None
    root_status: str | None = None
    lifecycle: str | None = None
    lifecycle_at: datetime | None = None
    last_comm_at: datetime | None = None
    own_replies_added: int = 0
    own_replies_used: int = 0
    own_reply_at: datetime | None = None

    def then(self, later: ThreadChange) -> ThreadChange:
        """This change followed by `later`, as one change."""
        merged = {
            name: getattr(later, name) if getattr(later, name) is not None else getattr(self, name)
            for name in ("display_id", "language", "root_ts", "root_status", "own_reply_at")
        }
        lifecycle = (
            (later.lifecycle, later.lifecycle_at)
            if later.lifecycle is not None
            else (self.lifecycle, self.lifecycle_at)
        )
        marks = [m for m in (self.last_comm_at, later.last_comm_at) if m is not None]
        return ThreadChange(
            **merged,
            lifecycle=lifecycle[0],
            lifecycle_at=lifecycle[1],
            last_comm_at=max(marks) if marks else None,
            own_replies_added=self.own_replies_added + later.own_replies_added,
            own_replies_used=self.own_replies_used + later.own_replies_used,
        )


def merge_thread(state: ThreadState, change: ThreadChange) -> ThreadState:
    lifecycle, lifecycle_at = state.lifecycle, state.lifecycle_at
    if change.lifecycle is not None and (
        lifecycle_at is None or change.lifecycle_at is None or change.lifecycle_at >= lifecycle_at
    ):
        lifecycle, lifecycle_at = change.lifecycle, change.lifecycle_at or lifecycle_at
    marks = [m for m in (state.last_comm_at, change.last_comm_at) if m is not None]
    return replace(
        state,
        display_id=change.display_id or state.display_id,
        language=change.language or state.language,
        root_ts=state.root_ts or change.root_ts,
        root_status=change.root_status or state.root_status,
        lifecycle=lifecycle,
        lifecycle_at=lifecycle_at,
        last_comm_at=max(marks) if marks else None,
        own_replies=max(0, state.own_replies + change.own_replies_added - change.own_replies_used),
        own_reply_at=change.own_reply_at or state.own_reply_at,
    )


def _thread(row: Any) -> ThreadState:
    m = row._mapping
    return ThreadState(
        key=ThreadKey(m["team_id"], m["channel_id"], m["account_id"], m["case_id"]),
        display_id=m["display_id"],
        language=m["language"],
        root_ts=m["root_ts"],
        root_status=m["root_status"],
        lifecycle=m["lifecycle"],
        lifecycle_at=as_utc(m["lifecycle_at"]),
        last_comm_at=as_utc(m["last_comm_at"]),
        own_replies=m["own_replies"] or 0,
        own_reply_at=as_utc(m["own_reply_at"]),
    )


def _thread_values(state: ThreadState) -> dict[str, Any]:
    return {
        "display_id": state.display_id,
        "language": state.language,
        "root_ts": state.root_ts,
        "root_status": state.root_status,
        "lifecycle": state.lifecycle,
        "lifecycle_at": utc_naive(state.lifecycle_at) if state.lifecycle_at else None,
        "last_comm_at": utc_naive(state.last_comm_at) if state.last_comm_at else None,
        "own_replies": state.own_replies,
        "own_reply_at": utc_naive(state.own_reply_at) if state.own_reply_at else None,
    }


def _thread_where(key: ThreadKey):  # type: ignore[no-untyped-def]
    return and_(
        th.team_id == key.team_id,
        th.channel_id == key.channel_id,
        th.account_id == key.account_id,
        th.case_id == key.case_id,
    )


def _channel_where(channel: ChannelKey):  # type: ignore[no-untyped-def]
    return and_(ch.team_id == channel.team_id, ch.channel_id == channel.channel_id)


def _insert_ignore(conn: AsyncConnection, table: Table, rows: list[dict[str, Any]]):  # type: ignore[no-untyped-def]
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).values(rows).on_conflict_do_nothing()


def _lease_free(lease_until: Any, now: datetime):  # type: ignore[no-untyped-def]
    return or_(lease_until.is_(None), lease_until < now)


# ---------------------------------------------------------------------------------------------------------------
# Repository
# ---------------------------------------------------------------------------------------------------------------


class NotificationRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    # ---- events tokens ------------------------------------------------------------------------------------

    async def account_is_authorized(self, account_id: str) -> bool:
        c = workspace_authorizations.c
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(c.account_id).where(c.account_id == account_id, c.state == "authorized").limit(1)
                )
            ).first()
        return row is not None

    async def set_events_token(
        self, account_id: str, token_hash: str, issued_by: str | None, now: datetime
    ) -> None:
        """Replaces the account's token: the old one stops working in the same transaction."""
        async with self.engine.begin() as conn:
            await conn.execute(delete(events_tokens).where(events_tokens.c.account_id == account_id))
            await conn.execute(
                insert(events_tokens).values(
                    account_id=account_id,
                    token_hash=token_hash,
                    issued_by=issued_by,
                    issued_at=utc_naive(now),
                )
            )

    async def account_for_token_hash(self, token_hash: str) -> str | None:
        """The account whose token has exactly this hash (the whole hash, compared in constant time)."""
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(events_tokens.c.account_id, events_tokens.c.token_hash).where(
                        events_tokens.c.token_hash == token_hash
                    )
                )
            ).first()
        if row is None or not hmac.compare_digest(str(row.token_hash), token_hash):
            return None
        return str(row.account_id)

    # ---- ingestion ----------------------------------------------------------------------------------------

    async def record_event(self, event: NewEvent, keys: Sequence[str], now: datetime) -> Recorded | None:
        """Claims the event's idempotency keys, stores it and one pending delivery per channel configuration of
        its account, all in one transaction. None: a key was already claimed (a duplicate), nothing stored."""
        at = utc_naive(now)
        try:
            async with self.engine.begin() as conn:
                for key in dict.fromkeys(idempotency_key(k) for k in keys):
                    await conn.execute(insert(processed_events).values(key=key, seen_at=at))
                event_id = await self._insert_event(conn, event, at)
                count = await self._insert_deliveries(conn, event_id, event.account_id, at)
        except IntegrityError:
            return None
        return Recorded(event_id, count)

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
        cc = channel_configurations.c
        configs = (
            await conn.execute(
                select(cc.enterprise_id, cc.team_id, cc.channel_id)
                .where(cc.account_id == account_id)
                .order_by(cc.team_id, cc.channel_id)
            )
        ).all()
        if not configs:
            return 0
        await conn.execute(
            insert(notification_deliveries),
            [
                {
                    "event_id": event_id,
                    "enterprise_id": c.enterprise_id,
                    "team_id": c.team_id,
                    "channel_id": c.channel_id,
                    "account_id": account_id,
                    "state": PENDING,
                    "attempts": 0,
                    "created_at": at,
                    "updated_at": at,
                }
                for c in configs
            ],
        )
        channels = [
            {"team_id": c.team_id, "channel_id": c.channel_id, "enterprise_id": c.enterprise_id}
            for c in configs
        ]
        await conn.execute(_insert_ignore(conn, notification_channels, channels))
        return len(configs)

    # ---- channel leases -----------------------------------------------------------------------------------

    async def claim_channels(
        self, worker: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[ChannelKey]:
        """Leases up to `limit` channels with deliveries to make whose lease is free and whose wait is over.
        PostgreSQL: FOR UPDATE SKIP LOCKED, so concurrent claimers split the channels instead of queueing."""
        at, until = utc_naive(now), utc_naive(lease_until)
        has_work = exists().where(
            d.team_id == ch.team_id, d.channel_id == ch.channel_id, d.state.in_(OPEN_STATES)
        )
        query = (
            select(ch.enterprise_id, ch.team_id, ch.channel_id)
            .where(
                _lease_free(ch.lease_until, at), or_(ch.not_before.is_(None), ch.not_before <= at), has_work
            )
            .limit(limit)
            .with_for_update(skip_locked=True, of=notification_channels)
        )
        async with self.engine.begin() as conn:
            rows = (await conn.execute(query)).all()
            claimed = []
            for r in rows:
                key = ChannelKey(r.enterprise_id, r.team_id, r.channel_id)
                result = await conn.execute(
                    update(notification_channels)
                    .where(_channel_where(key), _lease_free(ch.lease_until, at))
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
                .where(_channel_where(channel), ch.claimed_by == worker)
                .values(lease_until=until)
            )
            await conn.execute(
                update(notification_deliveries)
                .where(
                    d.team_id == channel.team_id,
                    d.channel_id == channel.channel_id,
                    d.state == POSTING,
                    d.claimed_by == worker,
                )
                .values(lease_until=until)
            )
        return bool(result.rowcount == 1)

    async def release_channel(
        self, worker: str, channel: ChannelKey, not_before: datetime | None = None
    ) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(notification_channels)
                .where(_channel_where(channel), ch.claimed_by == worker)
                .values(
                    claimed_by=None,
                    lease_until=None,
                    not_before=utc_naive(not_before) if not_before else None,
                )
            )

    # ---- deliveries ---------------------------------------------------------------------------------------

    async def next_delivery(
        self, worker: str, channel: ChannelKey, now: datetime, lease_until: datetime
    ) -> DeliveryWork | None:
        """The channel's oldest unfinished delivery, now `posting` under this worker's lease; None when the
        channel has nothing left or this worker no longer holds it."""
        at, until = utc_naive(now), utc_naive(lease_until)
        e = notification_events.c
        async with self.engine.begin() as conn:
            held = (
                await conn.execute(
                    select(ch.claimed_by).where(
                        _channel_where(channel), ch.claimed_by == worker, ch.lease_until >= at
                    )
                )
            ).first()
            if held is None:
                return None
            row = (
                await conn.execute(
                    select(notification_deliveries, notification_events)
                    .join(notification_events, e.id == d.event_id)
                    .where(
                        d.team_id == channel.team_id,
                        d.channel_id == channel.channel_id,
                        d.state.in_(OPEN_STATES),
                    )
                    .order_by(d.id)
                    .limit(1)
                )
            ).first()
            if row is None:
                return None
            m = row._mapping
            delivery_id = m[d.id]
            if (
                m[d.state] == POSTING
                and m[d.claimed_by] != worker
                and m[d.lease_until]
                and m[d.lease_until] >= at
            ):
                return (
                    None  # another worker still holds it (cannot happen while the channel lease is respected)
                )
            reclaimed = m[d.state] == POSTING and m[d.claimed_by] != worker
            attempts = int(m[d.attempts]) + 1
            await conn.execute(
                update(notification_deliveries)
                .where(d.id == delivery_id)
                .values(state=POSTING, claimed_by=worker, lease_until=until, attempts=attempts, updated_at=at)
            )
        return DeliveryWork(
            id=delivery_id,
            channel=channel,
            account_id=m[d.account_id],
            attempts=attempts,
            reclaimed=reclaimed,
            event=StoredEvent(
                id=m[e.id],
                account_id=m[e.account_id],
                case_id=m[e.case_id],
                event_name=m[e.event_name],
                event_time=as_utc(m[e.event_time]) or now,
                source=m[e.source],
                communication_id=m[e.communication_id],
                origin=m[e.origin],
                aws_event_id=m[e.aws_event_id],
                floor_time=as_utc(m[e.floor_time]),
            ),
        )

    async def finish_delivery(
        self,
        delivery_id: int,
        worker: str,
        state: str,
        outcome: str,
        now: datetime,
        thread: tuple[ThreadKey, str, ThreadChange] | None = None,
    ) -> bool:
        """Marks the delivery done (posted, skipped or failed) and applies the thread's last change with it.
        False when another worker had taken the delivery over (its outcome then stands)."""
        async with self.engine.begin() as conn:
            if thread is not None:
                await self._change_thread(conn, *thread, now)
            result = await conn.execute(
                update(notification_deliveries)
                .where(d.id == delivery_id, d.state == POSTING, d.claimed_by == worker)
                .values(
                    state=state,
                    outcome=outcome[:64],
                    claimed_by=None,
                    lease_until=None,
                    updated_at=utc_naive(now),
                )
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
                .where(d.id == delivery_id, d.claimed_by == worker)
                .values(
                    state=PENDING,
                    outcome=outcome[:64],
                    claimed_by=None,
                    lease_until=None,
                    updated_at=utc_naive(now),
                )
            )
            await conn.execute(
                update(notification_channels)
                .where(_channel_where(channel), ch.claimed_by == worker)
                .values(claimed_by=None, lease_until=None, not_before=utc_naive(not_before))
            )

    async def deliveries(self, *, case_id: str | None = None, state: str | None = None) -> list[DeliveryRow]:
        e = notification_events.c
        query = (
            select(notification_deliveries, e.case_id, e.event_name)
            .join(notification_events, e.id == d.event_id)
            .order_by(d.id)
        )
        if case_id is not None:
            query = query.where(e.case_id == case_id)
        if state is not None:
            query = query.where(d.state == state)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            DeliveryRow(
                id=r.id,
                event_id=r.event_id,
                case_id=r.case_id,
                event_name=r.event_name,
                channel=ChannelKey(r.enterprise_id, r.team_id, r.channel_id),
                account_id=r.account_id,
                state=r.state,
                outcome=r.outcome,
                attempts=r.attempts,
                claimed_by=r.claimed_by,
            )
            for r in rows
        ]

    async def count_open(self) -> int:
        async with self.engine.connect() as conn:
            return int(
                (await conn.execute(select(func.count()).where(d.state.in_(OPEN_STATES)))).scalar_one()
            )

    # ---- thread state -------------------------------------------------------------------------------------

    async def thread(self, key: ThreadKey) -> ThreadState | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(case_threads).where(_thread_where(key)))).first()
        return None if row is None else _thread(row)

    async def change_thread(
        self, key: ThreadKey, enterprise_id: str, change: ThreadChange, now: datetime
    ) -> ThreadState:
        """Applies `change` atomically; returns the state after it (whose root may be another writer's)."""
        async with self.engine.begin() as conn:
            return await self._change_thread(conn, key, enterprise_id, change, now)

    async def _change_thread(
        self, conn: AsyncConnection, key: ThreadKey, enterprise_id: str, change: ThreadChange, now: datetime
    ) -> ThreadState:
        at = utc_naive(now)
        blank = {
            "team_id": key.team_id,
            "channel_id": key.channel_id,
            "account_id": key.account_id,
            "case_id": key.case_id,
            "enterprise_id": enterprise_id,
            "own_replies": 0,
            "updated_at": at,
        }
        await conn.execute(_insert_ignore(conn, case_threads, [blank]))
        row = (await conn.execute(select(case_threads).where(_thread_where(key)).with_for_update())).one()
        state = merge_thread(_thread(row), change)
        await conn.execute(
            update(case_threads).where(_thread_where(key)).values(**_thread_values(state), updated_at=at)
        )
        return state

    async def open_threads(self, account_id: str, limit: int = 100) -> list[tuple[str, str | None]]:
        """(case ID, language) of the account's cases that have a thread and were not last known resolved."""
        query = (
            select(th.case_id, func.max(th.language).label("language"), func.max(th.updated_at).label("at"))
            .where(
                th.account_id == account_id,
                th.root_ts.is_not(None),
                or_(th.lifecycle.is_(None), th.lifecycle != RESOLVED),
            )
            .group_by(th.case_id)
            .order_by(func.max(th.updated_at).desc())
            .limit(limit)
        )
        async with self.engine.connect() as conn:
            return [(r.case_id, r.language) for r in (await conn.execute(query)).all()]

    # ---- reconciliation -----------------------------------------------------------------------------------

    async def accounts_with_channels(self) -> list[str]:
        cc = channel_configurations.c
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(cc.account_id).distinct().order_by(cc.account_id))
            return [r.account_id for r in rows]

    async def claim_reconciliation(
        self, account_id: str, worker: str, now: datetime, lease_until: datetime
    ) -> tuple[bool, datetime | None]:
        """(claimed, last look) for an account whose reconciliation is due and not held by another worker."""
        at = utc_naive(now)
        async with self.engine.begin() as conn:
            await conn.execute(
                _insert_ignore(conn, notification_reconciliations, [{"account_id": account_id}])
            )
            result = await conn.execute(
                update(notification_reconciliations)
                .where(
                    rc.account_id == account_id,
                    _lease_free(rc.lease_until, at),
                    or_(rc.next_due_at.is_(None), rc.next_due_at <= at),
                )
                .values(claimed_by=worker, lease_until=utc_naive(lease_until))
            )
            if result.rowcount != 1:
                return False, None
            last = (
                await conn.execute(select(rc.last_look_at).where(rc.account_id == account_id))
            ).scalar_one()
        return True, as_utc(last)

    async def finish_reconciliation(
        self, account_id: str, worker: str, looked_at: datetime | None, next_due_at: datetime
    ) -> None:
        values: dict[str, Any] = {
            "claimed_by": None,
            "lease_until": None,
            "next_due_at": utc_naive(next_due_at),
        }
        if looked_at is not None:
            values["last_look_at"] = utc_naive(looked_at)
        async with self.engine.begin() as conn:
            await conn.execute(
                update(notification_reconciliations)
                .where(rc.account_id == account_id, rc.claimed_by == worker)
                .values(**values)
            )

    async def purge(self, finished_before: datetime) -> int:
        """Deletes finished deliveries, and events without open deliveries, older than `finished_before`."""
        before = utc_naive(finished_before)
        e = notification_events.c
        async with self.engine.begin() as conn:
            result = await conn.execute(
                delete(notification_deliveries).where(d.state.not_in(OPEN_STATES), d.updated_at < before)
            )
            await conn.execute(
                delete(notification_events).where(e.received_at < before, ~exists().where(d.event_id == e.id))
            )
        return int(result.rowcount or 0)
