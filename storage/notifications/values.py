"""What the notification repositories take and return: events, deliveries and the channels they go to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.workspaces import ChannelKey as ChannelKey  # the channel a delivery goes to

# Delivery states
PENDING = "pending"
POSTING = "posting"
POSTED = "posted"
SKIPPED = "skipped"
FAILED = "failed"
OPEN_STATES = (PENDING, POSTING)


@dataclass(frozen=True)
class NewEvent:
    account_id: str
    case_id: str
    event_name: str
    event_time: datetime
    source: str
    communication_id: str | None = None
    origin: str | None = None
    aws_event_id: str | None = None
    floor_time: datetime | None = None


@dataclass(frozen=True)
class StoredEvent(NewEvent):
    id: int = 0


@dataclass(frozen=True)
class Recorded:
    event_id: int
    deliveries: int


@dataclass(frozen=True)
class DeliveryWork:
    """A delivery this process now holds (state `posting`), with its event."""

    id: int
    channel: ChannelKey
    account_id: str
    attempts: int  # including this one
    reclaimed: bool  # a lease of another process had expired on it
    event: StoredEvent


@dataclass(frozen=True)
class DeliveryRow:
    id: int
    event_id: int
    case_id: str
    event_name: str
    channel: ChannelKey
    account_id: str
    state: str
    outcome: str | None
    attempts: int
    claimed_by: str | None
