"""Who opened a case, on SQLite and PostgreSQL: kept per workspace, the first record stands, newest first."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import db
from storage.case_openers import CaseOpenerRepository
from storage.case_openers import OpenedCase
from storage.workspaces import WorkspaceKey
from tests.helpers import databases

ONE, OTHER = WorkspaceKey("", "T0000000001"), WorkspaceKey("E0000000009", "T0000000001")
AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def opened(case_id: str, user: str = "U1", workspace: WorkspaceKey = ONE, minutes: int = 0) -> OpenedCase:
    return OpenedCase(
        workspace, "210987654321", case_id, f"17{minutes:08d}", f"Subject of {case_id}", user, "C1",
        AT + timedelta(minutes=minutes),
    )  # fmt: skip


@pytest.fixture
async def repo(database_url: str) -> AsyncIterator[CaseOpenerRepository]:
    async with databases.opened(database_url) as engine:
        yield CaseOpenerRepository(engine)


async def test_the_opener_of_a_case_is_known_in_its_workspace_only(repo: CaseOpenerRepository) -> None:
    await repo.record(opened("case-1", "U1"))
    await repo.record(opened("case-1", "U9"))  # a second record of the same case does not change its opener
    await repo.record(opened("case-2", "U2", OTHER))
    found = await repo.openers(ONE, [("210987654321", "case-1"), ("210987654321", "case-2")])
    assert found == {("210987654321", "case-1"): "U1"}
    assert await repo.openers(OTHER, [("210987654321", "case-2")]) == {("210987654321", "case-2"): "U2"}
    assert await repo.openers(ONE, []) == {}


async def test_a_persons_recent_cases_are_theirs_newest_first_and_bounded(repo: CaseOpenerRepository) -> None:
    for minute in range(7):
        await repo.record(opened(f"case-{minute}", "U1", minutes=minute))
    await repo.record(opened("case-x", "U2", minutes=30))
    await repo.record(opened("case-y", "U1", OTHER, minutes=40))
    recent = await repo.recent(ONE, "U1", limit=5)
    assert [c.case_id for c in recent] == ["case-6", "case-5", "case-4", "case-3", "case-2"]
    assert recent[0].subject == "Subject of case-6" and recent[0].opened_at == AT + timedelta(minutes=6)
    assert recent[0].channel_id == "C1" and recent[0].workspace == ONE


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


@pytest.mark.revision("0004")
async def test_migration_0005_adds_the_table_and_takes_it_back(old_database: str) -> None:
    async with databases.opened(old_database) as engine:
        assert "case_openers" not in await _tables(engine)
        await db.upgrade_async(old_database)
        repo = CaseOpenerRepository(engine)
        await repo.record(opened("case-1"))
        assert await repo.openers(ONE, [("210987654321", "case-1")]) == {("210987654321", "case-1"): "U1"}
        await engine.dispose()
        await asyncio.to_thread(db.downgrade, old_database, "0004")
        assert "case_openers" not in await _tables(engine)
