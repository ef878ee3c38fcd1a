"""Where every event comes in (HTTP, SQS, reconciliation): stored once, with its deliveries, and announced to
this process's delivery loop."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field

from bolt_app.services.notifications.options import Clock
from storage.notifications.deliveries import DeliveryRepository
from storage.notifications.values import NewEvent


@dataclass(frozen=True)
class IngestResult:
    accepted: bool  # False: a duplicate, nothing stored
    event_id: int | None = None
    deliveries: int = 0


@dataclass
class Inbox:
    deliveries: DeliveryRepository
    clock: Clock
    # Set when work arrives, so this process's delivery loop starts at once.
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    async def record(self, event: NewEvent, keys: Sequence[str]) -> IngestResult:
        """Stores the event and one pending delivery per channel configuration of its account, unless one of
        `keys` was seen before (a duplicate: nothing is stored)."""
        recorded = await self.deliveries.record_event(event, keys, self.clock())
        if recorded is None:
            return IngestResult(False)
        if recorded.deliveries:
            self.wake.set()
        return IngestResult(True, recorded.event_id, recorded.deliveries)
