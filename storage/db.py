"""The async engine, and running migrations."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from asyncpg.exceptions import InternalClientError
from sqlalchemy import event
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.asyncio import create_async_engine

log = logging.getLogger(__name__)

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


class Repository:
    """Queries on one engine; those that only read go to its read pool (`reader`)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine


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


class SharedConnectionError(RuntimeError):
    """A database connection used by a task other than the one that took it from the pool."""


_OWNER = "aws_support_slack_owner"  # in a pooled connection's `info`: the task that checked it out


def _running_task() -> asyncio.Task[object] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no event loop: synchronous use (migrations)
        return None


def one_task_per_connection(engine: AsyncEngine) -> None:
    """Makes a statement sent on a connection by a task other than the one that checked it out fail before it
    is sent. Two tasks on one connection would interleave their statements in one transaction (SQLAlchemy's
    asyncpg adapter queues them instead of failing); each repository call opens its own connection and must
    keep it within its task (no `gather`, `create_task` or `wait_for` over a shared connection). A dictionary
    lookup per statement."""
    sync = engine.sync_engine

    @event.listens_for(sync, "checkout")
    def _taken(_dbapi, record, _proxy) -> None:  # type: ignore[no-untyped-def]
        record.info[_OWNER] = _running_task()

    @event.listens_for(sync, "before_cursor_execute")
    def _same_task(conn, _cursor, statement, *_) -> None:  # type: ignore[no-untyped-def]
        owner = conn.info.get(_OWNER)
        task = _running_task()
        if owner is not None and task is not None and task is not owner:
            raise SharedConnectionError(
                f"a database connection taken by task {owner.get_name()!r} was used by task "
                f"{task.get_name()!r} ({statement[:60]!r}): one connection belongs to one task"
            )


def explain_ended_connections(engine: AsyncEngine) -> None:
    """Says what asyncpg's "cannot switch to state 12; another operation (2) is in progress" means, and drops the
    connection it came from.

    PostgreSQL sends a FATAL error when it ends a backend (a restart or failover, `pg_terminate_backend`, an idle
    timeout) and then closes the socket. asyncpg reads the error between two statements, while it expects
    nothing; if the next statement is sent before the close is read (under load, a task waiting for the pool
    takes the connection in that moment), asyncpg reports this internal state error, not the server's. One task
    and one connection suffice: it is not two tasks sharing a connection (`one_task_per_connection` makes that
    fail on its own). The transaction is lost and fails; a pooled connection found so at checkout is replaced."""

    @event.listens_for(engine.sync_engine, "handle_error")
    def _ended(ctx) -> None:  # type: ignore[no-untyped-def]
        cause = ctx.original_exception.__cause__
        if not (isinstance(cause, InternalClientError) and "another operation (" in str(cause)):
            return
        ctx.is_disconnect = True
        if ctx.is_pre_ping:
            log.info("replaced a pooled database connection that the server had ended")
        else:
            log.warning(
                "the database server ended the connection during a transaction (a restart, failover, "
                "pg_terminate_backend or idle timeout), which asyncpg reports as %r; the transaction failed "
                "and the connection is replaced",
                str(cause),
            )


def create_engine(database_url: str) -> AsyncEngine:
    """The app's engine; every connection of it belongs to one task (`one_task_per_connection`)."""
    engine = _create_engine(database_url)
    one_task_per_connection(engine)
    if engine.dialect.name == "postgresql":
        explain_ended_connections(engine)
    if isinstance(engine, SqliteEngine):
        one_task_per_connection(engine.reads)
    return engine


def _create_engine(database_url: str) -> AsyncEngine:
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
