"""The async engine, and running migrations."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def is_sqlite(database_url: str) -> bool:
    return make_url(database_url).get_backend_name() == "sqlite"


def sqlite_path(database_url: str) -> Path | None:
    """The database file of a SQLite URL, or None for an in-memory database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


class SqliteEngine(AsyncEngine):
    """A SQLite engine whose writes serialise on one connection and whose reads have a pool of their own.

    In WAL mode readers never wait for the writer (nor it for them), so a lookup on the command path is not
    queued behind a long write transaction. `reads` serves `engine.connect()`-style read-only work (see
    `reader`); this engine's own `begin()` takes the write lock."""

    __slots__ = ("reads",)

    def __init__(self, writes: AsyncEngine, reads: AsyncEngine) -> None:
        super().__init__(writes.sync_engine)
        self.reads = reads

    async def dispose(self, close: bool = True) -> None:
        await self.reads.dispose(close)
        await super().dispose(close)


def reader(engine: AsyncEngine) -> AsyncEngine:
    """The engine for read-only work: SQLite's read pool (no write lock), or the engine itself."""
    return engine.reads if isinstance(engine, SqliteEngine) else engine


def _sqlite_pragmas(engine: AsyncEngine, *, read_only: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # with WAL: no fsync per commit, still crash-safe
        cursor.execute("PRAGMA foreign_keys=ON")
        if read_only:
            cursor.execute("PRAGMA query_only=ON")  # a write sent to the read pool fails instead of locking
        cursor.close()
        dbapi_connection.isolation_level = None  # transactions are begun below, not by the driver

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn) -> None:  # type: ignore[no-untyped-def]
        # Writers take SQLite's write lock when their transaction starts, so check-then-insert limits cannot
        # interleave (the driver's deferred BEGIN would let two transactions read, then both write). Readers
        # begin deferred: one snapshot for the transaction, no lock.
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def create_engine(database_url: str) -> AsyncEngine:
    if is_sqlite(database_url):
        # One writing connection: every writing transaction takes the write lock, so a second one could only
        # wait; and while it waits inside its driver thread, a garbage collection in the event loop that
        # finalizes one of its cursors blocks the loop on that thread, so the lock holder never commits.
        writes = create_async_engine(database_url, connect_args={"timeout": 30}, pool_size=1, max_overflow=0)
        _sqlite_pragmas(writes, read_only=False)
        if sqlite_path(database_url) is None:
            return writes  # an in-memory database exists per connection: reads must share the writer's
        reads = create_async_engine(database_url, connect_args={"timeout": 30}, pool_size=4, max_overflow=0)
        _sqlite_pragmas(reads, read_only=True)
        return SqliteEngine(writes, reads)
    return create_async_engine(database_url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    """Runs the migrations up to `revision`. Synchronous: call it before the event loop starts, or in a thread."""
    path = sqlite_path(database_url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(database_url), revision)


async def upgrade_async(database_url: str, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade, database_url, revision)


async def ping(engine: AsyncEngine, within: float = 2.0) -> bool:
    try:
        async with asyncio.timeout(within), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


def downgrade(database_url: str, revision: str) -> None:
    """Runs the migrations down to `revision` (an ID, `base`, or relative like `-1`). Synchronous, as `upgrade`."""
    command.downgrade(alembic_config(database_url), revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at (None: never migrated)."""
    async with engine.connect() as conn:
        return await conn.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())
