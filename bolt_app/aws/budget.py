"""The process's AWS budget: every Support and Service Quotas call of an account waits for its turn at AWS's
documented rate, identical reads in flight are made once, throttled calls are retried with backoff and jitter,
and all of it runs on a sized thread pool of its own.

Rates (per account; AWS counts them per account, so every channel, user and the notification worker share them):

* Support API: 5 calls per second ("Support API call rate: 5 TPS", AWS Support API quotas; see
  shared reference §14/§19.1). Calls start at most once every 200 ms.
* Service Quotas: per operation and Region, e.g. GetServiceQuota 5/s, ListServiceQuotas and ListServices 10/s
  (Service Quotas User Guide, "Service quotas for Service Quotas", API request rates; the bursts above the rate
  are not spent).

The budget is per process: several processes serving one account share AWS's rate between them, and throttling
that still happens is retried here (botocore's own retries are off for role clients, see `sessions`, so every
attempt passes the budget and is counted once in the metrics).

Waiters are served by priority (users waiting on a result before background reconciliation and notifications,
see `background()`), then in arrival order. A request that would wait longer than a user's patience is refused at
once with words (`AwsBusy`); one that waits at all tells whoever listens (`waiting_notice()`) its place in line.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import heapq
import itertools
import json
import logging
import random
import time
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass
from dataclasses import field
from enum import IntEnum
from functools import partial
from typing import Any
from typing import TypeVar

from botocore.exceptions import ClientError
from botocore.exceptions import ConnectionClosedError
from botocore.exceptions import EndpointConnectionError
from botocore.exceptions import ReadTimeoutError

from bolt_app.aws.admission import ADMISSION_LIMIT
from bolt_app.aws.admission import Admission
from bolt_app.aws.admission import current_ticket
from bolt_app.aws.notices import Tellings
from bolt_app.aws.notices import WaitingNotice
from bolt_app.aws.notices import tell
from bolt_app.errors import UserFacingError

log = logging.getLogger(__name__)

T = TypeVar("T")
V = TypeVar("V")

SUPPORT_CALLS_PER_SECOND = 5.0
QUOTAS_CALLS_PER_SECOND: Mapping[str, float] = {
    "list_services": 10.0,
    "list_service_quotas": 10.0,
    "list_aws_default_service_quotas": 10.0,
}
QUOTAS_DEFAULT_CALLS_PER_SECOND = 5.0
#: Calls start a little slower than AWS's rate: the time a request takes to reach AWS varies, and two that left
#: 200 ms apart may arrive closer together.
RATE_MARGIN = 0.9
# A call holds a thread for its latency: at 4.5 calls a second and CreateCase's 0.8 s, an account at full rate has
# about 4 in flight. More threads than the accounts at full rate need only compete with the event loop for the
# GIL (the surge benchmark with 64 threads and 8 per account: 9 option responses after 3 s, completion 1.65x the
# rate bound; with 16 and 4: none, 1.4x).
THREADS = 16
IN_FLIGHT_PER_ACCOUNT = 4  # so one slow account cannot hold every thread
USER_PATIENCE_SECONDS = 60.0  # the longest a user's request may wait for its turn
NOTICE_AFTER_SECONDS = 1.0  # tell the user only when their turn is at least this far away
NOTICE_EVERY_SECONDS = 5.0  # and update their place in line at most this often
#: Background work (notifications, reconciliation) that waited this long joins the users' line at its arrival
#: place, so a long surge of users delays notifications without starving them.
PROMOTE_AFTER_SECONDS = 30.0
READ_ATTEMPTS = 6
WRITE_ATTEMPTS = 4
BACKOFF_BASE_SECONDS = 0.25
BACKOFF_MAX_SECONDS = 4.0
THROTTLING_CODES = frozenset(
    {"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"}
)
_TRANSIENT_CODES = frozenset(
    {"InternalServerError", "InternalFailure", "ServiceException", "ServiceUnavailable"}
)
_TRANSIENT_ERRORS = (ConnectionClosedError, EndpointConnectionError, ReadTimeoutError)
_SINGLE_FLIGHT_PREFIXES = ("describe_", "get_", "list_")


class Priority(IntEnum):
    USER = 0
    BACKGROUND = 1


_priority: ContextVar[Priority] = ContextVar("aws_priority", default=Priority.USER)
_notice: ContextVar[WaitingNotice | None] = ContextVar("aws_waiting_notice", default=None)
_patience: ContextVar[float | None] = ContextVar("aws_patience", default=None)


@contextlib.contextmanager
def _setting(var: ContextVar[V], value: V) -> Iterator[None]:
    token = var.set(value)
    try:
        yield
    finally:
        var.reset(token)


def background() -> contextlib.AbstractContextManager[None]:
    """AWS calls made inside wait behind every user's (notifications, reconciliation)."""
    return _setting(_priority, Priority.BACKGROUND)


