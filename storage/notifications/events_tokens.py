"""Events tokens of `POST /aws/events`: one per AWS account, kept as its SHA-256 only."""

from __future__ import annotations

import hmac
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import select

from storage.clock import utc_naive
from storage.db import Repository
from storage.db import reader
from storage.tables import events_tokens
from storage.tables import workspace_authorizations


class EventsTokenRepository(Repository):
    async def account_is_authorized(self, account_id: str) -> bool:
        authorizations = workspace_authorizations.c
        async with reader(self.engine).connect() as conn:
            row = (
                await conn.execute(
                    select(authorizations.account_id)
                    .where(authorizations.account_id == account_id, authorizations.state == "authorized")
                    .limit(1)
                )
            ).first()
        return row is not None

    async def set_events_token(
        self, account_id: str, token_hash: str, issued_by: str | None, now: datetime
    ) -> None:
        """Replaces the account's token: the old one stops working in the same transaction."""
        async with self.engine.begin() as conn:
            await conn.execute(delete(events_tokens).where(events_tokens.c.account_id == account_id))
            await conn.execute(
                insert(events_tokens).values(
                    account_id=account_id,
                    token_hash=token_hash,
                    issued_by=issued_by,
                    issued_at=utc_naive(now),
                )
            )

    async def account_for_token_hash(self, token_hash: str) -> str | None:
        """The account whose token has exactly this hash (the whole hash, compared in constant time)."""
        async with reader(self.engine).connect() as conn:
            row = (
                await conn.execute(
                    select(events_tokens.c.account_id, events_tokens.c.token_hash).where(
                        events_tokens.c.token_hash == token_hash
                    )
                )
            ).first()
        if row is None or not hmac.compare_digest(str(row.token_hash), token_hash):
            return None
        return str(row.account_id)
