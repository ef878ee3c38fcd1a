"""Changes other processes made, as PostgreSQL announces them (LISTEN/NOTIFY), for the caches that hold them.

Migration 0003 puts a trigger on each table whose rows processes cache; it sends a NOTIFY on `CHANNEL` in the
writing transaction, so it arrives once that transaction committed. `ChangeFeed` listens on a connection of its
own, outside the pool, and hands each change to `on_change`. While the connection is down, changes go unheard:
it calls `on_gap` (drop everything cached) when the connection drops and again once it listens anew.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

CHANNEL = "aws_support_slack_changes"


@dataclass(frozen=True)
class Change:
    """A row written in `table`; the keys it has (None where the table has no such column, or it is NULL)."""

    table: str
    enterprise_id: str | None = None
    team_id: str | None = None
    channel_id: str | None = None
    account_id: str | None = None


def parse_change(payload: str) -> Change | None:
    try:
        fields = json.loads(payload)
        return Change(
            table=str(fields["table"]),
            enterprise_id=fields.get("enterprise_id"),
            team_id=fields.get("team_id"),
            channel_id=fields.get("channel_id"),
            account_id=fields.get("account_id"),
        )
    except (ValueError, KeyError, TypeError):
        log.warning("ignored a change announcement that is not one: %.200r", payload)
        return None


def announces_changes(engine: AsyncEngine) -> bool:
    """Whether this database announces changes (PostgreSQL); SQLite serves one process and needs none."""
    return engine.dialect.name == "postgresql"


def _connect_args(engine: AsyncEngine) -> dict[str, object]:
    """asyncpg's arguments for the engine's database (host, credentials, TLS), without SQLAlchemy's own."""
    _, kwargs = engine.dialect.create_connect_args(engine.url)
    accepted = inspect.signature(asyncpg.connect).parameters
    return {k: v for k, v in kwargs.items() if k in accepted}


class ChangeFeed:
    def __init__(
        self,
        engine: AsyncEngine,
        on_change: Callable[[Change], None],
        on_gap: Callable[[], None],
        *,
        check_every: float = 5.0,
        max_backoff: float = 5.0,
    ) -> None:
        self._connect_args = _connect_args(engine)
        self.on_change = on_change
        self.on_gap = on_gap
        self.check_every = check_every
        self.max_backoff = max_backoff
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()  # set while a connection listens (start-up waits for the first)

    async def start(self, within: float = 5.0) -> None:
        """Starts listening; returns once it listens, or after `within` seconds (it keeps trying)."""
        self._task = asyncio.create_task(self._run(), name="change-feed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.listening.wait(), within)
        if not self.listening.is_set():
            log.warning(
                "not yet listening for other processes' changes; caches expire on their own meanwhile"
            )

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _notified(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        change = parse_change(payload)
        if change is not None:
            self.on_change(change)

    async def _run(self) -> None:
        backoff = 0.1
        while True:
            try:
                conn = await asyncpg.connect(**self._connect_args)  # type: ignore[arg-type]
            except Exception as e:  # unreachable, refused: keep trying, the TTLs hold
                log.warning("cannot listen for changes (%r); retrying in %.1f s", e, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                continue
            started = time.monotonic()
            try:
                await self._listen(conn)
            except Exception as e:
                log.warning("stopped listening for changes (%r); reconnecting", e)
            finally:
                self.listening.clear()
                self.on_gap()
                if not conn.is_closed():
                    conn.terminate()
            # A connection that lasted starts the backoff afresh; one dropped at once backs off further.
            backoff = 0.1 if time.monotonic() - started > 30 else min(backoff * 2, self.max_backoff)
            await asyncio.sleep(backoff)

    async def _listen(self, conn: asyncpg.Connection) -> None:
        """Listens until the connection drops (closed by the server, or not answering a check)."""
        closed = asyncio.Event()
        conn.add_termination_listener(lambda _: closed.set())
        await conn.add_listener(CHANNEL, self._notified)
        self.on_gap()  # whatever changed before this connection listened was not heard
        self.listening.set()
        log.info("listening for other processes' changes")
        while not closed.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(closed.wait(), self.check_every)
            if not closed.is_set():
                await conn.fetchval("SELECT 1", timeout=self.check_every)
        log.warning("the connection listening for changes was closed; reconnecting")
