"""One connection, one task: when PostgreSQL ends a connection in the middle of a channel's transaction (asyncpg
then reports "cannot switch to state 12; another operation (2) is in progress" or a closed connection), the
channel is given back and delivered soon after, not left leased with no task working on it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import await_only

from bolt_app.services.notifications.events import CREATE
from bolt_app.services.notifications.options import NotificationOptions
from tests.conftest import POSTGRES_ADMIN_URL
from tests.fakes.aws import AwsDouble
from tests.helpers.notification_world import case_of
from tests.helpers.notification_world import configured_world
from tests.helpers.notification_world import kind_of

CHANNEL_HELD = (
    "SELECT notification_channels.claimed_by"  # next_delivery's first statement, inside its transaction
)


@contextmanager
def backend_terminated_at(
    engine: AsyncEngine, admin: asyncpg.Connection, statement: str, nth: int
) -> Iterator[list[int]]:
    """PostgreSQL ends the connection that is about to run the `nth` statement starting with `statement`: its
    transaction has begun, so the statement meets a connection closed under it (as a failover or an
    administrator's pg_terminate_backend would leave it)."""
    terminated: list[int] = []
    seen = 0

    def terminate(conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        nonlocal seen
        if sql.startswith(statement):
            seen += 1
            if seen == nth:
                pid = conn.connection.dbapi_connection._connection.get_server_pid()
                await_only(admin.execute("SELECT pg_terminate_backend($1)", pid))
                terminated.append(pid)

    event.listen(engine.sync_engine, "before_cursor_execute", terminate)
    try:
        yield terminated
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", terminate)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_connection_lost_mid_transaction_does_not_stall_the_channel_for_its_lease(
    database_url: str, aws: AwsDouble
) -> None:
    options = NotificationOptions(post_interval_seconds=0.0, lease_seconds=60.0, retry_base_seconds=2.0)
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        async with configured_world(database_url, aws, options) as world:
            cases = [world.put_case(), world.put_case()]
            for case_id in cases:
                await world.send(CREATE, case_id)
            with backend_terminated_at(world.services.engine, admin, CHANNEL_HELD, nth=2) as terminated:
                assert await world.deliver() == 1  # the first case; the second meets the lost connection
            assert terminated

            world.clock.advance(options.retry_base_seconds + 1)  # far less than the 60 s lease
            assert await world.deliver() == 1
            roots = [case_of(c) for c in world.posts() if kind_of(c) == "root"]
            assert sorted(roots) == sorted(cases)  # each case posted once
            assert [d.state for d in await world.deliveries.deliveries()] == ["posted", "posted"]
    finally:
        await admin.close()
