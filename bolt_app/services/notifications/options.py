"""How notification work is paced, retried and reconciled; the worker sets some from the environment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime


@dataclass(frozen=True)
class NotificationOptions:
    lease_seconds: float = 60.0
    post_interval_seconds: float = 1.0  # chat.postMessage: about one message per second per channel
    max_attempts: int = 8  # a delivery failing transiently this often is given up (recorded as failed)
    retry_base_seconds: float = 5.0
    retry_max_seconds: float = 900.0
    comm_window_seconds: float = 60.0  # before an event's time, for a channel with no correspondence mark yet
    own_reply_before_seconds: float = 120.0  # how far a reply made from the channel may precede its record
    own_reply_after_seconds: float = 60.0  # and follow it (clock skew between AWS and this host)
    reconcile_interval_seconds: float = 900.0
    reconcile_overlap_seconds: float = 300.0
    retention_days: float = 14.0


Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)
