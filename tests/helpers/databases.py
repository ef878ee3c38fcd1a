"""Databases for storage tests: one at an older revision (SQLite or PostgreSQL), and the app's engine on a URL,
disposed however the test ends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from collections.abc import Iterator
from contextlib import asynccontextmanager
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from storage import db


@contextmanager
def database_at(kind: str, tmp_path: Path, revision: str) -> Iterator[str]:
    """A database of its own (`kind` sqlite or postgresql), migrated to `revision` only."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        db.upgrade(url, revision)
        yield url
        return
    # Imported here: the conftest imports the whole app, which SQLite runs of this helper do not need.
    from tests.conftest import postgres_database

    with postgres_database(f"aws_support_slack_migration_{revision}", revision) as url:
        yield url


@asynccontextmanager
async def opened(url: str) -> AsyncIterator[AsyncEngine]:
    """The app's engine on `url`; its connections are closed afterwards, even when the test failed."""
    engine = db.create_engine(url)
    try:
        yield engine
    finally:
        await engine.dispose()
