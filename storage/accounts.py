"""AWS accounts, their names, and which workspaces each has authorized (and organization registrations)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.clock import utc_now
from storage.db import Repository
from storage.db import reader
from storage.rows import from_row
from storage.tables import aws_accounts
from storage.tables import channel_configurations
from storage.tables import organization_registrations
from storage.tables import workspace_authorizations
from storage.tables import workspaces
from storage.workspaces import WorkspaceKey
from storage.workspaces import of_workspace

PENDING = "pending"
AUTHORIZED = "authorized"


@dataclass(frozen=True)
class AccountRow:
    account_id: str
    account_name: str | None
    organization_id: str | None
    management_account_id: str | None


@dataclass(frozen=True)
class AuthorizationRow:
    account: AccountRow
    workspace: WorkspaceKey
    state: str  # pending | authorized
    via: str | None  # role | organization
    verified_role_arn: str | None
    authorized_by: str | None
    authorized_at: datetime | None


@dataclass(frozen=True)
class AuthorizedWorkspace:
    workspace: WorkspaceKey
    team_name: str


class WorkspaceLimitReached(Exception):
    def __init__(self, account_id: str, workspaces: list[AuthorizedWorkspace]) -> None:
        super().__init__(f"account {account_id} already authorized {len(workspaces)} workspaces")
        self.account_id = account_id
        self.workspaces = workspaces


class ChannelsStillConfigured(Exception):
    def __init__(self, channel_names: list[str]) -> None:
        super().__init__(", ".join(channel_names))
        self.channel_names = channel_names


def _ws(key: WorkspaceKey):  # type: ignore[no-untyped-def]
    c = workspace_authorizations.c
    return and_(c.enterprise_id == key.enterprise_id, c.team_id == key.team_id)


async def lock_account(conn: AsyncConnection, account_id: str) -> AccountRow:
    """Creates the account row if needed and locks it until the transaction ends, so limit checks on the
    account's rows cannot interleave (PostgreSQL: row lock; SQLite: the write lock BEGIN IMMEDIATE holds)."""
    try:
        async with conn.begin_nested():
            await conn.execute(insert(aws_accounts).values(account_id=account_id, updated_at=utc_now()))
    except IntegrityError:
        pass
    row = (
        await conn.execute(
            select(aws_accounts).where(aws_accounts.c.account_id == account_id).with_for_update()
        )
    ).one()
    return _account(row)


def _account(r: object) -> AccountRow:
    return from_row(AccountRow, r)


