"""One connection, one task: a connection used by a second task fails loudly before its statement is sent, and
many concurrent repository calls, some cancelled in the middle of their statements, leave every pooled
connection healthy (PostgreSQL: none left in a transaction, none unusable)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC
from datetime import datetime

import asyncpg
import pytest
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.case_openers import CaseOpenerRepository
from storage.case_openers import OpenedCase
from storage.db import SharedConnectionError
from storage.db import create_engine
from storage.tables import case_openers
from storage.workspaces import WorkspaceKey

WORKSPACE = WorkspaceKey("", "T0000000001")
CALLS = 240


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


def opened(n: int) -> OpenedCase:
    return OpenedCase(
        WORKSPACE, "210987654321", f"case-{n}", f"{n:010d}", f"Subject {n}", f"U{n % 7}", "C1",
        datetime(2026, 12, 1, tzinfo=UTC),
    )  # fmt: skip


async def test_a_connection_used_by_a_second_task_fails_before_its_statement_is_sent(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
        with pytest.raises(SharedConnectionError, match="one connection belongs to one task"):
            await asyncio.gather(conn.execute(text("SELECT 2")), conn.execute(text("SELECT 3")))
        with pytest.raises(SharedConnectionError):
            await asyncio.create_task(conn.execute(text("SELECT 4")))
        assert (await conn.execute(text("SELECT 5"))).scalar_one() == 5  # its own task still uses it


async def test_each_task_taking_its_own_connection_is_not_refused(engine: AsyncEngine) -> None:
    async def own() -> int:
        async with engine.connect() as conn:
            return (await conn.execute(text("SELECT 1"))).scalar_one()

    assert await asyncio.gather(*(own() for _ in range(20))) == [1] * 20


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_concurrent_repository_calls_cancelled_mid_statement_leave_every_connection_healthy(
    engine: AsyncEngine, database_url: str
) -> None:
    openers = CaseOpenerRepository(engine)
    in_flight: dict[asyncio.Task[object], asyncio.Event] = {}

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _sending(*_: object) -> None:
        task = asyncio.current_task()
        if task in in_flight:
            in_flight[task].set()

    async def call(n: int) -> None:
        if n % 2:
            await openers.record(opened(n))
        else:
            await openers.recent(WORKSPACE, f"U{n % 7}")

    async def cancelled_mid_statement(n: int) -> None:
        task = asyncio.create_task(call(n))
        sent = in_flight[task] = asyncio.Event()
        async with asyncio.timeout(30):
            await (
                sent.wait()
            )  # its statement is on its way: the cancellation reaches it waiting for the answer
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    cancelled = set(range(0, CALLS, 3))
    results = await asyncio.gather(
        *(cancelled_mid_statement(n) if n in cancelled else call(n) for n in range(CALLS)),
        return_exceptions=True,
    )
    assert [r for r in results if r is not None] == []  # no error: no connection was shared or left broken

    # Every connection the pool can hand out works and is in no transaction; nothing was half-written.
    pool = engine.sync_engine.pool
    size = pool.size() + engine.sync_engine.pool._max_overflow  # type: ignore[attr-defined]
    held = [await engine.connect() for _ in range(size)]
    try:
        assert [(await c.execute(text("SELECT 1"))).scalar_one() for c in held] == [1] * size
    finally:
        for c in held:
            await c.close()
    async with engine.connect() as conn:
        rows = (await conn.execute(select(func.count()).select_from(case_openers))).scalar_one()
    written = {n for n in range(CALLS) if n % 2 and n not in cancelled}
    assert len(written) <= rows <= len(written) + len(cancelled)  # cancelled writes: whole or absent
    admin = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        states = await admin.fetch(
            "SELECT state FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await admin.close()
    assert {r["state"] for r in states} <= {"idle"}
    assert pool.checkedout() == 0
