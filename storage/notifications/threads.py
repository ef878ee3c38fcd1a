"""Thread state queries: what each channel has been told about each case (`case_threads`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.clock import as_utc
from storage.clock import utc_naive
from storage.db import Repository
from storage.db import reader
from storage.notifications.sql import insert_ignore
from storage.notifications.thread_state import RESOLVED
from storage.notifications.thread_state import ThreadChange
from storage.notifications.thread_state import ThreadKey
from storage.notifications.thread_state import ThreadState
from storage.notifications.thread_state import merge_thread
from storage.rows import from_row
from storage.tables import case_threads
from storage.workspaces import channel_of_row
from storage.workspaces import of_channel

threads = case_threads.c


def _thread(row: Any) -> ThreadState:
    return from_row(
        ThreadState,
        row,
        key=ThreadKey(channel_of_row(row), row.account_id, row.case_id),
        lifecycle_at=as_utc(row.lifecycle_at),
        last_comm_at=as_utc(row.last_comm_at),
        own_replies=row.own_replies or 0,
        own_reply_at=as_utc(row.own_reply_at),
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


def _thread_where(key: ThreadKey) -> ColumnElement[bool]:
    return and_(
        of_channel(threads, key.channel),
        threads.account_id == key.account_id,
        threads.case_id == key.case_id,
    )


async def change_thread_in(
    conn: AsyncConnection, key: ThreadKey, change: ThreadChange, now: datetime
) -> ThreadState:
    """Applies `change` inside the caller's transaction (the row is locked until it ends)."""
    at = utc_naive(now)
    blank = {
        "enterprise_id": key.channel.workspace.enterprise_id,
        "team_id": key.channel.workspace.team_id,
        "channel_id": key.channel.channel_id,
        "account_id": key.account_id,
        "case_id": key.case_id,
        "own_replies": 0,
        "updated_at": at,
    }
    await conn.execute(insert_ignore(conn, case_threads, [blank]))
    row = (await conn.execute(select(case_threads).where(_thread_where(key)).with_for_update())).one()
    state = merge_thread(_thread(row), change)
    await conn.execute(
        update(case_threads).where(_thread_where(key)).values(**_thread_values(state), updated_at=at)
    )
    return state


class ThreadRepository(Repository):
    async def thread(self, key: ThreadKey) -> ThreadState | None:
        async with reader(self.engine).connect() as conn:
            row = (await conn.execute(select(case_threads).where(_thread_where(key)))).first()
        return None if row is None else _thread(row)

    async def change_thread(self, key: ThreadKey, change: ThreadChange, now: datetime) -> ThreadState:
        """Applies `change` atomically; returns the state after it (whose root may be another writer's)."""
        async with self.engine.begin() as conn:
            return await change_thread_in(conn, key, change, now)

    async def open_threads(self, account_id: str, limit: int = 100) -> list[tuple[str, str | None]]:
        """(case ID, language) of the account's cases that have a thread and were not last known resolved."""
        query = (
            select(
                threads.case_id,
                func.max(threads.language).label("language"),
                func.max(threads.updated_at).label("at"),
            )
            .where(
                threads.account_id == account_id,
                threads.root_ts.is_not(None),
                or_(threads.lifecycle.is_(None), threads.lifecycle != RESOLVED),
            )
            .group_by(threads.case_id)
            .order_by(func.max(threads.updated_at).desc())
            .limit(limit)
        )
        async with reader(self.engine).connect() as conn:
            return [(r.case_id, r.language) for r in (await conn.execute(query)).all()]