def waiting_notice(notice: WaitingNotice) -> contextlib.AbstractContextManager[None]:
    """AWS calls made inside tell `notice` when they wait for their turn."""
    return _setting(_notice, notice)


def patience(seconds: float) -> contextlib.AbstractContextManager[None]:
    """AWS calls made inside that would wait longer than `seconds` for their turn are refused at once
    (`AwsBusy`): an options request must be answered within Slack's 3 seconds."""
    return _setting(_patience, seconds)


class AwsBusy(UserFacingError):
    """The account's budget is spoken for beyond a user's patience: nothing was sent to AWS."""

    def __init__(self, account_id: str, seconds: float) -> None:
        super().__init__(
            f"AWS is busy for account {account_id}: this request would wait about {round(seconds)} seconds for "
            "its turn at AWS's rate limit, so it was not sent and nothing was changed. Try again in a minute."
        )
        self.code = "AwsBusy"


@dataclass(frozen=True)
class CallSite:
    """Where a call goes: whose role, which account, service and Region."""

    account_id: str
    role_arn: str
    external_id: str
    service: str  # "support", "service-quotas"
    region: str


@dataclass(order=True)
class _Waiter:
    priority: int
    seq: int
    future: asyncio.Future[None] = field(compare=False)
    notice: WaitingNotice | None = field(compare=False, default=None)
    place: int = field(compare=False, default=0)
    told_at: float = field(compare=False, default=float("-inf"))
    since: float = field(compare=False, default=0.0)


