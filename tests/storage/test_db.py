"""Reads never wait for writers: on SQLite, lookups use a read pool beside the one writing connection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from collections.abc import Iterator
from contextlib import asynccontextmanager
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from bolt_app.services.context import Actor
from storage.db import reader
from storage.workspaces import WorkspaceKey
from tests.fakes.aws import AwsDouble
from tests.helpers.app import AppHarness
from tests.helpers.databases import opened
from tests.helpers.scenario import configured_channel
from tests.helpers.scenario import open_modal

ACCOUNT = "210987654321"
WORKSPACE = WorkspaceKey("", "T0001")


@asynccontextmanager
async def write_held_open(engine: AsyncEngine) -> AsyncIterator[None]:
    """A transaction that has written and stays open (holding SQLite's write lock) until the block ends."""
    written, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE workspaces SET team_name = team_name"))
            written.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await asyncio.wait_for(written.wait(), 10)
    try:
        yield
    finally:
        release.set()
        await asyncio.wait_for(holder, 10)


@contextmanager
def statements(engine: AsyncEngine, table: str) -> Iterator[list[str]]:
    """The SELECTs run on `engine`'s read connections that name `table`."""
    seen: list[str] = []

    def count(_conn, _cursor, statement: str, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT") and table in statement:
            seen.append(statement)

    target = reader(engine).sync_engine
    event.listen(target, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(target, "before_cursor_execute", count)


@pytest.fixture
async def installed(harness: AppHarness, aws: AwsDouble) -> AppHarness:
    await harness.install()
    await configured_channel(harness, aws, {ACCOUNT: "full"})
    return harness


async def test_a_command_opens_its_modal_while_a_write_transaction_is_held_open(
    installed: AppHarness,
) -> None:
    h = installed
    h.services.channels.forget_cached()  # both command-path lookups go to the database
    h.services.installation_store.bot_cache.clear()
    async with write_held_open(h.services.engine):
        # Before: SQLite's one connection was the writer's, so the command waited for the commit below and
        # Slack's trigger expired. Now the lookups read beside the open transaction.
        view = await asyncio.wait_for(open_modal(h, "create-case"), 10)
    assert view["title"]["text"]


async def test_concurrent_misses_of_a_channel_and_a_bot_each_make_one_query(installed: AppHarness) -> None:
    h = installed
    h.services.channels.forget_cached()
    h.services.installation_store.bot_cache.clear()
    store = h.services.installation_store
    with statements(h.services.engine, "channel_configurations") as channel_reads:
        results = await asyncio.gather(
            *(h.services.channels.channel_accounts(WORKSPACE, "C0001") for _ in range(20))
        )
    assert len(channel_reads) == 1
    assert all(r == results[0] and r[0].account_id == ACCOUNT for r in results)
    with statements(h.services.engine, "slack_bots") as bot_reads:
        bots = await asyncio.gather(
            *(store.async_find_bot(enterprise_id=None, team_id="T0001") for _ in range(20))
        )
    assert len(bot_reads) == 1
    assert all(b is not None and b.bot_token == bots[0].bot_token for b in bots)  # type: ignore[union-attr]


async def test_a_change_during_a_load_is_not_hidden_by_that_load(
    installed: AppHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A load that read before the channel changed serves its waiters but is not cached: the next read is fresh."""
    h = installed
    channels = h.services.channels
    channels.forget_cached()
    read, finish = asyncio.Event(), asyncio.Event()
    for_channel = channels.repository.for_channel

    async def slow_for_channel(channel):  # type: ignore[no-untyped-def]
        rows = await for_channel(channel)
        read.set()
        await finish.wait()
        return rows

    monkeypatch.setattr(channels.repository, "for_channel", slow_for_channel)
    loading = asyncio.ensure_future(channels.channel_accounts(WORKSPACE, "C0001"))
    await asyncio.wait_for(read.wait(), 10)
    await channels.remove(Actor.member(WORKSPACE, "U0001", slack_admin=True), "C0001", ACCOUNT)
    finish.set()
    assert [a.account_id for a in await loading] == [ACCOUNT]  # read before the removal
    assert await channels.channel_accounts(WORKSPACE, "C0001") == []


async def test_the_read_pool_cannot_write(database_url: str) -> None:
    async with opened(database_url) as engine:
        if reader(engine) is engine:
            pytest.skip("PostgreSQL reads and writes on one pool; only SQLite has a read pool")
        with pytest.raises(OperationalError, match="readonly"):
            async with reader(engine).connect() as conn:
                await conn.execute(text("UPDATE workspaces SET team_name = team_name"))
