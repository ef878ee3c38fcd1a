"""What went wrong, in one line an operator can act on, for the failures a command meets before it can work:
the database (unreachable, unknown, not migrated), the token keys, a migration command."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import asyncpg
from alembic.util.exc import CommandError
from sqlalchemy.engine import make_url

from storage.crypto import TokenDecryptionError


def _chain(e: BaseException) -> Iterator[BaseException]:
    """The exception, what it wraps (SQLAlchemy's `orig`) and what caused it, each once."""
    seen: set[int] = set()
    todo = [e]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [x for x in (getattr(current, "orig", None), current.__cause__, current.__context__) if x]


def database_name(database_url: str) -> str:
    """The database as an operator names it, without the password: `db on host:port`, or the SQLite file."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return f"SQLite database {url.database or ':memory:'}"
    return f"database {url.database!r} on {url.host or 'localhost'}:{url.port or 5432}"


def failure_line(e: BaseException, database_url: str) -> str | None:
    """The one line for a failure this module knows, or None."""
    where = database_name(database_url)
    for cause in _chain(e):
        if isinstance(cause, TokenDecryptionError):
            return (
                "TOKEN_ENCRYPTION_KEY cannot decrypt the Slack tokens stored in the "
                f"{where}: set it to the key they were written with (during a rotation, list both keys, "
                "new first, then run `aws-support-slack db reencrypt`)."
            )
        if isinstance(cause, CommandError):
            return f"migration: {cause}"
        if isinstance(cause, asyncpg.InvalidCatalogNameError):
            return f"the {where} does not exist: create it (createdb) or fix DATABASE_URL."
        if isinstance(cause, asyncpg.InvalidAuthorizationSpecificationError | asyncpg.InvalidPasswordError):
            return f"the {where} refused the login: {cause}; check the user and password in DATABASE_URL."
        if isinstance(cause, asyncpg.UndefinedTableError) or (
            isinstance(cause, sqlite3.OperationalError) and "no such table" in str(cause)
        ):
            return f"the {where} has no tables yet: run `aws-support-slack db upgrade`."
        if isinstance(cause, sqlite3.OperationalError) and "unable to open" in str(cause):
            return f"cannot open the {where}: check that its directory exists and is writable."
        if isinstance(cause, OSError | TimeoutError):
            reason = cause.strerror if isinstance(cause, OSError) and cause.strerror else type(cause).__name__
            return f"cannot reach the {where}: {reason}; check DATABASE_URL and that the server is running."
    return None
