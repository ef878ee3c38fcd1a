"""Where asyncpg's "cannot switch to state 12; another operation (2) is in progress" comes from (issue 12): one
task on one connection whose backend PostgreSQL ended (pg_terminate_backend here; a restart, failover or idle
timeout in production). asyncpg reads the server's FATAL error while it expects nothing, and the next statement,
sent before the socket's close is read, meets that state. The proxy (tests/helpers/pg_proxy.py) holds the close
back, so the test can send its statement in the moment that, under load, lasts one turn of the event loop."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.case_openers import CaseOpenerRepository
from storage.db import create_engine
from storage.tables import case_openers
from storage.workspaces import WorkspaceKey
from tests.conftest import POSTGRES_ADMIN_URL
from tests.helpers.pg_proxy import HeldCloseProxy
from tests.helpers.pg_proxy import driver_of
from tests.helpers.pg_proxy import held_close_proxy
from tests.helpers.pg_proxy import read_everything

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
WORKSPACE = WorkspaceKey("", "T0000000001")
INSERT = text(
    "INSERT INTO case_openers (enterprise_id, team_id, account_id, case_id, subject, user_id, channel_id, "
    "opened_at) VALUES ('', 'T0000000001', '210987654321', 'case-1', 's', 'U1', 'C1', now())"
)


@pytest.fixture
async def proxy() -> AsyncIterator[HeldCloseProxy]:
    async with held_close_proxy() as proxy:
        yield proxy


@pytest.fixture
async def engine(database_url: str, proxy: HeldCloseProxy) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(proxy.url(database_url))
    yield engine
    proxy.release()
    await engine.dispose()


async def backend_of(conn: AsyncConnection) -> tuple[int, asyncpg.Connection]:
    return (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one(), await driver_of(conn)


async def end_backend(backend: tuple[int, asyncpg.Connection], proxy: HeldCloseProxy) -> None:
    """PostgreSQL ends the backend; its FATAL error has been read by the driver, the close not yet."""
    pid, driver = backend
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await admin.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()
    await proxy.wait_closed_by_server(1)
    await read_everything(driver)


async def test_a_backend_ended_mid_transaction_fails_that_transaction_says_why_and_writes_nothing(
    engine: AsyncEngine, proxy: HeldCloseProxy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="storage.db")
    with pytest.raises(DBAPIError, match=r"cannot switch to state 12; another operation \(2\)") as failed:
        async with engine.begin() as conn:
            await conn.execute(INSERT)
            await end_backend(await backend_of(conn), proxy)
            await conn.execute(
                text("SELECT pg_backend_pid()")
            )  # prepared above: asyncpg goes to BIND_EXECUTE
    assert failed.value.connection_invalidated  # never handed out again
    assert "the database server ended the connection during a transaction" in caplog.text

    async with engine.connect() as conn:  # a new connection; the server rolled the insert back
        assert (await conn.execute(select(func.count()).select_from(case_openers))).scalar_one() == 0
    assert await CaseOpenerRepository(engine).recent(WORKSPACE, "U1") == []


async def test_a_pooled_connection_whose_backend_ended_is_replaced_unseen(
    engine: AsyncEngine, proxy: HeldCloseProxy
) -> None:
    async with engine.connect() as conn:
        backend = await backend_of(conn)
    await end_backend(backend, proxy)  # while the connection waits in the pool
    # The next call checks it out: the pre-ping meets the same state and the pool connects anew.
    assert await CaseOpenerRepository(engine).recent(WORKSPACE, "U1") == []
