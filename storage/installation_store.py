"""Slack installations: slack_sdk's async SQLAlchemy store on this app's tables, with a bounded bot cache."""

from __future__ import annotations

import logging

from slack_sdk.oauth.installation_store import Bot
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import tables
from storage.crypto import EncryptedToken
from storage.db import reader
from storage.shared_loads import SharedLoadCache

_WorkspaceKey = tuple[str | None, str | None]


def workspace_key(
    enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None
) -> _WorkspaceKey:
    return (enterprise_id, None if is_enterprise_install else team_id)


class InstallationStore(AsyncSQLAlchemyInstallationStore):
    """slack_sdk's store, pointed at the tables our migrations own (tokens encrypted by the column type)."""

    def __init__(self, client_id: str, engine: AsyncEngine, logger: logging.Logger | None = None) -> None:
        super().__init__(client_id=client_id, engine=engine, logger=logger or logging.getLogger(__name__))
        self.metadata = tables.metadata
        self.installations = tables.slack_installations
        self.bots = tables.slack_bots
        # Decrypted bots by workspace, so a warm request costs no database round trip and no decryption. Bounded
        # and short-lived: this process's own changes drop the entry at once, another process's when PostgreSQL
        # announces them (`forget`, storage.change_feed), or within 30 s when an announcement is missed.
        # Concurrent misses of one workspace (a burst of commands) share one query.
        self.bot_cache: SharedLoadCache[_WorkspaceKey, Bot | None] = SharedLoadCache(
            maxsize=10_000, ttl=30.0, keep=lambda bot: bot is not None
        )
        # The same store on the read pool: lookups take no write lock (storage.db.reader).
        self._reads = AsyncSQLAlchemyInstallationStore(
            client_id=client_id, engine=reader(engine), logger=self.logger
        )
        self._reads.metadata, self._reads.installations, self._reads.bots = (
            self.metadata,
            self.installations,
            self.bots,
        )

    def forget(self, enterprise_id: str | None, team_id: str | None) -> None:
        """Drops the cached bot of a workspace (team_id None: an org-wide install) that changed elsewhere."""
        self.bot_cache.pop((enterprise_id or None, team_id or None))

    async def create_tables(self) -> None:
        raise NotImplementedError("tables are created by migrations: aws-support-slack db upgrade")

    async def async_save(self, installation: Installation) -> None:
        if installation.is_enterprise_install:
            # slack_sdk stores org-wide installs without a team (python-slack-sdk #1639)
            installation.team_id = None
        self.bot_cache.pop(workspace_key(installation.enterprise_id, installation.team_id, None))
        await super().async_save(installation)

    async def async_save_bot(self, bot: Bot) -> None:
        self.bot_cache.pop(workspace_key(bot.enterprise_id, bot.team_id, bot.is_enterprise_install))
        await super().async_save_bot(bot)

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        key = workspace_key(enterprise_id, team_id, is_enterprise_install)
        return await self.bot_cache.get(
            key,
            lambda: self.find_bot_uncached(
                enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install
            ),
        )

    async def find_bot_uncached(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None
    ) -> Bot | None:
        return await self._reads.async_find_bot(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install
        )

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        return await self._reads.async_find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def installed_bots(self) -> list[Bot]:
        """The latest bot of every workspace installed for this app (Socket Mode serves what is stored)."""
        c = self.bots.c
        async with reader(self.engine).connect() as conn:
            rows = (
                await conn.execute(
                    select(c.enterprise_id, c.team_id, c.is_enterprise_install)
                    .where(c.client_id == self.client_id, c.bot_token.is_not(None))
                    .distinct()
                )
            ).all()
        bots = [
            await self.find_bot_uncached(
                enterprise_id=r.enterprise_id,
                team_id=r.team_id,
                is_enterprise_install=r.is_enterprise_install,
            )
            for r in rows
        ]
        return [b for b in bots if b is not None]

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self.bot_cache.pop((enterprise_id, team_id))
        await super().async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        self.bot_cache.pop((enterprise_id, team_id))
        await super().async_delete_installation(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id)


async def reencrypt_tokens(engine: AsyncEngine) -> int:
    """Rewrites every stored token with the primary (first) key; returns the rows rewritten. Reading decrypts with
    any configured key and writing encrypts with the first, so after this the old key can be dropped."""
    rewritten = 0
    async with engine.begin() as conn:
        for table in (tables.slack_installations, tables.slack_bots):
            token_columns = [c for c in table.c if isinstance(c.type, EncryptedToken)]
            rows = (await conn.execute(select(table.c.id, *token_columns))).all()
            for row in rows:
                values = {c.name: getattr(row, c.name) for c in token_columns}
                await conn.execute(update(table).where(table.c.id == row.id).values(**values))
                rewritten += 1
    return rewritten
