"""The audit log (who did what, with which role, and what AWS answered) and processed idempotency keys."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import fields
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storage.clock import utc_naive
from storage.clock import utc_now
from storage.db import Repository
from storage.db import reader
from storage.tables import audit_events
from storage.tables import processed_events
from storage.workspaces import WorkspaceKey
from storage.workspaces import of_workspace


@dataclass(frozen=True)
class AuditEvent:
    action: str  # e.g. "support:CreateCase"
    outcome: str  # "ok", "denied" (by AWS), "refused" (by the app: another workspace), "error: <code>"
    enterprise_id: str = ""
    team_id: str = ""
    channel_id: str | None = None
    user_id: str | None = None
    account_id: str | None = None
    role_arn: str | None = None
    case_id: str | None = None
    detail: str | None = None
    aws_request_id: str | None = None
    user_name: str | None = None  # as Slack showed the user (None when the app did not learn it)
    session_name: str | None = None  # AssumeRole's RoleSessionName, as CloudTrail records it


@dataclass(frozen=True, kw_only=True)
class AuditEntry(AuditEvent):
    """A recorded event: its place in the log (`id`, which pages are keyed on) and when it happened (naive UTC)."""

    id: int
    at: datetime


@dataclass(frozen=True)
class AuditFilter:
    """Which rows of one workspace to list; every field narrows (None: any)."""

    workspace: WorkspaceKey
    channel_id: str | None = None
    user_id: str | None = None
    user_name: str | None = None  # as recorded, case-insensitive
    case_id: str | None = None
    since: datetime | None = None  # naive UTC, inclusive
    before_id: int | None = None  # keyset paging: rows older than this one


PRUNE_BATCH = 5000
_EVENT_FIELDS = tuple(f.name for f in fields(AuditEvent))
_ENTRY_FIELDS = tuple(f.name for f in fields(AuditEntry))


class AuditRepository(Repository):
    async def record(self, event: AuditEvent) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(insert(audit_events).values(at=utc_now(), **event.__dict__))

    async def list(self, workspace: WorkspaceKey | None = None, limit: int = 100) -> list[AuditEvent]:
        query = select(audit_events).order_by(audit_events.c.id.desc()).limit(limit)
        if workspace is not None:
            query = query.where(of_workspace(audit_events.c, workspace))
        async with reader(self.engine).connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [AuditEvent(**{k: r[k] for k in _EVENT_FIELDS}) for r in rows]

    async def page(self, where: AuditFilter, limit: int) -> list[AuditEntry]:
        """The newest `limit` rows matching `where`, newest first; the next page is `before_id=last.id`."""
        c = audit_events.c
        query = select(audit_events).where(of_workspace(c, where.workspace))
        for column, value in (
            (c.channel_id, where.channel_id),
            (c.user_id, where.user_id),
            (c.case_id, where.case_id),
        ):
            if value is not None:
                query = query.where(column == value)
        if where.user_name is not None:
            query = query.where(func.lower(c.user_name) == where.user_name.lower())
        if where.since is not None:
            query = query.where(c.at >= where.since)
        if where.before_id is not None:
            query = query.where(c.id < where.before_id)
        async with reader(self.engine).connect() as conn:
            rows = (await conn.execute(query.order_by(c.id.desc()).limit(limit))).mappings().all()
        return [AuditEntry(**{k: r[k] for k in _ENTRY_FIELDS}) for r in rows]

    async def prune(self, older_than: datetime, batch: int = PRUNE_BATCH) -> int:
        """Deletes every row from before `older_than` (naive UTC), `batch` rows per transaction so that a long
        backlog never holds the write lock for long (SQLite has one); returns how many."""
        c = audit_events.c
        oldest = select(c.id).where(c.at < older_than).limit(batch).scalar_subquery()
        deleted = 0
        while True:
            async with self.engine.begin() as conn:
                done = int((await conn.execute(delete(audit_events).where(c.id.in_(oldest)))).rowcount or 0)
            deleted += done
            if done < batch:
                return deleted

    async def last_actor(
        self,
        workspace: WorkspaceKey,
        account_id: str,
        case_id: str,
        action: str,
        since: datetime,
        detail: str | None = None,
    ) -> str | None:
        """The Slack user whose `action` on the case succeeded last since `since`, in this workspace."""
        query = (
            select(audit_events.c.user_id)
            .where(
                of_workspace(audit_events.c, workspace),
                audit_events.c.account_id == account_id,
                audit_events.c.case_id == case_id,
                audit_events.c.action == action,
                audit_events.c.outcome == "ok",
                audit_events.c.at >= utc_naive(since),
            )
            .order_by(audit_events.c.id.desc())
            .limit(1)
        )
        if detail is not None:
            query = query.where(audit_events.c.detail == detail)
        async with reader(self.engine).connect() as conn:
            return (await conn.execute(query)).scalar()


class IdempotencyKeys(Repository):
    """Keys of work done once (a view submission, an EventBridge event). `claim` is atomic across processes."""

    async def claim(self, key: str) -> bool:
        """True for the first caller with this key, False for every later one."""
        try:
            async with self.engine.begin() as conn:
                await conn.execute(insert(processed_events).values(key=key[:255], seen_at=utc_now()))
        except IntegrityError:
            return False
        return True

    async def release(self, key: str) -> None:
        """Gives a key back when the work it guarded failed before changing anything, so a retry may run."""
        async with self.engine.begin() as conn:
            await conn.execute(delete(processed_events).where(processed_events.c.key == key[:255]))