class Pacer:
    """Lets one call start every `interval` seconds; waiters go by (priority, arrival); background waiters are
    promoted to users' priority after `promote_after` seconds."""

    def __init__(
        self,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
        promote_after: float = PROMOTE_AFTER_SECONDS,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._promote_after = promote_after
        self._next_at = float("-inf")
        self._queue: list[_Waiter] = []
        self._seq = itertools.count()
        self._dispatcher: asyncio.Task[None] | None = None
        self._tellings = Tellings()

    @property
    def waiting(self) -> int:
        return sum(1 for w in self._queue if not w.future.done())

    def wait_estimate(self, priority: Priority = Priority.USER) -> float:
        """Seconds until a newcomer of `priority` would start (those of a lower priority wait behind it)."""
        ahead = sum(1 for w in self._queue if not w.future.done() and w.priority <= priority)
        return max(0.0, self._next_at - self._clock()) + ahead * self.interval

    def place_of_newcomer(self, priority: Priority = Priority.USER) -> int:
        """The place a newcomer would take, 0 when its turn is too near to be worth telling."""
        if self.wait_estimate(priority) < NOTICE_AFTER_SECONDS:
            return 0
        return 1 + sum(1 for w in self._queue if not w.future.done() and w.priority <= priority)

    def back_off(self, seconds: float) -> None:
        """AWS throttled: nobody of this budget starts for `seconds`."""
        self._next_at = max(self._next_at, self._clock() + seconds)

    async def take(self, priority: Priority = Priority.USER, notice: WaitingNotice | None = None) -> None:
        now = self._clock()
        if not self._queue and now >= self._next_at:
            self._next_at = now + self.interval
            return
        future = asyncio.get_running_loop().create_future()
        waiter = _Waiter(int(priority), next(self._seq), future, notice, since=now)
        heapq.heappush(self._queue, waiter)
        self._tell_places()
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.create_task(self._dispatch())
        try:
            await waiter.future
        except asyncio.CancelledError:
            waiter.future.cancel()  # the dispatcher skips it
            raise

    async def _dispatch(self) -> None:
        while self._queue:
            delay = self._next_at - self._clock()
            if delay > 0:
                await asyncio.sleep(delay)
                continue  # a back_off may have moved the turn meanwhile
            self._promote()
            waiter = heapq.heappop(self._queue)
            if waiter.future.done():
                continue
            waiter.future.set_result(None)
            self._next_at = self._clock() + self.interval
            self._tell_places()

    def _promote(self) -> None:
        cutoff = self._clock() - self._promote_after
        aged = [w for w in self._queue if w.priority > Priority.USER and w.since <= cutoff]
        for waiter in aged:
            waiter.priority = int(Priority.USER)
        if aged:
            heapq.heapify(self._queue)

    def _tell_places(self) -> None:
        now = self._clock()
        turn = max(0.0, self._next_at - now)
        live = sorted(w for w in self._queue if not w.future.done())
        for place, waiter in enumerate(live, start=1):
            if waiter.notice is None or waiter.place == place:
                continue
            if turn + (place - 1) * self.interval < NOTICE_AFTER_SECONDS and waiter.place == 0:
                continue  # its turn is near: silence is fine
            if now - waiter.told_at < NOTICE_EVERY_SECONDS:
                continue
            waiter.place, waiter.told_at = place, now
            self._tellings.tell(waiter.notice, place)


class _Listeners:
    """Everyone waiting on one read in flight hears its place in line; a latecomer hears the last one at once."""

    def __init__(self, first: WaitingNotice | None) -> None:
        self._notices = [first] if first is not None else []
        self._place: int | None = None
        self._tellings = Tellings()

    def join(self, notice: WaitingNotice) -> None:
        self._notices.append(notice)
        if self._place is not None:
            self._tellings.tell(notice, self._place)

    async def __call__(self, place: int) -> None:
        self._place = place
        await asyncio.gather(*(tell(n, place) for n in list(self._notices)))


def error_code_of(error: BaseException) -> str | None:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "")) or None
    return None


def _backoff(attempt: int) -> float:
    """Exponential with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter")."""
    return random.uniform(0, min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt))


