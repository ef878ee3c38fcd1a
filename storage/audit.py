"""The audit log (who did what, with which role, and what AWS answered) and processed idempotency keys."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.clock import utc_now
from storage.db import reader
from storage.tables import audit_events, processed_events
from storage.workspaces import WorkspaceKey, of_workspace


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


class AuditRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def record(self, event: AuditEvent) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(insert(audit_events).values(at=utc_now(), **event.__dict__))

    async def list(self, workspace: WorkspaceKey | None = None, limit: int = 100) -> list[AuditEvent]:
        query = select(audit_events).order_by(audit_events.c.id.desc()).limit(limit)
        if workspace is not None:
            query = query.where(of_workspace(audit_events.c, workspace))
        async with reader(self.engine).connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        fields = AuditEvent.__dataclass_fields__
        return [AuditEvent(**{k: r[k] for k in fields}) for r in rows]


class IdempotencyKeys:
    """Keys of work done once (a view submission, an EventBridge event). `claim` is atomic across processes."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

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
