"""OAuth states in the database: single use, expiring, purged, optionally carrying the AWS account an install
was started for."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.clock import utc_now
from storage.tables import slack_oauth_states


@dataclass(frozen=True)
class ConsumedState:
    aws_account_id: str | None


class OAuthStateStore(AsyncOAuthStateStore):
    def __init__(self, engine: AsyncEngine, expiration_seconds: int = 600) -> None:
        self.engine = engine
        self.expiration_seconds = expiration_seconds
        self._logger = logging.getLogger(__name__)

    @property
    def logger(self) -> logging.Logger:
        return self._logger

    async def async_issue(self, *args: object, aws_account_id: str | None = None, **kwargs: object) -> str:
        state = secrets.token_urlsafe(32)
        now = utc_now()
        async with self.engine.begin() as conn:
            await conn.execute(delete(slack_oauth_states).where(slack_oauth_states.c.expire_at <= now))
            await conn.execute(
                insert(slack_oauth_states).values(
                    state=state,
                    expire_at=now + timedelta(seconds=self.expiration_seconds),
                    aws_account_id=aws_account_id,
                )
            )
        return state

    async def async_consume(self, state: str) -> bool:
        """Marks the state used; False if it is unknown, already used or expired.

        The row is kept (until it expires) so the install's success step can read what the state carried.
        """
        c = slack_oauth_states.c
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(slack_oauth_states)
                .where(c.state == state, c.expire_at > utc_now(), c.consumed_at.is_(None))
                .values(consumed_at=utc_now())
            )
        return result.rowcount == 1

    async def consumed(self, state: str) -> ConsumedState | None:
        """What a state consumed by this install carried; None for a state that was never consumed."""
        c = slack_oauth_states.c
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(c.aws_account_id).where(c.state == state, c.consumed_at.is_not(None))
                )
            ).first()
        return None if row is None else ConsumedState(aws_account_id=row.aws_account_id)
