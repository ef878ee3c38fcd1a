"""The schema the migrations build is the schema the code declares: `storage.tables.metadata`, column for column."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from storage.tables import metadata
from tests.helpers.databases import opened


def _differences(sync_connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        sync_connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, metadata))


async def test_the_migrated_database_has_every_table_column_index_and_key_the_code_declares(
    database_url: str,
) -> None:
    async with opened(database_url) as engine, engine.connect() as conn:
        assert await conn.run_sync(_differences) == []
