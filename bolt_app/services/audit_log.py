"""The audit trail as people read it: a channel's entries for its workspace's admins, the workspace's recent
activity, and the retention that prunes old rows. The rows themselves are written by `services.audited`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from bolt_app.services.context import Actor
from bolt_app.services.workspaces import WorkspaceService
from storage.audit import AuditEntry
from storage.audit import AuditFilter
from storage.audit import AuditRepository
from storage.clock import utc_now

log = logging.getLogger(__name__)

CHANNEL_PAGE = 20
RECENT = 10
DEFAULT_RETENTION_DAYS = 400
PRUNE_EVERY_SECONDS = 3600.0


@dataclass(frozen=True)
class AuditQuery:
    """What an admin asked for in a channel: everything, one user's entries, or one case's."""

    user_id: str | None = None
    user_name: str | None = None  # `@name` as typed: matched with the names the rows recorded
    case_id: str | None = None
    before_id: int | None = None  # the page after the entry with this id


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    next_before: int | None  # the `before_id` of the next page; None on the last one


class AuditLog:
    def __init__(
        self,
        repository: AuditRepository,
        workspaces: WorkspaceService,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.repository = repository
        self.workspaces = workspaces
        self.retention_days = retention_days
        self._clock = clock

    async def channel_page(
        self, viewer: Actor, channel_id: str, query: AuditQuery, size: int = CHANNEL_PAGE
    ) -> AuditPage:
        """The channel's entries in the viewer's workspace, newest first. Rows are keyed by the workspace that
        configured the channel, so a Slack Connect channel shows only its configuring workspace's rows."""
        await self.workspaces.require_admin(viewer, "read the audit trail")
        where = AuditFilter(
            viewer.workspace,
            channel_id=channel_id,
            user_id=query.user_id,
            user_name=query.user_name,
            case_id=query.case_id,
            before_id=query.before_id,
        )
        rows = await self.repository.page(where, size + 1)  # one more says whether there is a next page
        return AuditPage(rows[:size], rows[size - 1].id if len(rows) > size else None)

    async def recent(self, viewer: Actor, size: int = RECENT) -> list[AuditEntry] | None:
        """The workspace's latest entries for an admin's App Home; None for anyone else."""
        if not await self.workspaces.is_admin(viewer):
            return None
        return await self.repository.page(AuditFilter(viewer.workspace), size)

    def cutoff(self) -> datetime | None:
        """Rows from before this moment are past retention; None when retention is off (0 days)."""
        return self._clock() - timedelta(days=self.retention_days) if self.retention_days > 0 else None

    async def prune(self) -> int:
        """Deletes the rows past retention; returns how many."""
        cutoff = self.cutoff()
        return 0 if cutoff is None else await self.repository.prune(cutoff)

    async def keep_pruned(self, stop: asyncio.Event, every_seconds: float = PRUNE_EVERY_SECONDS) -> None:
        """The worker's retention loop: prunes now, then every `every_seconds`, until `stop` is set."""
        while not stop.is_set():
            try:
                if deleted := await self.prune():
                    log.info(
                        "pruned %d audit entries past %d days of retention", deleted, self.retention_days
                    )
            except Exception:
                log.exception("pruning the audit trail failed; trying again in %.0f s", every_seconds)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every_seconds)
