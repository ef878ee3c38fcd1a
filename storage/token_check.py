"""Whether the configured keys can read the stored Slack tokens, checked before a process starts serving."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import tables
from storage.crypto import EncryptedToken
from storage.db import reader


async def read_every_stored_token(engine: AsyncEngine) -> int:
    """Decrypts every stored token and returns how many rows hold some; raises TokenDecryptionError when a key
    is missing (the column type decrypts on read). A wrong TOKEN_ENCRYPTION_KEY is then one clear refusal at
    start-up instead of a failure on every Slack request."""
    rows = 0
    async with reader(engine).connect() as conn:
        for table in (tables.slack_installations, tables.slack_bots):
            token_columns = [c for c in table.c if isinstance(c.type, EncryptedToken)]
            rows += len((await conn.execute(select(*token_columns))).all())
    return rows
