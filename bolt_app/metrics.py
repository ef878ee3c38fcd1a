"""Counters the benchmarks read from the running app (GET /metrics, only when METRICS_ENABLED=1)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from aiohttp import web
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


class Metrics:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def watch_engine(self, engine: AsyncEngine) -> None:
        """Counts every statement sent to the database (one round trip each)."""

        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def _count(*_: Any) -> None:
            self.counts["db_statements"] += 1

    async def handler(self, _: web.Request) -> web.Response:
        return web.json_response(dict(self.counts))
