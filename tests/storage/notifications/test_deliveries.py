"""Recording an event on SQLite and PostgreSQL: a duplicate is dropped, any other failure reaches the caller."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from storage.notifications.deliveries import DeliveryRepository
from storage.notifications.values import NewEvent
from tests.helpers.databases import opened

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _event(**changes: Any) -> NewEvent:
    fields: dict[str, Any] = {
        "account_id": "210987654321",
        "case_id": "case-210987654321-2026-abc",
        "event_name": "AddCommunicationToCase",
        "event_time": NOW,
        "source": "sqs",
        "communication_id": "comm-1",
    }
    return NewEvent(**(fields | changes))


async def test_the_same_event_twice_is_stored_once(database_url: str) -> None:
    async with opened(database_url) as engine:
        repo = DeliveryRepository(engine)
        assert await repo.record_event(_event(), ["aws-event-1"], NOW) is not None
        assert await repo.record_event(_event(), ["aws-event-1"], NOW) is None


async def test_a_broken_row_that_is_no_duplicate_is_raised_not_dropped(database_url: str) -> None:
    async with opened(database_url) as engine:
        repo = DeliveryRepository(engine)
        with pytest.raises(IntegrityError):
            await repo.record_event(_event(case_id=None), ["aws-event-2"], NOW)
        # Nothing of it was kept: the same event, whole this time, is stored.
        assert await repo.record_event(_event(), ["aws-event-2"], NOW) is not None
