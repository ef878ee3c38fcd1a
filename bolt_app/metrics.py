"""What an operator graphs and alerts on, in Prometheus' text format at GET /metrics (METRICS_ENABLED=1):
Slack requests and how fast they were acknowledged, AWS calls and throttles, notification deliveries and their
lag, the open deliveries, and database statements (which the benchmarks read)."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable
from collections.abc import Callable
from typing import Any
from typing import TypeVar
from urllib.parse import parse_qs

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client import CollectorRegistry
from prometheus_client import Counter
from prometheus_client import Gauge
from prometheus_client import Histogram
from prometheus_client import generate_latest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import reader

PREFIX = "aws_support_slack"
M = TypeVar("M", Counter, Gauge, Histogram)
# Labels come from a fixed vocabulary: a request body is the sender's to choose, and every label value is a
# series kept for the life of the process.
_PAYLOAD_KINDS = {
    "block_actions",
    "block_suggestion",
    "view_submission",
    "view_closed",
    "shortcut",
    "message_action",
}
THROTTLING_CODES = {
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
}


def request_kind(content_type: str, body: str) -> str:
    """What a Slack request is: command, an interactivity payload type, event, url_verification, or other."""
    try:
        if content_type == "application/x-www-form-urlencoded":
            if (
                "payload=" not in body
            ):  # `=` inside values is percent-encoded: this is a key, so no parse needed
                return "command" if "command=" in body else "other"
            form = parse_qs(body)
            if "command" in form:
                return "command"
            kind = json.loads(form["payload"][0]).get("type") if "payload" in form else None
            return kind if kind in _PAYLOAD_KINDS else "other"
        kind = json.loads(body).get("type")
    except (ValueError, AttributeError, KeyError, IndexError):
        return "other"
    return {"event_callback": "event", "url_verification": "url_verification"}.get(kind, "other")


def request_outcome(status: int) -> str:
    if status < 400:
        return "ok"
    if status in (401, 403):
        return "rejected"  # bad or missing signature
    return "refused" if status < 500 else "error"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.db_statements = self._new(Counter, "db_statements", "Statements sent to the database")
        self.requests = self._new(
            Counter, "slack_requests", "Slack requests by kind and outcome", "kind", "outcome"
        )
        self.ack_seconds = self._new(
            Histogram,
            "slack_ack_seconds",
            "Time from a Slack request's arrival to its answer (the ack; Slack allows 3 s)",
            "kind",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0),
        )
        self.aws_calls = self._new(
            Counter,
            "aws_calls",
            "AWS API calls by service, operation and outcome (ok, or the AWS error code)",
            "service",
            "operation",
            "outcome",
        )
        self.aws_throttles = self._new(
            Counter, "aws_throttles", "AWS calls that ended throttled", "service", "operation"
        )
        self.deliveries = self._new(
            Counter,
            "notification_deliveries",
            "Notification deliveries finished, by state (posted, skipped, failed)",
            "state",
        )
        self.delivery_lag = self._new(
            Histogram,
            "notification_delivery_lag_seconds",
            "From the case event's time at AWS to its delivery to the channel",
            buckets=(1, 2, 5, 10, 30, 60, 120, 300, 900, 3600),
        )
        self.open_deliveries = self._new(
            Gauge,
            "notification_deliveries_open",
            "Deliveries waiting or in progress (the delivery queue's depth), read at scrape time",
        )
        self.queue_messages = self._new(
            Counter,
            "queue_messages",
            "Queue messages left to the redrive policy, by why (refused: not a valid event; failed: not stored)",
            "outcome",
        )
        self.aws_work = self._new(
            Gauge,
            "aws_work",
            "Listener runs with AWS calls, admitted (in progress) or waiting for a place, read at scrape time",
            "state",
        )
        self.deferred_cases = self._new(
            Gauge,
            "deferred_cases_waiting",
            "Case creations AWS deferred, saved and not yet created and posted, read at scrape time",
        )
        self._open_deliveries: Callable[[], Awaitable[int]] | None = None
        self._aws_work: Callable[[], tuple[int, int]] | None = None
        self._deferred_cases: Callable[[], Awaitable[int]] | None = None

    def _new(self, kind: type[M], name: str, documentation: str, *labels: str, **options: Any) -> M:
        """One of the app's metrics: its name under the app's prefix, in this registry."""
        return kind(f"{PREFIX}_{name}", documentation, labels, registry=self.registry, **options)

    def count(self, name: str, **labels: str) -> float:
        """A counter's value (0 before its first increment), for tests and the benchmarks."""
        return self.registry.get_sample_value(f"{PREFIX}_{name}_total", labels) or 0.0

    def watch_engine(self, engine: AsyncEngine) -> None:
        """Counts every statement sent to the database (one round trip each), on the read pool too."""

        def _count(*_: Any) -> None:
            self.db_statements.inc()

        for watched in {engine, reader(engine)}:
            event.listen(watched.sync_engine, "before_cursor_execute", _count)

    def watch_open_deliveries(self, count_open: Callable[[], Awaitable[int]]) -> None:
        self._open_deliveries = count_open

    def watch_aws_work(self, admitted_and_waiting: Callable[[], tuple[int, int]]) -> None:
        self._aws_work = admitted_and_waiting

    def watch_deferred_cases(self, count: Callable[[], Awaitable[int]]) -> None:
        self._deferred_cases = count

    def aws_call(self, service: str, operation: str, error_code: str | None) -> None:
        self.aws_calls.labels(service, operation, error_code or "ok").inc()
        if error_code in THROTTLING_CODES:
            self.aws_throttles.labels(service, operation).inc()

    def delivery(self, state: str, lag_seconds: float) -> None:
        self.deliveries.labels(state).inc()
        self.delivery_lag.observe(max(lag_seconds, 0.0))

    def slack_requests(self, path: str) -> Callable[..., Awaitable[web.StreamResponse]]:
        @web.middleware
        async def middleware(request: web.Request, handler):  # type: ignore[no-untyped-def]
            if request.path != path or request.method != "POST":
                return await handler(request)
            started = time.monotonic()
            kind = request_kind(request.content_type, await request.text())
            status = 500
            try:
                response = await handler(request)
                status = response.status
                return response
            except web.HTTPException as e:
                status = e.status
                raise
            finally:
                self.requests.labels(kind, request_outcome(status)).inc()
                self.ack_seconds.labels(kind).observe(time.monotonic() - started)

        return middleware

    async def handler(self, _: web.Request) -> web.Response:
        if self._open_deliveries is not None:
            self.open_deliveries.set(await self._open_deliveries())
        if self._aws_work is not None:
            admitted, waiting = self._aws_work()
            self.aws_work.labels("admitted").set(admitted)
            self.aws_work.labels("waiting").set(waiting)
        if self._deferred_cases is not None:
            self.deferred_cases.set(await self._deferred_cases())
        return web.Response(
            body=generate_latest(self.registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )
