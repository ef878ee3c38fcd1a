"""Installed workspaces with how much each has configured: what `workspaces list` shows an operator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import and_
from sqlalchemy import distinct
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import reader
from storage.tables import channel_configurations
from storage.tables import workspace_authorizations
from storage.tables import workspaces
from storage.workspaces import WorkspaceKey


@dataclass(frozen=True)
class WorkspaceSummary:
    key: WorkspaceKey
    name: str
    installed_at: datetime
    accounts: int  # authorized (pending consents do not count)
    channels: int  # channels with at least one configuration


def _same_workspace(columns: Any) -> ColumnElement[bool]:
    return and_(columns.enterprise_id == workspaces.c.enterprise_id, columns.team_id == workspaces.c.team_id)


async def installed_workspaces(engine: AsyncEngine) -> list[WorkspaceSummary]:
    """Every installed workspace (org-wide installs included), ordered by enterprise then team."""
    accounts = (
        select(func.count())
        .where(
            _same_workspace(workspace_authorizations.c),
            workspace_authorizations.c.state == "authorized",
        )
        .scalar_subquery()
    )
    channels = (
        select(func.count(distinct(channel_configurations.c.channel_id)))
        .where(_same_workspace(channel_configurations.c))
        .scalar_subquery()
    )
    query = (
        select(workspaces.c.enterprise_id, workspaces.c.team_id, workspaces.c.team_name)
        .add_columns(workspaces.c.installed_at, accounts.label("accounts"), channels.label("channels"))
        .where(workspaces.c.uninstalled_at.is_(None))
        .order_by(workspaces.c.enterprise_id, workspaces.c.team_id)
    )
    async with reader(engine).connect() as conn:
        rows = (await conn.execute(query)).all()
    return [
        WorkspaceSummary(
            WorkspaceKey(r.enterprise_id, r.team_id), r.team_name, r.installed_at, r.accounts, r.channels
        )
        for r in rows
    ]
