"""What a channel has been told about a case (its thread), and how a change merges into it. Pure: no SQL."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import replace
from datetime import datetime

from storage.workspaces import ChannelKey

OPEN = "open"
RESOLVED = "resolved"


@dataclass(frozen=True)
class ThreadKey:
    channel: ChannelKey
    account_id: str
    case_id: str


@dataclass(frozen=True, kw_only=True)
class ThreadFacts:
    """What a thread's state and a change to it both speak of."""

    display_id: str | None = None
    language: str | None = None
    root_ts: str | None = None
    root_status: str | None = None
    lifecycle: str | None = None
    lifecycle_at: datetime | None = None
    last_comm_at: datetime | None = None
    own_reply_at: datetime | None = None


@dataclass(frozen=True)
class ThreadState(ThreadFacts):
    key: ThreadKey
    own_replies: int = 0


@dataclass(frozen=True)
class ThreadChange(ThreadFacts):
    """A change to a thread's state. Fields left None keep their value; the merge never goes backwards: the root
    is set once, the correspondence mark only rises, a lifecycle change older than the recorded one is ignored."""

    own_replies_added: int = 0
    own_replies_used: int = 0

    def then(self, later: ThreadChange) -> ThreadChange:
        """This change followed by `later`, as one change."""
        merged = {
            name: getattr(later, name) if getattr(later, name) is not None else getattr(self, name)
            for name in ("display_id", "language", "root_ts", "root_status", "own_reply_at")
        }
        lifecycle = (
            (later.lifecycle, later.lifecycle_at)
            if later.lifecycle is not None
            else (self.lifecycle, self.lifecycle_at)
        )
        marks = [moment for moment in (self.last_comm_at, later.last_comm_at) if moment is not None]
        return ThreadChange(
            **merged,
            lifecycle=lifecycle[0],
            lifecycle_at=lifecycle[1],
            last_comm_at=max(marks) if marks else None,
            own_replies_added=self.own_replies_added + later.own_replies_added,
            own_replies_used=self.own_replies_used + later.own_replies_used,
        )


def merge_thread(state: ThreadState, change: ThreadChange) -> ThreadState:
    lifecycle, lifecycle_at = state.lifecycle, state.lifecycle_at
    if change.lifecycle is not None and (
        lifecycle_at is None or change.lifecycle_at is None or change.lifecycle_at >= lifecycle_at
    ):
        lifecycle, lifecycle_at = change.lifecycle, change.lifecycle_at or lifecycle_at
    marks = [moment for moment in (state.last_comm_at, change.last_comm_at) if moment is not None]
    return replace(
        state,
        display_id=change.display_id or state.display_id,
        language=change.language or state.language,
        root_ts=state.root_ts or change.root_ts,
        root_status=change.root_status or state.root_status,
        lifecycle=lifecycle,
        lifecycle_at=lifecycle_at,
        last_comm_at=max(marks) if marks else None,
        own_replies=max(0, state.own_replies + change.own_replies_added - change.own_replies_used),
        own_reply_at=change.own_reply_at or state.own_reply_at,
    )
