"""Channel configurations: which AWS account and IAM role a Slack channel acts with, and its notifications."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import and_
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import not_
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.accounts import lock_account
from storage.clock import utc_now
from storage.db import Repository
from storage.db import reader
from storage.rows import from_row
from storage.tables import aws_accounts
from storage.tables import channel_configurations
from storage.tables import workspaces
from storage.workspaces import ChannelKey
from storage.workspaces import WorkspaceKey
from storage.workspaces import of_channel
from storage.workspaces import of_workspace
from storage.workspaces import workspace_of_row

cc = channel_configurations.c


@dataclass(frozen=True)
class Notifications:
    severity: str = "none"  # none | all | high
    on_create_or_reopen: bool = False
    on_correspondence: bool = False
    on_resolve: bool = False


@dataclass(frozen=True)
class ChannelConfigRow:
    workspace: WorkspaceKey
    channel_id: str
    channel_name: str
    account_id: str
    account_name: str | None
    role_arn: str
    notifications: Notifications = field(default_factory=Notifications)
    created_by: str | None = None
    members: Mapping[str, Any] | None = None  # the member policy as stored (None: everyone in the channel)

    @property
    def channel(self) -> ChannelKey:
        return ChannelKey(self.workspace, self.channel_id)

    @property
    def key(self) -> tuple[ChannelKey, str]:
        return (self.channel, self.account_id)


class LimitReached(Exception):
    def __init__(self, what: str, limit: int, existing: list[ChannelConfigRow]) -> None:
        super().__init__(f"{what}: {limit}")
        self.what = what  # "account" | "channel"
        self.limit = limit
        self.existing = existing


class ChannelOwnedElsewhere(Exception):
    def __init__(self, owner: WorkspaceKey, team_name: str) -> None:
        super().__init__(team_name)
        self.owner = owner
        self.team_name = team_name


def _row(r: Any) -> ChannelConfigRow:
    m = r._mapping
    return from_row(
        ChannelConfigRow,
        r,
        workspace=workspace_of_row(r),
        account_name=m.get("account_name"),
        notifications=Notifications(
            m["notify_on_case_severity"],
            m["notify_on_create_or_reopen_case"],
            m["notify_on_add_correspondence_to_case"],
            m["notify_on_resolve_case"],
        ),
        members=m.get("member_policy") or None,
    )


def _select():  # type: ignore[no-untyped-def]
    return (
        select(channel_configurations, aws_accounts.c.account_name)
        .select_from(
            channel_configurations.outerjoin(aws_accounts, aws_accounts.c.account_id == cc.account_id)
        )
        .order_by(cc.channel_name, cc.channel_id, cc.account_id)
    )


def _values(config: ChannelConfigRow) -> dict[str, object]:
    n = config.notifications
    return {
        "enterprise_id": config.workspace.enterprise_id,
        "channel_name": config.channel_name,
        "role_arn": config.role_arn,
        "notify_on_case_severity": n.severity,
        "notify_on_create_or_reopen_case": n.on_create_or_reopen,
        "notify_on_add_correspondence_to_case": n.on_correspondence,
        "notify_on_resolve_case": n.on_resolve,
        "member_policy": dict(config.members) if config.members else None,
    }


def _key_where(channel: ChannelKey, account_id: str) -> ColumnElement[bool]:
    return and_(of_channel(cc, channel), cc.account_id == account_id)


class ChannelRepository(Repository):
    async def _fetch(self, *conditions: object) -> list[ChannelConfigRow]:
        async with reader(self.engine).connect() as conn:
            rows = (await conn.execute(_select().where(*conditions))).all()
        return [_row(r) for r in rows]

    async def for_channel(self, channel: ChannelKey) -> list[ChannelConfigRow]:
        return await self._fetch(of_channel(cc, channel))

    async def for_workspace(self, key: WorkspaceKey) -> list[ChannelConfigRow]:
        return await self._fetch(of_workspace(cc, key))

    async def for_account(self, account_id: str) -> list[ChannelConfigRow]:
        return await self._fetch(cc.account_id == account_id)

    async def get(self, channel: ChannelKey, account_id: str) -> ChannelConfigRow | None:
        rows = await self._fetch(_key_where(channel, account_id))
        return rows[0] if rows else None

    async def save(self, config: ChannelConfigRow, *, per_account: int, per_channel: int) -> bool:
        """Inserts or updates one configuration; True when it was new. Limits and Slack Connect ownership are
        checked in the same transaction. Raises LimitReached or ChannelOwnedElsewhere."""
        async with self.engine.begin() as conn:
            return await save_in(conn, config, per_account=per_account, per_channel=per_channel)

    async def delete(self, channel: ChannelKey, account_id: str) -> bool:
        async with self.engine.begin() as conn:
            result = await conn.execute(delete(channel_configurations).where(_key_where(channel, account_id)))
        return result.rowcount > 0

    async def replace_all(
        self,
        deletes: list[ChannelConfigRow],
        saves: list[ChannelConfigRow],
        *,
        per_account: int,
        per_channel: int,
    ) -> None:
        """Applies a whole plan in one transaction: all of it or, on any error, none of it."""
        async with self.engine.begin() as conn:
            for config in deletes:
                await conn.execute(delete(channel_configurations).where(_key_where(*config.key)))
            for config in saves:
                await save_in(conn, config, per_account=per_account, per_channel=per_channel)


async def _lock_channel(conn: AsyncConnection, channel_id: str) -> None:
    # New rows of one channel cannot be locked before they exist; PostgreSQL serialises them with an advisory
    # lock on the channel for the rest of the transaction (SQLite's BEGIN IMMEDIATE already serialises writers).
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:c))"), {"c": f"channel:{channel_id}"})


async def save_in(
    conn: AsyncConnection, config: ChannelConfigRow, *, per_account: int, per_channel: int
) -> bool:
    await lock_account(conn, config.account_id)
    await _lock_channel(conn, config.channel_id)
    owner = (
        await conn.execute(
            select(cc.enterprise_id, cc.team_id, workspaces.c.team_name)
            .select_from(
                channel_configurations.outerjoin(
                    workspaces,
                    and_(workspaces.c.enterprise_id == cc.enterprise_id, workspaces.c.team_id == cc.team_id),
                )
            )
            .where(cc.channel_id == config.channel_id, not_(of_workspace(cc, config.workspace)))
            .limit(1)
        )
    ).first()
    if owner is not None:
        raise ChannelOwnedElsewhere(
            WorkspaceKey(owner.enterprise_id, owner.team_id), owner.team_name or owner.team_id
        )
    exists = (await conn.execute(select(func.count()).where(_key_where(*config.key)))).scalar_one()
    if exists:
        await conn.execute(
            update(channel_configurations)
            .where(_key_where(*config.key))
            .values(**_values(config), updated_at=utc_now())
        )
        return False
    for what, condition, limit in (
        ("account", cc.account_id == config.account_id, per_account),
        ("channel", of_channel(cc, config.channel), per_channel),
    ):
        count = (await conn.execute(select(func.count()).where(condition))).scalar_one()
        if count >= limit:
            existing = [_row(r) for r in (await conn.execute(_select().where(condition))).all()]
            raise LimitReached(what, limit, existing)
    await conn.execute(
        insert(channel_configurations).values(
            team_id=config.workspace.team_id,
            channel_id=config.channel_id,
            account_id=config.account_id,
            created_by=config.created_by,
            created_at=utc_now(),
            updated_at=utc_now(),
            **_values(config),
        )
    )
    return True
