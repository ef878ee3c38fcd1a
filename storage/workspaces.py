"""The `workspaces` table: one row per installed workspace (or Enterprise Grid org), kept across uninstalls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import and_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from storage.clock import utc_now
from storage.db import Repository
from storage.db import reader
from storage.rows import from_row
from storage.tables import workspaces


@dataclass(frozen=True)
class WorkspaceKey:
    """A workspace, or with team_id "" an org-wide install. Empty strings stand for "none" (key columns)."""

    enterprise_id: str
    team_id: str

    @classmethod
    def of(
        cls, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool = False
    ) -> WorkspaceKey:
        return cls(enterprise_id or "", "" if is_enterprise_install else (team_id or ""))


@dataclass(frozen=True)
class ChannelKey:
    """A channel as one workspace sees it. A Slack Connect channel (or one shared by two Grid orgs that both
    install org-wide, team_id "" each) has one key per workspace in it, and each key its own rows."""

    workspace: WorkspaceKey
    channel_id: str


def of_workspace(columns: Any, key: WorkspaceKey) -> ColumnElement[bool]:
    """Rows of a table with enterprise_id and team_id columns that belong to the workspace `key`."""
    return and_(columns.enterprise_id == key.enterprise_id, columns.team_id == key.team_id)


def of_channel(columns: Any, channel: ChannelKey) -> ColumnElement[bool]:
    return and_(of_workspace(columns, channel.workspace), columns.channel_id == channel.channel_id)


@dataclass(frozen=True)
class WorkspaceRow:
    key: WorkspaceKey
    team_name: str
    external_id: str
    installed_at: datetime
    installed_by: str | None
    uninstalled_at: datetime | None
    admin_user_ids: tuple[str, ...]

    @property
    def installed(self) -> bool:
        return self.uninstalled_at is None


def workspace_of_row(row: Any) -> WorkspaceKey:
    """The workspace a row belongs to, from its enterprise_id and team_id columns."""
    columns = getattr(row, "_mapping", row)
    return WorkspaceKey(columns["enterprise_id"], columns["team_id"])


def channel_of_row(row: Any) -> ChannelKey:
    """The channel a row belongs to, from its enterprise_id, team_id and channel_id columns."""
    return ChannelKey(workspace_of_row(row), getattr(row, "_mapping", row)["channel_id"])


def _row(r: Any) -> WorkspaceRow:
    return from_row(
        WorkspaceRow,
        r,
        key=workspace_of_row(r),
        admin_user_ids=tuple(r._mapping["admin_user_ids"] or ()),
    )


def _where(key: WorkspaceKey) -> ColumnElement[bool]:
    return of_workspace(workspaces.c, key)


class WorkspaceRepository(Repository):
    async def get(self, key: WorkspaceKey) -> WorkspaceRow | None:
        async with reader(self.engine).connect() as conn:
            r = (await conn.execute(select(workspaces).where(_where(key)))).first()
        return None if r is None else _row(r)

    async def record_install(
        self, key: WorkspaceKey, team_name: str, installed_by: str | None, new_external_id: str
    ) -> WorkspaceRow:
        """Inserts the workspace with `new_external_id`, or marks an existing one installed again (its External
        ID never changes, so roles that trust it keep working after a reinstall)."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(workspaces)
                .where(_where(key))
                .values(
                    team_name=team_name,
                    uninstalled_at=None,
                    installed_at=utc_now(),
                    installed_by=installed_by,
                )
            )
            if result.rowcount == 0:
                try:
                    async with conn.begin_nested():
                        await conn.execute(
                            workspaces.insert().values(
                                enterprise_id=key.enterprise_id,
                                team_id=key.team_id,
                                team_name=team_name,
                                external_id=new_external_id,
                                installed_at=utc_now(),
                                installed_by=installed_by,
                                admin_user_ids=[],
                            )
                        )
                except IntegrityError:
                    pass  # a concurrent install of the same workspace inserted it first
        row = await self.get(key)
        assert row is not None
        return row

    async def mark_uninstalled(self, key: WorkspaceKey) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(update(workspaces).where(_where(key)).values(uninstalled_at=utc_now()))

    async def set_admins(self, key: WorkspaceKey, user_ids: list[str]) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(workspaces).where(_where(key)).values(admin_user_ids=sorted(set(user_ids)))
            )
