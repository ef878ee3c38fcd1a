"""Concurrent misses share one load; a caller that gives up does not take the load from the others."""

from __future__ import annotations

import asyncio

import pytest

from storage.shared_loads import SharedLoadCache


async def test_a_cancelled_caller_leaves_the_shared_load_to_the_others() -> None:
    cache: SharedLoadCache[str, int] = SharedLoadCache(maxsize=10, ttl=60)
    started, finish = asyncio.Event(), asyncio.Event()
    loads = 0

    async def load() -> int:
        nonlocal loads
        loads += 1
        started.set()
        await finish.wait()
        return 7

    impatient = asyncio.ensure_future(cache.get("k", load))
    await asyncio.wait_for(started.wait(), 5)
    patient = asyncio.ensure_future(cache.get("k", load))
    impatient.cancel()
    finish.set()
    assert await asyncio.wait_for(patient, 5) == 7
    assert await cache.get("k", load) == 7
    assert loads == 1
    with pytest.raises(asyncio.CancelledError):
        await impatient


async def test_a_failed_load_reaches_every_caller_and_is_not_cached() -> None:
    cache: SharedLoadCache[str, int] = SharedLoadCache(maxsize=10, ttl=60)
    calls = 0

    async def failing() -> int:
        nonlocal calls
        calls += 1
        raise RuntimeError("database down")

    results = await asyncio.gather(*(cache.get("k", failing) for _ in range(3)), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results) and calls == 1
    assert len(cache) == 0