class AccountRepository(Repository):
    async def get_account(self, account_id: str) -> AccountRow | None:
        async with reader(self.engine).connect() as conn:
            r = (
                await conn.execute(select(aws_accounts).where(aws_accounts.c.account_id == account_id))
            ).first()
        return None if r is None else _account(r)

    async def record_pending(self, key: WorkspaceKey, account_id: str, requested_by: str | None) -> None:
        """Remembers that an install named this account; never downgrades an authorization."""
        async with self.engine.begin() as conn:
            await lock_account(conn, account_id)
            exists = (
                await conn.execute(
                    select(workspace_authorizations.c.state).where(
                        _ws(key), workspace_authorizations.c.account_id == account_id
                    )
                )
            ).first()
            if exists is None:
                await conn.execute(
                    insert(workspace_authorizations).values(
                        account_id=account_id,
                        enterprise_id=key.enterprise_id,
                        team_id=key.team_id,
                        state=PENDING,
                        authorized_by=requested_by,
                        requested_at=utc_now(),
                    )
                )

    async def authorize(
        self,
        key: WorkspaceKey,
        account_id: str,
        *,
        via: str,
        role_arn: str | None,
        authorized_by: str,
        account_name: str | None = None,
        limit: int,
    ) -> AuthorizationRow:
        """Authorizes the workspace for the account, or updates an existing authorization (not counted twice).
        Raises WorkspaceLimitReached when the account already authorized `limit` other workspaces."""
        async with self.engine.begin() as conn:
            await self._authorize(conn, key, account_id, via, role_arn, authorized_by, limit)
            if account_name is not None:
                await conn.execute(
                    update(aws_accounts)
                    .where(aws_accounts.c.account_id == account_id)
                    .values(account_name=account_name, updated_at=utc_now())
                )
        row = await self.get_authorization(key, account_id)
        assert row is not None
        return row

    async def _authorize(
        self,
        conn: AsyncConnection,
        key: WorkspaceKey,
        account_id: str,
        via: str,
        role_arn: str | None,
        authorized_by: str,
        limit: int,
    ) -> None:
        await lock_account(conn, account_id)
        c = workspace_authorizations.c
        current = (
            await conn.execute(select(c.state, c.via).where(_ws(key), c.account_id == account_id))
        ).first()
        if current is None or current.state != AUTHORIZED:
            others = await self._authorized_workspaces(conn, account_id)
            if len(others) >= limit:
                raise WorkspaceLimitReached(account_id, others)
        if (
            current is not None
            and current.state == AUTHORIZED
            and current.via == "role"
            and via == "organization"
        ):
            return  # a role-proven authorization stays as it is
        values = {
            "state": AUTHORIZED,
            "via": via,
            "verified_role_arn": role_arn,
            "authorized_by": authorized_by,
            "authorized_at": utc_now(),
        }
        if current is None:
            await conn.execute(
                insert(workspace_authorizations).values(
                    account_id=account_id,
                    enterprise_id=key.enterprise_id,
                    team_id=key.team_id,
                    requested_at=utc_now(),
                    **values,
                )
            )
        else:
            await conn.execute(
                update(workspace_authorizations).where(_ws(key), c.account_id == account_id).values(**values)
            )

    async def _authorized_workspaces(
        self, conn: AsyncConnection, account_id: str
    ) -> list[AuthorizedWorkspace]:
        c = workspace_authorizations.c
        rows = await conn.execute(
            select(c.enterprise_id, c.team_id, workspaces.c.team_name)
            .select_from(
                workspace_authorizations.outerjoin(
                    workspaces,
                    and_(workspaces.c.enterprise_id == c.enterprise_id, workspaces.c.team_id == c.team_id),
                )
            )
            .where(c.account_id == account_id, c.state == AUTHORIZED)
            .order_by(c.authorized_at)
        )
        return [
            AuthorizedWorkspace(WorkspaceKey(r.enterprise_id, r.team_id), r.team_name or r.team_id)
            for r in rows
        ]

    async def get_authorization(self, key: WorkspaceKey, account_id: str) -> AuthorizationRow | None:
        rows = await self._authorizations(key, account_id)
        return rows[0] if rows else None

    async def list_for_workspace(self, key: WorkspaceKey) -> list[AuthorizationRow]:
        return await self._authorizations(key, None)

    async def _authorizations(self, key: WorkspaceKey, account_id: str | None) -> list[AuthorizationRow]:
        c = workspace_authorizations.c
        query = (
            select(workspace_authorizations, aws_accounts)
            .select_from(
                workspace_authorizations.join(aws_accounts, aws_accounts.c.account_id == c.account_id)
            )
            .where(_ws(key))
            .order_by(c.account_id)
        )
        if account_id is not None:
            query = query.where(c.account_id == account_id)
        async with reader(self.engine).connect() as conn:
            rows = (await conn.execute(query)).all()
        return [from_row(AuthorizationRow, r, account=_account(r), workspace=key) for r in rows]

    async def rename(self, account_id: str, account_name: str | None) -> None:
        async with self.engine.begin() as conn:
            await lock_account(conn, account_id)
            await conn.execute(
                update(aws_accounts)
                .where(aws_accounts.c.account_id == account_id)
                .values(account_name=account_name, updated_at=utc_now())
            )

    async def remove(self, key: WorkspaceKey, account_id: str) -> bool:
        """Removes the workspace's authorization for the account; False if there was none. Raises
        ChannelsStillConfigured while channels of the workspace use the account."""
        async with self.engine.begin() as conn:
            await lock_account(conn, account_id)
            cc = channel_configurations.c
            channels = (
                await conn.execute(
                    select(cc.channel_name, cc.channel_id)
                    .where(cc.account_id == account_id, of_workspace(cc, key))
                    .order_by(cc.channel_name)
                )
            ).all()
            if channels:
                raise ChannelsStillConfigured([f"#{r.channel_name or r.channel_id}" for r in channels])
            result = await conn.execute(
                delete(workspace_authorizations).where(
                    _ws(key), workspace_authorizations.c.account_id == account_id
                )
            )
        return result.rowcount > 0

    async def set_organization(
        self, account_id: str, organization_id: str, management_account_id: str
    ) -> None:
        async with self.engine.begin() as conn:
            await lock_account(conn, account_id)
            await conn.execute(
                update(aws_accounts)
                .where(aws_accounts.c.account_id == account_id)
                .values(
                    organization_id=organization_id,
                    management_account_id=management_account_id,
                    updated_at=utc_now(),
                )
            )

    async def register_organization(
        self,
        key: WorkspaceKey,
        organization_id: str,
        management_account_id: str,
        member_account_ids: list[str],
        registered_by: str,
        limit: int,
    ) -> dict[str, WorkspaceLimitReached | None]:
        """Registers the workspace for the organization and authorizes each member account via the
        organization. Members at their workspace limit are skipped (their entry holds the reason)."""
        outcome: dict[str, WorkspaceLimitReached | None] = {}
        async with self.engine.begin() as conn:
            o = organization_registrations.c
            await conn.execute(
                delete(organization_registrations).where(
                    o.organization_id == organization_id,
                    o.enterprise_id == key.enterprise_id,
                    o.team_id == key.team_id,
                )
            )
            await conn.execute(
                insert(organization_registrations).values(
                    organization_id=organization_id,
                    enterprise_id=key.enterprise_id,
                    team_id=key.team_id,
                    management_account_id=management_account_id,
                    registered_by=registered_by,
                    registered_at=utc_now(),
                )
            )
        for account_id in member_account_ids:
            try:
                async with self.engine.begin() as conn:
                    await self._authorize(conn, key, account_id, "organization", None, registered_by, limit)
                    await conn.execute(
                        update(aws_accounts)
                        .where(aws_accounts.c.account_id == account_id)
                        .values(organization_id=organization_id, management_account_id=management_account_id)
                    )
                outcome[account_id] = None
            except WorkspaceLimitReached as e:
                outcome[account_id] = e
        return outcome

    async def organization_registered(self, key: WorkspaceKey, organization_id: str) -> bool:
        o = organization_registrations.c
        async with reader(self.engine).connect() as conn:
            n = (
                await conn.execute(
                    select(func.count()).where(
                        o.organization_id == organization_id,
                        o.enterprise_id == key.enterprise_id,
                        o.team_id == key.team_id,
                    )
                )
            ).scalar_one()
        return bool(n)
