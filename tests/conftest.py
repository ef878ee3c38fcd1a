"""Shared fixtures: databases (SQLite and PostgreSQL), settings, the app wired to the fake Slack."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import pytest

from storage import db
from storage.crypto import generate_key
from storage.tables import metadata
from tests.fakes.slack_api import FakeSlackApi
from tests.helpers.app import AppHarness
from tests.helpers.app import app_settings
from tests.helpers.app import running_app
from tests.helpers.postgres import scratch_database

pytest_plugins = ["tests.fakes.aws_fixtures"]

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(autouse=True)
def _no_slack_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bolt reads SLACK_* variables on its own (and then enables file-based stores); tests say what they mean."""
    for name in list(os.environ):
        if name.startswith("SLACK_") or name in ("DATABASE_URL", "TOKEN_ENCRYPTION_KEY", "APP_BASE_URL"):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    db.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


async def _postgres_available() -> bool:
    try:
        conn = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=3)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


def require_postgres() -> None:
    """Skips the test when PostgreSQL does not answer, except in CI, where every storage test runs on it."""
    if not asyncio.run(_postgres_available()):
        if os.environ.get("CI"):
            pytest.fail(
                f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}; CI runs every storage test on it"
            )
        pytest.skip("PostgreSQL is not reachable (set TEST_POSTGRES_URL)")


@contextmanager
def postgres_database(prefix: str, revision: str = "head") -> Iterator[str]:
    """A PostgreSQL database of its own, migrated to `revision`, dropped afterwards; yields its async URL."""
    require_postgres()
    with scratch_database(POSTGRES_ADMIN_URL, prefix) as url:
        db.upgrade(url, revision)
        yield url


@pytest.fixture(scope="session")
def _postgres_database() -> Iterator[str]:
    """One database for the test session, migrated once; tests empty its tables before they run."""
    with postgres_database("aws_support_slack_test") as url:
        yield url


async def _truncate_all(url: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: a fresh SQLite file, or the session's PostgreSQL database emptied."""
    if request.param == "sqlite":
        path = tmp_path / "app.db"
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url = request.getfixturevalue("_postgres_database")
    asyncio.run(_truncate_all(url))
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path, _sqlite_template: Path) -> str:
    """For tests whose subject is not storage: a fresh migrated SQLite database."""
    path = tmp_path / "app.db"
    shutil.copy(_sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def encryption_key() -> str:
    return generate_key()


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackApi]:
    """The fake Slack Web API on this test's event loop (tests/e2e runs it in a thread instead)."""
    async with FakeSlackApi() as fake:
        yield fake


@pytest.fixture
async def harness(database_url: str, slack: FakeSlackApi) -> AsyncIterator[AppHarness]:
    """The app on SQLite and on PostgreSQL, not yet installed in any workspace."""
    async with running_app(app_settings(database_url, slack), slack) as h:
        yield h
