"""The Support catalogues (services and their categories, severity levels, languages) cached per account and
language: they change rarely, and the create-case modal must answer within Slack's 3 seconds."""

from __future__ import annotations

import time
from collections.abc import Awaitable
from collections.abc import Callable
from typing import Any

from cachetools import TTLCache

CATALOGUE_TTL_SECONDS = 3600.0
CATALOGUE_MAX_ENTRIES = 1024

CatalogueKey = tuple[str, ...]


class CatalogueCache:
    def __init__(
        self, ttl_seconds: float = CATALOGUE_TTL_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._entries: TTLCache[CatalogueKey, list[Any]] = TTLCache(
            CATALOGUE_MAX_ENTRIES, ttl_seconds, timer=clock
        )

    async def get(self, key: CatalogueKey, read: Callable[[], Awaitable[list[Any]]]) -> list[Any]:
        """The cached list, read once when missing or expired; a failed read is not cached."""
        cached = self._entries.get(key)
        if cached is None:
            cached = await read()
            self._entries[key] = cached
        return list(cached)  # a copy: callers may sort or filter it

    def peek(self, key: CatalogueKey) -> list[Any]:
        """The cached list, or nothing: for what is only nicer with it (service names on search results)."""
        return list(self._entries.get(key) or [])