class AwsBudget:
    """The process's AWS calls: paced per account, single-flight for identical reads, on a thread pool of
    `threads` with at most `in_flight_per_account` calls of one account at once."""

    def __init__(
        self,
        *,
        threads: int = THREADS,
        in_flight_per_account: int = IN_FLIGHT_PER_ACCOUNT,
        support_rate: float = SUPPORT_CALLS_PER_SECOND,
        patience_seconds: float = USER_PATIENCE_SECONDS,
        read_attempts: int = READ_ATTEMPTS,
        write_attempts: int = WRITE_ATTEMPTS,
        admission_limit: int = ADMISSION_LIMIT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`read_attempts`/`write_attempts` = 1: AWS's first answer is final (tests that inject one error).
        `admission_limit`: listener runs with AWS calls in progress at once (`admission`)."""
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="aws")
        self._in_flight_per_account = in_flight_per_account
        self._support_rate = support_rate
        self._patience = patience_seconds
        self._read_attempts, self._write_attempts = read_attempts, write_attempts
        self._clock = clock
        self.admission = Admission(admission_limit, clock=clock)
        self._pacers: dict[tuple[str, ...], Pacer] = {}
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._flights: dict[tuple[str, ...], asyncio.Future[dict[str, Any]]] = {}
        self._listeners: dict[tuple[str, ...], _Listeners] = {}
        self.shared_reads = 0  # reads answered by another caller's identical call in flight

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)

    async def blocking(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Runs blocking AWS work (AssumeRole, client creation) on the AWS pool, outside any account's budget."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, partial(fn, *args, **kwargs))

    def pacer(self, site: CallSite, operation: str) -> Pacer:
        if site.service == "service-quotas":
            key: tuple[str, ...] = (site.account_id, site.service, site.region, operation)
            rate = QUOTAS_CALLS_PER_SECOND.get(operation, QUOTAS_DEFAULT_CALLS_PER_SECOND)
        else:
            key, rate = (site.account_id, site.service), self._support_rate
        pacer = self._pacers.get(key)
        if pacer is None:
            pacer = self._pacers[key] = Pacer(1.0 / (rate * RATE_MARGIN), self._clock)
        return pacer

    async def read(
        self, site: CallSite, client: Any, operation: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        """A read: made once for all identical reads in flight, retried on throttling and passing failures."""
        await self._admit(site)
        if not operation.startswith(_SINGLE_FLIGHT_PREFIXES):
            return await self._attempts(site, client, operation, params, self._read_attempts, write=False)
        key = (
            site.role_arn,
            site.external_id,
            site.service,
            site.region,
            operation,
            json.dumps(params, sort_keys=True, default=str),
        )
        notice = _notice.get()
        flight = self._flights.get(key)
        if flight is None:
            listeners = _Listeners(notice)
            token = _notice.set(listeners)  # the flight's task copies this context: all who wait hear of it
            try:
                flight = asyncio.ensure_future(
                    self._attempts(site, client, operation, params, self._read_attempts, write=False)
                )
            finally:
                _notice.reset(token)
            self._flights[key] = flight
            self._listeners[key] = listeners
            flight.add_done_callback(lambda _: self._end_flight(key))
        else:
            self.shared_reads += 1
            if notice is not None:
                self._listeners[key].join(notice)
        # shield: one caller giving up (a cancelled task) does not cancel the others' answer
        return copy.deepcopy(await asyncio.shield(flight))

    async def _admit(self, site: CallSite) -> None:
        """A listener run's first AWS call takes one of the process's places for such work (`admission`)."""
        held = current_ticket()
        if held is not None:
            await held.enter(self.admission, site.account_id, _notice.get())

    def place_in_line(self, account_id: str) -> int:
        """The place a user's Support request of the account would take now (0: no wait worth telling)."""
        held = current_ticket()
        queued = self.admission.place_of_newcomer(account_id) if held and not held.entered else 0
        pacer = self._pacers.get((account_id, "support"))
        if pacer is None:
            return queued
        return max(queued, pacer.place_of_newcomer())

    def _end_flight(self, key: tuple[str, ...]) -> None:
        self._flights.pop(key, None)
        self._listeners.pop(key, None)

    async def write(
        self, site: CallSite, client: Any, operation: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        """A write that AWS does not deduplicate: resent only when AWS said it throttled (it was not processed),
        never after a timeout or a lost answer, when it may have been."""
        await self._admit(site)
        return await self._attempts(site, client, operation, params, self._write_attempts, write=True)

    async def _attempts(
        self,
        site: CallSite,
        client: Any,
        operation: str,
        params: Mapping[str, Any],
        attempts: int,
        *,
        write: bool,
    ) -> dict[str, Any]:
        pacer = self.pacer(site, operation)
        priority, notice = _priority.get(), _notice.get()
        limit = min(self._patience, _patience.get() or self._patience)
        for attempt in range(attempts):
            wait = pacer.wait_estimate(priority)
            if priority is Priority.USER and wait > limit:
                raise AwsBusy(site.account_id, wait)
            await pacer.take(priority, notice)
            try:
                async with self._slot(site.account_id):
                    return await self.blocking(getattr(client, operation), **params)
            except Exception as e:
                code = error_code_of(e)
                throttled = code in THROTTLING_CODES
                transient = code in _TRANSIENT_CODES or isinstance(e, _TRANSIENT_ERRORS)
                if attempt == attempts - 1 or not (throttled or (transient and not write)):
                    raise
                delay = _backoff(attempt)
                if throttled:
                    pacer.back_off(delay)  # the whole account slows down, not only this call
                log.info(
                    "AWS %s %s in %s: %s; retry %d", site.service, operation, site.account_id, code, attempt
                )
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    def _slot(self, account_id: str) -> asyncio.Semaphore:
        slot = self._slots.get(account_id)
        if slot is None:
            slot = self._slots[account_id] = asyncio.Semaphore(self._in_flight_per_account)
        return slot
