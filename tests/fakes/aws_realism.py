"""A realistic AWS for the double: per-operation latency and AWS's own throttling, switched on per test or run.

AWS's documented rates (shared/reference/aws-support-app.md §14 and §19.1; the Service Quotas user guide,
"Service quotas for Service Quotas", API request rates):

* Support API: 5 calls per second per account (a token bucket of 5, refilled at 5 per second) answered with
  ``ThrottlingException`` beyond it; ``CreateCase``: 10 cases per hour per account, ``CaseCreationLimitExceeded``;
* Service Quotas: per operation, account and Region, e.g. ``GetServiceQuota`` 5 per second plus a burst of 5,
  ``ListServiceQuotas`` 10 plus 10, answered with ``TooManyRequestsException``.

A throttled request costs no token and is answered at once (AWS does not make a throttled caller wait), and it is
still recorded by the double (``AwsDouble.calls``): the app's budget is what keeps it from happening.

Latencies are AWS's order of magnitude under load (the issue's figures) times ``scale``, so tests run the same code
paths with short sleeps: ``Realism(scale=0.05)`` answers a Support read in 15 ms.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field

SUPPORT_RATE_PER_SECOND = 5.0  # Support API calls per second per account (AWS's documented rate)
SUPPORT_BURST = 5
CASES_PER_HOUR = 10
SUPPORT_WRITES = frozenset({"createcase", "addcommunicationtocase", "addattachmentstoset", "resolvecase"})
#: (rate per second, burst) per Service Quotas operation; the rest have the guide's default 5 + 5.
QUOTA_RATES: Mapping[str, tuple[float, int]] = {
    "listservicequotas": (10.0, 10),
    "listawsdefaultservicequotas": (10.0, 10),
    "listservices": (10.0, 10),
}
QUOTA_DEFAULT_RATE = (5.0, 5)


@dataclass(frozen=True)
class Latencies:
    """Seconds before AWS answers, per kind of call (the issue's figures for an AWS under load)."""

    assume_role: float = 0.150
    support_read: float = 0.300
    support_write: float = 0.500
    create_case: float = 0.800
    quotas: float = 0.300

    def scaled(self, factor: float) -> Latencies:
        return Latencies(*(getattr(self, f) * factor for f in self.__dataclass_fields__))

    def of(self, service: str, op: str) -> float:
        if service == "sts":
            return self.assume_role if op == "assumerole" else 0.0
        if service == "support":
            if op == "createcase":
                return self.create_case
            return self.support_write if op in SUPPORT_WRITES else self.support_read
        if service == "service-quotas":
            return self.quotas
        return 0.0


class TokenBucket:
    """``capacity`` tokens, refilled at ``rate`` per second; not thread-safe (the caller holds a lock)."""

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate, self.capacity = rate, capacity
        self.tokens, self.updated = capacity, now

    def take(self, now: float) -> bool:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


@dataclass(frozen=True)
class Throttle:
    code: str
    message: str


@dataclass
class Realism:
    """What a realistic AWS does to one request: how long it takes and whether it is throttled."""

    scale: float = 1.0
    latencies: Latencies = field(default_factory=Latencies)
    support_rate: float = SUPPORT_RATE_PER_SECOND
    support_burst: int = SUPPORT_BURST
    cases_per_hour: int = CASES_PER_HOUR
    clock: Callable[[], float] = time.monotonic
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _buckets: dict[tuple[str, ...], TokenBucket] = field(default_factory=dict)
    _cases: dict[str, deque[float]] = field(default_factory=dict)

    def latency(self, service: str, op: str) -> float:
        return self.latencies.of(service, op) * self.scale

    def throttle(self, service: str, op: str, account: str, region: str) -> Throttle | None:
        """None when AWS accepts the request now (a token is taken), else the error AWS answers with."""
        now = self.clock()
        with self._lock:
            if service == "support":
                if not self._bucket(("support", account), self.support_rate, self.support_burst, now):
                    return Throttle("ThrottlingException", "Rate exceeded")
                if op == "createcase" and not self._case_allowed(account, now):
                    return Throttle(
                        "CaseCreationLimitExceeded",
                        "The case creation limit for the account has been exceeded.",
                    )
            elif service == "service-quotas":
                rate, burst = QUOTA_RATES.get(op, QUOTA_DEFAULT_RATE)
                if not self._bucket(("service-quotas", account, region, op), rate, burst, now):
                    return Throttle("TooManyRequestsException", "Rate exceeded")
        return None

    def _bucket(self, key: tuple[str, ...], rate: float, capacity: int, now: float) -> bool:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(rate, capacity, now)
        return bucket.take(now)

    def _case_allowed(self, account: str, now: float) -> bool:
        created = self._cases.setdefault(account, deque())
        while created and now - created[0] >= 3600.0:
            created.popleft()
        if len(created) >= self.cases_per_hour:
            return False
        created.append(now)
        return True


def most_in_one_second(times: Iterable[float], window: float = 1.0) -> int:
    """The largest number of ``times`` within any half-open window ``[t, t + window)``."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(ordered):
        while t - ordered[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def per_second(times: Iterable[float], origin: float | None = None) -> dict[int, int]:
    """Counts of ``times`` per whole second since ``origin`` (default: the first time)."""
    ordered = sorted(times)
    if not ordered:
        return {}
    base = ordered[0] if origin is None else origin
    counts: dict[int, int] = {}
    for t in ordered:
        second = int(t - base)
        counts[second] = counts.get(second, 0) + 1
    return counts
