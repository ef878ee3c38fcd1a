"""The audit log's listings and retention, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from bolt_app.services.audit_log import AuditLog
from storage import db
from storage.audit import AuditEvent
from storage.audit import AuditFilter
from storage.audit import AuditRepository
from storage.tables import audit_events
from storage.workspaces import WorkspaceKey

NOW = datetime(2026, 12, 1, 12, 0, 0)
ONE, TWO = WorkspaceKey("E0001", "T1001"), WorkspaceKey("E0001", "T2001")


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = db.create_engine(database_url)
    yield engine
    await engine.dispose()


async def record(
    audit: AuditRepository,
    key: WorkspaceKey,
    n: int,
    *,
    channel: str = "C1",
    user: str = "U1",
    days_ago: int = 0,
) -> None:
    event = AuditEvent(
        "support:DescribeCases",
        "ok",
        enterprise_id=key.enterprise_id,
        team_id=key.team_id,
        channel_id=channel,
        user_id=user,
        user_name="Alice" if user == "U1" else "bob",
        case_id=f"case-{n}",
        session_name=f"{key.team_id}.{user}",
    )
    await audit.record(event)
    last = audit_events.c.id == (await audit.page(AuditFilter(key), 1))[0].id
    async with audit.engine.begin() as conn:  # when it happened, as the test needs it
        await conn.execute(update(audit_events).where(last).values(at=NOW - timedelta(days=days_ago)))


def cases(entries: list) -> list[str | None]:  # type: ignore[type-arg]
    return [e.case_id for e in entries]


async def test_pages_are_newest_first_keyed_on_id_and_stay_in_their_workspace(engine: AsyncEngine) -> None:
    audit = AuditRepository(engine)
    for n in range(5):
        await record(audit, ONE, n)
        await record(audit, TWO, 100 + n)  # the same channel ID in a sibling workspace
    first = await audit.page(AuditFilter(ONE, channel_id="C1"), 2)
    assert cases(first) == ["case-4", "case-3"]
    rest = await audit.page(AuditFilter(ONE, channel_id="C1", before_id=first[-1].id), 10)
    assert cases(rest) == ["case-2", "case-1", "case-0"]
    assert cases(await audit.page(AuditFilter(TWO), 10)) == [f"case-{100 + n}" for n in range(4, -1, -1)]
    assert await audit.page(AuditFilter(WorkspaceKey("", "T1001")), 10) == []  # same team ID, no org
    entry = first[0]
    assert (entry.user_name, entry.session_name, entry.at) == ("Alice", "T1001.U1", NOW)


async def test_filters_narrow_by_channel_user_name_case_and_time(engine: AsyncEngine) -> None:
    audit = AuditRepository(engine)
    await record(audit, ONE, 1, channel="C1", user="U1", days_ago=10)
    await record(audit, ONE, 2, channel="C2", user="U1", days_ago=3)
    await record(audit, ONE, 3, channel="C1", user="U2", days_ago=1)
    assert cases(await audit.page(AuditFilter(ONE, channel_id="C1"), 10)) == ["case-3", "case-1"]
    assert cases(await audit.page(AuditFilter(ONE, user_id="U1"), 10)) == ["case-2", "case-1"]
    assert cases(await audit.page(AuditFilter(ONE, user_name="ALICE"), 10)) == ["case-2", "case-1"]
    assert cases(await audit.page(AuditFilter(ONE, case_id="case-2"), 10)) == ["case-2"]
    since = NOW - timedelta(days=3)
    assert cases(await audit.page(AuditFilter(ONE, since=since), 10)) == ["case-3", "case-2"]
    both = AuditFilter(ONE, channel_id="C1", user_id="U1", since=NOW - timedelta(days=30))
    assert cases(await audit.page(both, 10)) == ["case-1"]


async def test_retention_prunes_rows_older_than_its_days_in_every_workspace(engine: AsyncEngine) -> None:
    audit = AuditRepository(engine)
    await record(audit, ONE, 1, days_ago=401)
    await record(audit, TWO, 2, days_ago=400, user="U2")
    await record(audit, ONE, 3, days_ago=399)
    log = AuditLog(audit, workspaces=None, retention_days=400, clock=lambda: NOW + timedelta(minutes=1))  # type: ignore[arg-type]
    assert await log.prune() == 2
    await record(audit, ONE, 4, days_ago=500)
    await record(audit, ONE, 5, days_ago=450)
    await record(audit, TWO, 6, days_ago=420, user="U2")
    assert await audit.prune(NOW - timedelta(days=400), batch=2) == 3  # in batches: all of them, then stops
    assert cases(await audit.page(AuditFilter(ONE), 10)) == ["case-3"]
    assert await audit.page(AuditFilter(TWO), 10) == []
    assert await AuditLog(audit, None, retention_days=0).prune() == 0  # type: ignore[arg-type]
    assert cases(await audit.page(AuditFilter(ONE), 10)) == ["case-3"]


async def test_the_workers_loop_prunes_at_once_and_stops_when_told(engine: AsyncEngine) -> None:
    audit = AuditRepository(engine)
    await record(audit, ONE, 1, days_ago=30)
    await record(audit, ONE, 2, days_ago=1)
    pruned = asyncio.Event()

    class Observed(AuditLog):
        async def prune(self) -> int:
            deleted = await super().prune()
            pruned.set()
            return deleted

    log = Observed(audit, None, retention_days=7, clock=lambda: NOW)  # type: ignore[arg-type]
    stop = asyncio.Event()
    loop = asyncio.create_task(log.keep_pruned(stop, every_seconds=3600))
    async with asyncio.timeout(10):
        await pruned.wait()
        assert cases(await audit.page(AuditFilter(ONE), 10)) == ["case-2"]
        stop.set()
        await loop  # returns within the bound although its next round is an hour away
