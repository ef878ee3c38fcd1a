"""Case creations AWS deferred (`deferred_cases`, `deferred_case_files`): saved once per submission, taken under a
lease by whichever process drains them, and each step of their creation committed as it happens.

Every change a drainer makes is conditional on its lease (`lease_owner`), so a drainer whose lease another took
over changes nothing. On PostgreSQL due rows are taken with FOR UPDATE SKIP LOCKED; on SQLite one process drains.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.clock import utc_naive
from storage.db import Repository
from storage.db import reader
from storage.notifications.sql import lease_free
from storage.rows import from_row
from storage.tables import deferred_case_files
from storage.tables import deferred_cases
from storage.workspaces import ChannelKey
from storage.workspaces import WorkspaceKey
from storage.workspaces import channel_of_row
from storage.workspaces import of_workspace

rows = deferred_cases.c
files = deferred_case_files.c
SUBJECT_CHARS = 255


@dataclass(frozen=True)
class Attachment:
    """A file attached to a case (or a reply): its name and its bytes, kept with a deferred case until it exists."""

    file_name: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class _Deferral:
    """Where, who, the submission's key, the case's fields (all but its files), why and when."""

    channel: ChannelKey
    channel_name: str
    account_id: str
    user_id: str
    user_name: str
    user_handle: str
    home: WorkspaceKey
    idempotency_key: str
    subject: str
    fields: dict[str, Any]
    reason: str
    submitted_at: datetime
    next_attempt_at: datetime


@dataclass(frozen=True)
class NewDeferredCase(_Deferral):
    """What a deferral stores, its files with it."""

    files: tuple[Attachment, ...] = ()


@dataclass(frozen=True, kw_only=True)
class DeferredCaseRow(_Deferral):
    """A stored deferral, as a drainer or an operator sees it (its files are read separately)."""

    id: int
    attempts: int
    lease_owner: str | None
    attempted_at: datetime | None
    case_id: str | None
    posting_at: datetime | None
    posted_ts: str | None


def _row_of(r: Any) -> DeferredCaseRow:
    return from_row(
        DeferredCaseRow,
        r,
        channel=channel_of_row(r),
        home=WorkspaceKey(r["home_enterprise_id"], r["home_team_id"]),
        fields=dict(r["fields"] or {}),
    )


class DeferredCaseRepository(Repository):
    async def save(self, case: NewDeferredCase) -> bool:
        """Stores the deferral with its files in one transaction; False when this submission (its idempotency
        key) is already stored, which then stays as it was."""
        workspace = case.channel.workspace
        values = {
            "enterprise_id": workspace.enterprise_id,
            "team_id": workspace.team_id,
            "channel_id": case.channel.channel_id,
            "channel_name": case.channel_name,
            "account_id": case.account_id,
            "user_id": case.user_id,
            "user_name": case.user_name,
            "user_handle": case.user_handle,
            "home_enterprise_id": case.home.enterprise_id,
            "home_team_id": case.home.team_id,
            "idempotency_key": case.idempotency_key[:255],
            "subject": case.subject[:SUBJECT_CHARS],
            "fields": case.fields,
            "reason": case.reason,
            "submitted_at": utc_naive(case.submitted_at),
            "attempts": 0,
            "next_attempt_at": utc_naive(case.next_attempt_at),
        }
        try:
            async with self.engine.begin() as conn:
                result = await conn.execute(insert(deferred_cases).values(values).returning(rows.id))
                deferred_id = result.scalar_one()
                if case.files:
                    await conn.execute(
                        insert(deferred_case_files),
                        [
                            {
                                "deferred_id": deferred_id,
                                "position": n,
                                "file_name": f.file_name,
                                "data": f.data,
                            }
                            for n, f in enumerate(case.files)
                        ],
                    )
        except IntegrityError:
            return False
        return True

    async def take_due(
        self, worker: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[DeferredCaseRow]:
        """Leases up to `limit` rows whose next attempt is due and whose lease is free, oldest first.
        PostgreSQL: FOR UPDATE SKIP LOCKED, so concurrent drainers split the rows; the UPDATE is conditional on
        the lease being free, so a row is never leased twice."""
        at, until = utc_naive(now), utc_naive(lease_until)
        query = (
            select(rows.id)
            .where(rows.next_attempt_at <= at, lease_free(rows.lease_until, at))
            .order_by(rows.next_attempt_at, rows.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        async with self.engine.begin() as conn:
            ids = [r.id for r in (await conn.execute(query)).all()]
            taken = []
            for deferred_id in ids:
                result = await conn.execute(
                    update(deferred_cases)
                    .where(rows.id == deferred_id, lease_free(rows.lease_until, at))
                    .values(lease_owner=worker, lease_until=until)
                )
                if result.rowcount == 1:
                    taken.append(deferred_id)
            if not taken:
                return []
            found = (await conn.execute(select(deferred_cases).where(rows.id.in_(taken)))).mappings().all()
        return sorted((_row_of(r) for r in found), key=lambda r: (r.next_attempt_at, r.id))

    async def files(self, deferred_id: int) -> list[Attachment]:
        query = (
            select(files.file_name, files.data)
            .where(files.deferred_id == deferred_id)
            .order_by(files.position)
        )
        async with self.engine.connect() as conn:
            return [Attachment(r.file_name, bytes(r.data)) for r in (await conn.execute(query)).all()]

    async def _leased(self, conn: AsyncConnection, deferred_id: int, worker: str, **values: Any) -> bool:
        result = await conn.execute(
            update(deferred_cases).where(rows.id == deferred_id, rows.lease_owner == worker).values(**values)
        )
        return bool(result.rowcount == 1)

    async def attempting(self, deferred_id: int, worker: str, now: datetime, lease_until: datetime) -> bool:
        """Commits that CreateCase is about to be sent (and extends the lease over it); False when the lease is
        no longer this worker's, or has run out: then nothing may be sent."""
        at = utc_naive(now)
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(deferred_cases)
                .where(rows.id == deferred_id, rows.lease_owner == worker, rows.lease_until >= at)
                .values(
                    attempted_at=at,
                    attempts=rows.attempts + 1,
                    lease_until=utc_naive(lease_until),
                )
            )
        return bool(result.rowcount == 1)

    async def created(self, deferred_id: int, worker: str, case_id: str) -> bool:
        """The case exists at AWS: its ID, and its files are no longer kept."""
        async with self.engine.begin() as conn:
            if not await self._leased(conn, deferred_id, worker, case_id=case_id):
                return False
            await conn.execute(delete(deferred_case_files).where(files.deferred_id == deferred_id))
        return True

    async def posting(self, deferred_id: int, worker: str, now: datetime) -> bool:
        """Commits that the case is about to be posted in the channel."""
        async with self.engine.begin() as conn:
            return await self._leased(conn, deferred_id, worker, posting_at=utc_naive(now))

    async def posted(self, deferred_id: int, worker: str, ts: str) -> bool:
        async with self.engine.begin() as conn:
            return await self._leased(conn, deferred_id, worker, posted_ts=ts)

    async def later(self, deferred_id: int, worker: str, next_attempt_at: datetime) -> bool:
        """Gives the row back, to be tried again at `next_attempt_at`."""
        async with self.engine.begin() as conn:
            return await self._leased(
                conn,
                deferred_id,
                worker,
                next_attempt_at=utc_naive(next_attempt_at),
                lease_owner=None,
                lease_until=None,
            )

    async def drop(self, deferred_id: int, worker: str) -> bool:
        """Deletes the row (and its files) while this worker holds it."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                delete(deferred_cases).where(rows.id == deferred_id, rows.lease_owner == worker)
            )
            if result.rowcount != 1:
                return False
            await conn.execute(delete(deferred_case_files).where(files.deferred_id == deferred_id))
        return True

    async def waiting(self, workspace: WorkspaceKey | None = None, limit: int = 500) -> list[DeferredCaseRow]:
        """The deferrals still waiting, oldest first (of one workspace, when given)."""
        query = select(deferred_cases).order_by(rows.submitted_at, rows.id).limit(limit)
        if workspace is not None:
            query = query.where(of_workspace(rows, workspace))
        async with reader(self.engine).connect() as conn:
            return [_row_of(r) for r in (await conn.execute(query)).mappings().all()]

    async def count(self) -> int:
        """How many deferrals are waiting (every workspace): the operator's gauge."""
        async with reader(self.engine).connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(deferred_cases))).scalar_one())
