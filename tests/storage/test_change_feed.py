"""PostgreSQL announces committed changes to cached rows; the feed hears them and survives a dropped connection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import db
from storage.change_feed import Change
from storage.change_feed import ChangeFeed
from storage.channels import ChannelConfigRow
from storage.channels import ChannelRepository
from storage.workspaces import ChannelKey
from storage.workspaces import WorkspaceKey
from storage.workspaces import WorkspaceRepository
from tests.conftest import _truncate_all

KEY = WorkspaceKey("E0001", "T0001")
ACCOUNT = "210987654321"
WITHIN = 5.0  # bound on every wait; announcements take milliseconds


class Heard:
    def __init__(self) -> None:
        self.changes: list[Change] = []
        self.gaps = 0
        self._updated = asyncio.Event()

    def change(self, change: Change) -> None:
        self.changes.append(change)
        self._updated.set()

    def gap(self) -> None:
        self.gaps += 1
        self._updated.set()

    async def until(self, condition: Callable[[], bool]) -> None:
        async with asyncio.timeout(WITHIN):
            while not condition():
                self._updated.clear()
                await self._updated.wait()


@pytest.fixture
async def engine(_postgres_database: str) -> AsyncIterator[AsyncEngine]:
    await _truncate_all(_postgres_database)
    engine = db.create_engine(_postgres_database)
    yield engine
    await engine.dispose()


@pytest.fixture
async def heard(engine: AsyncEngine) -> AsyncIterator[Heard]:
    heard = Heard()
    feed = ChangeFeed(engine, heard.change, heard.gap, check_every=60)
    await feed.start()
    assert feed.listening.is_set()
    yield heard
    await feed.stop()


async def _configure(engine: AsyncEngine, channel_id: str) -> ChannelConfigRow:
    await WorkspaceRepository(engine).record_install(KEY, "Team", "U1", "x" * 43)
    row = ChannelConfigRow(KEY, channel_id, "aws", ACCOUNT, None, f"arn:aws:iam::{ACCOUNT}:role/R")
    await ChannelRepository(engine).save(row, per_account=20, per_channel=100)
    return row


async def test_a_committed_change_is_announced_with_its_keys_and_a_rolled_back_one_never(
    engine: AsyncEngine, heard: Heard
) -> None:
    with pytest.raises(RuntimeError):
        async with engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO aws_accounts (account_id, updated_at) VALUES (:a, now())"),
                {"a": "111111111111"},
            )
            raise RuntimeError("rolled back")
    row = await _configure(engine, "C0001")
    await ChannelRepository(engine).delete(row.channel, ACCOUNT)

    deleted = Change("channel_configurations", "E0001", "T0001", "C0001", ACCOUNT)
    await heard.until(lambda: heard.changes.count(deleted) == 2)  # the insert, then the delete
    # Announcements arrive in commit order: the rolled-back transaction's would have come first.
    assert all(c.account_id != "111111111111" for c in heard.changes)
    assert Change("workspaces", "E0001", "T0001") in heard.changes


async def test_a_dropped_connection_is_reconnected_and_what_was_cached_is_forgotten(
    engine: AsyncEngine, heard: Heard
) -> None:
    assert heard.gaps == 1  # on listening: whatever changed before was not heard
    async with engine.connect() as conn:
        killed = await conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query LIKE 'LISTEN %'"
            )
        )
        assert killed.scalars().all() == [True]
    await heard.until(lambda: heard.gaps >= 3)  # the drop, then listening again

    await _configure(engine, "C0002")
    await heard.until(
        lambda: (
            ChannelKey(KEY, "C0002")
            in [
                ChannelKey(WorkspaceKey(c.enterprise_id or "", c.team_id or ""), c.channel_id or "")
                for c in heard.changes
            ]
        )
    )
