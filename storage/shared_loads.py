"""A bounded, expiring cache whose concurrent misses of one key share one load.

Under a burst, many requests miss the same entry at once (a channel's accounts, a workspace's bot); each would
otherwise run the same query. cachetools' TTLCache holds the values; the sharing of in-flight loads is written
here because cachetools coalesces only for threads and async-lru cannot drop entries by a predicate (which the
change feed needs: every channel of a workspace).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Hashable
from typing import Generic
from typing import TypeVar

from cachetools import TTLCache

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SharedLoadCache(Generic[K, V]):
    def __init__(self, *, maxsize: int, ttl: float, keep: Callable[[V], bool] = lambda _: True) -> None:
        self._values: TTLCache[K, V] = TTLCache(maxsize=maxsize, ttl=ttl)
        self._loading: dict[K, asyncio.Task[V]] = {}
        self._keep = keep  # whether a loaded value is cached (e.g. not "not found")

    async def get(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        """The cached value, or the result of `load()`, run once for all callers that miss `key` meanwhile."""
        try:
            return self._values[key]
        except KeyError:
            pass
        task = self._loading.get(key)
        if task is None:
            task = asyncio.ensure_future(self._load(key, load))
            task.add_done_callback(_retrieve)  # a failure whose callers all gave up is not logged as unseen
            self._loading[key] = task
        # One caller's cancellation (its request timed out) must not cancel the load the others wait for.
        return await asyncio.shield(task)

    async def _load(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        me = asyncio.current_task()
        try:
            value = await load()
            # Dropped while loading (the row changed meanwhile): the value may predate the change, so only the
            # callers already waiting get it.
            if self._loading.get(key) is me and self._keep(value):
                self._values[key] = value
            return value
        finally:
            if self._loading.get(key) is me:
                del self._loading[key]

    def pop(self, key: K) -> None:
        self._values.pop(key, None)
        self._loading.pop(key, None)

    def clear(self) -> None:
        self._values.clear()
        self._loading.clear()

    def forget_where(self, matches: Callable[[K, V], bool]) -> None:
        """Drops the entries that match, and every load in flight (its value is not known yet, so it may)."""
        for key, value in list(self._values.items()):
            if matches(key, value):
                self._values.pop(key, None)
        self._loading.clear()

    def __len__(self) -> int:
        return len(self._values)


def _retrieve(task: asyncio.Task[object]) -> None:
    if not task.cancelled():
        task.exception()
