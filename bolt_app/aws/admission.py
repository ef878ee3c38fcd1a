"""A per-process limit on the AWS-bound work that runs after a Slack request was acknowledged.

Bolt runs every listener as a task of its own once it acked, with no bound: a surge can hold thousands of them,
each with what it downloaded and what AWS answered. A listener runs inside `ticket()` (listeners/errors.py opens
one around each): at its first AWS call it asks for one of `limit` places, keyed by that call's account, and
gives it back when the listener ends. Nothing before that waits, so ack(), views.open and option responses
(which have no ticket) are never held up.

Fair across accounts: one account holds at most `share` of the places, and a place that frees goes to the
account whose turn it is (round robin), so a flooding account cannot keep another's request waiting for its
whole line. A request that waits tells the caller's `WaitingWaitingNotice` (the AWS budget's) its place, as the budget
does.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections import OrderedDict
from collections import deque
from collections.abc import Callable
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from dataclasses import field

from bolt_app.aws.notices import Tellings
from bolt_app.aws.notices import WaitingNotice

ADMISSION_LIMIT = 200  # AWS-bound listener runs in progress at once, per process
ADMISSION_SHARE = 0.5  # of those, the most one account may hold
TELL_EVERY_SECONDS = 5.0


@dataclass
class _Entry:
    future: asyncio.Future[None]
    notice: WaitingNotice | None
    place: int = 0
    told_at: float = field(default=float("-inf"))


class Admission:
    """At most `limit` admitted at once, at most `limit * share` of them (at least 1) with one key."""

    def __init__(
        self,
        limit: int = ADMISSION_LIMIT,
        share: float = ADMISSION_SHARE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = max(1, limit)
        self.per_key = max(1, int(self.limit * share))
        self._clock = clock
        self._held: Counter[str] = Counter()
        self._lines: OrderedDict[str, deque[_Entry]] = OrderedDict()
        self._tellings = Tellings()

    @property
    def admitted(self) -> int:
        return sum(self._held.values())

    @property
    def waiting(self) -> int:
        return sum(1 for line in self._lines.values() for e in line if not e.future.done())

    def place_of_newcomer(self, key: str) -> int:
        """The place in line a request of `key` would take now (0: it would be admitted at once)."""
        if self._may_admit(key) and not self._lines.get(key):
            return 0
        return len(self._lines.get(key) or ()) + 1

    def _may_admit(self, key: str) -> bool:
        return self.admitted < self.limit and self._held[key] < self.per_key

    async def enter(self, key: str, notice: WaitingNotice | None = None) -> None:
        if self._may_admit(key) and not self._lines.get(key):
            self._held[key] += 1
            return
        entry = _Entry(asyncio.get_running_loop().create_future(), notice)
        self._lines.setdefault(key, deque()).append(entry)
        self._tell(key)
        try:
            await entry.future
        except asyncio.CancelledError:
            if entry.future.done() and not entry.future.cancelled():
                self.leave(key)  # admitted just as it gave up
            else:
                entry.future.cancel()
                self._admit_next()
            raise

    def leave(self, key: str) -> None:
        self._held[key] -= 1
        if self._held[key] <= 0:
            del self._held[key]
        self._admit_next()

    def _admit_next(self) -> None:
        """Frees places go round the keys that wait, one at a time, each key behind the last one served."""
        progressed = True
        while progressed and self.admitted < self.limit:
            progressed = False
            for key in list(self._lines):
                line = self._lines[key]
                while line and line[0].future.done():
                    line.popleft()  # gave up
                if not line:
                    del self._lines[key]
                    continue
                if self._held[key] >= self.per_key:
                    continue
                line.popleft().future.set_result(None)
                self._held[key] += 1
                self._lines.move_to_end(key)
                if not line:
                    del self._lines[key]
                self._tell(key)
                progressed = True
                break

    def _tell(self, key: str) -> None:
        now = self._clock()
        live = [e for e in self._lines.get(key) or () if not e.future.done()]
        for place, entry in enumerate(live, start=1):
            if entry.notice is None or entry.place == place or now - entry.told_at < TELL_EVERY_SECONDS:
                continue
            entry.place, entry.told_at = place, now
            self._tellings.tell(entry.notice, place)


class Ticket:
    """One listener run's admission: taken at its first AWS call (by the budget), given back at its end."""

    def __init__(self) -> None:
        self._entered: asyncio.Future[None] | None = None
        self._admission: Admission | None = None
        self._key = ""
        self._closed = False

    async def enter(self, admission: Admission, key: str, notice: WaitingNotice | None) -> None:
        if self._closed:
            return  # a task the run started outlives it: its place is already given back
        if self._entered is None:  # calls made at once (a search of every account) share the first's place
            self._admission, self._key = admission, key
            self._entered = asyncio.ensure_future(admission.enter(key, notice))
        await asyncio.shield(self._entered)

    @property
    def entered(self) -> bool:
        return self._entered is not None and self._entered.done()

    def leave(self) -> None:
        self._closed = True
        entered, self._entered = self._entered, None
        if entered is None or self._admission is None:
            return
        if entered.done() and not entered.cancelled() and entered.exception() is None:
            self._admission.leave(self._key)
        else:
            entered.cancel()  # still in line: Admission.enter leaves it


_ticket: ContextVar[Ticket | None] = ContextVar("aws_admission_ticket", default=None)


def current_ticket() -> Ticket | None:
    return _ticket.get()


@contextlib.contextmanager
def ticket() -> Iterator[Ticket]:
    """The AWS calls made inside (and in tasks started inside) are one admitted piece of work; inside another
    ticket, the outer one (a run never waits for a second place while holding one)."""
    outer = _ticket.get()
    if outer is not None:
        yield outer
        return
    held = Ticket()
    token = _ticket.set(held)
    try:
        yield held
    finally:
        _ticket.reset(token)
        held.leave()
