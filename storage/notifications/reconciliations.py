"""Reconciliation bookkeeping: which account's look for missed changes is due, and who is taking it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update

from storage.clock import as_utc
from storage.clock import utc_naive
from storage.db import Repository
from storage.db import reader
from storage.notifications.sql import insert_ignore
from storage.notifications.sql import lease_free
from storage.tables import channel_configurations
from storage.tables import notification_reconciliations

looks = notification_reconciliations.c


class ReconciliationRepository(Repository):
    async def accounts_with_channels(self) -> list[str]:
        configs = channel_configurations.c
        async with reader(self.engine).connect() as conn:
            rows = await conn.execute(select(configs.account_id).distinct().order_by(configs.account_id))
            return [r.account_id for r in rows]

    async def claim_reconciliation(
        self, account_id: str, worker: str, now: datetime, lease_until: datetime
    ) -> tuple[bool, datetime | None]:
        """(claimed, last look) for an account whose reconciliation is due and not held by another worker."""
        at = utc_naive(now)
        async with self.engine.begin() as conn:
            await conn.execute(
                insert_ignore(conn, notification_reconciliations, [{"account_id": account_id}])
            )
            result = await conn.execute(
                update(notification_reconciliations)
                .where(
                    looks.account_id == account_id,
                    lease_free(looks.lease_until, at),
                    or_(looks.next_due_at.is_(None), looks.next_due_at <= at),
                )
                .values(claimed_by=worker, lease_until=utc_naive(lease_until))
            )
            if result.rowcount != 1:
                return False, None
            last = (
                await conn.execute(select(looks.last_look_at).where(looks.account_id == account_id))
            ).scalar_one()
        return True, as_utc(last)

    async def finish_reconciliation(
        self, account_id: str, worker: str, looked_at: datetime | None, next_due_at: datetime
    ) -> None:
        values: dict[str, Any] = {
            "claimed_by": None,
            "lease_until": None,
            "next_due_at": utc_naive(next_due_at),
        }
        if looked_at is not None:
            values["last_look_at"] = utc_naive(looked_at)
        async with self.engine.begin() as conn:
            await conn.execute(
                update(notification_reconciliations)
                .where(looks.account_id == account_id, looks.claimed_by == worker)
                .values(**values)
            )
