"""Who opened which case through the app (`case_openers`): AWS records only the channel's role as the submitter."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_
from sqlalchemy import or_
from sqlalchemy import select

from storage.clock import as_utc
from storage.clock import utc_naive
from storage.clock import utc_now
from storage.db import Repository
from storage.db import reader
from storage.notifications.sql import insert_ignore
from storage.tables import case_openers
from storage.workspaces import WorkspaceKey
from storage.workspaces import of_workspace

openers = case_openers.c
SUBJECT_CHARS = 255


@dataclass(frozen=True)
class OpenedCase:
    workspace: WorkspaceKey
    account_id: str
    case_id: str
    display_id: str | None
    subject: str
    user_id: str
    channel_id: str
    opened_at: datetime | None


class CaseOpenerRepository(Repository):
    async def record(self, case: OpenedCase) -> None:
        """Remembers who opened the case; the first record of a case stands (a case is opened once)."""
        values = {
            "enterprise_id": case.workspace.enterprise_id,
            "team_id": case.workspace.team_id,
            "account_id": case.account_id,
            "case_id": case.case_id,
            "display_id": case.display_id or None,
            "subject": case.subject[:SUBJECT_CHARS],
            "user_id": case.user_id,
            "channel_id": case.channel_id,
            "opened_at": utc_naive(case.opened_at) if case.opened_at else utc_now(),
        }
        async with self.engine.begin() as conn:
            await conn.execute(insert_ignore(conn, case_openers, [values]))

    async def openers(
        self, workspace: WorkspaceKey, cases: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        """The Slack user who opened each (account ID, case ID) of the workspace, for those opened here."""
        wanted = list(dict.fromkeys(cases))
        if not wanted:
            return {}
        query = select(openers.account_id, openers.case_id, openers.user_id).where(
            of_workspace(openers, workspace),
            or_(*(and_(openers.account_id == a, openers.case_id == c) for a, c in wanted)),
        )
        async with reader(self.engine).connect() as conn:
            rows = (await conn.execute(query)).all()
        return {(r.account_id, r.case_id): r.user_id for r in rows}

    async def recent(self, workspace: WorkspaceKey, user_id: str, limit: int = 5) -> list[OpenedCase]:
        """The cases this person opened through the app in the workspace, newest first."""
        query = (
            select(case_openers)
            .where(of_workspace(openers, workspace), openers.user_id == user_id)
            .order_by(openers.opened_at.desc())
            .limit(limit)
        )
        async with reader(self.engine).connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [
            OpenedCase(
                WorkspaceKey(r["enterprise_id"], r["team_id"]),
                r["account_id"],
                r["case_id"],
                r["display_id"],
                r["subject"],
                r["user_id"],
                r["channel_id"],
                as_utc(r["opened_at"]),
            )
            for r in rows
        ]
