"""`aws-support-slack worker`: consumes the notifications queue, delivers, and reconciles.

* `QueueConsumer`: long-polls the SQS queue in `NOTIFICATIONS_QUEUE_URL` (EventBridge rule → SQS) in batches of up
  to 10. A message is deleted once `ingest` stored its event and deliveries; one that cannot be stored (not a
  Support Case Update event, the database away) is left in the queue, to come back after its visibility timeout
  and, if it keeps failing, to go where the queue's redrive policy sends it.
* `DeliveryLoop`: leases channels with work and runs each in its own task (different channels in parallel, one
  channel in order). `serve` runs one too (`serve_deliveries`), for events that came in over HTTP.
* `Reconciler`: every `NOTIFICATIONS_RECONCILE_MINUTES` (default 15) per account, looks for changes no event
  announced.

SIGTERM (or SIGINT) stops taking new work: the batch in hand is finished (stored and deleted), each channel task
finishes the delivery in hand, leases are given back, and the process exits 0.

Any number of workers (and `serve` processes) may share one PostgreSQL database and one queue. On SQLite, run one
process: its writers take turns on one file lock, which is correct but does not scale out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import secrets
import signal
import socket
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import botocore.session
from aiohttp import web
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import BotoCoreError
from botocore.exceptions import ClientError

from bolt_app.http.event_bodies import case_account
from bolt_app.http.event_bodies import decode_event
from bolt_app.http.event_bodies import sender_problem
from bolt_app.metrics import Metrics
from bolt_app.services.audit_log import AuditLog
from bolt_app.services.cases.deferred import DeferredCases
from bolt_app.services.notifications.options import NotificationOptions
from bolt_app.services.notifications.service import NotificationService
from bolt_app.settings import SettingsError
from storage.notifications.values import ChannelKey

log = logging.getLogger(__name__)

SQS_BATCH = 10
_QUEUE_REGION = re.compile(r"^https://(?:sqs\.)?([a-z0-9-]+)\.(?:queue\.)?amazonaws\.com")


def worker_id() -> str:
    """Names this process in leases: host, pid, and a random part (a restarted pid is another worker)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True)
class WorkerOptions:
    notification: NotificationOptions = field(default_factory=NotificationOptions)
    queue_wait_seconds: int = 10  # long polling; also the most a SIGTERM waits for a receive in flight
    max_channels: int = 50  # channels delivered in parallel by one process
    poll_seconds: float = 2.0  # how often to look for deliveries stored by other processes
    reconcile: bool = True
    reconcile_check_seconds: float = 60.0
    shutdown_grace_seconds: float = 25.0


def _number(
    env: Mapping[str, str], name: str, default: float, low: float, high: float, problems: list[str]
) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:
        problems.append(f"{name}={raw!r} must be a number from {low:g} to {high:g}.")
        return default
    return value


def options_from_env(env: Mapping[str, str] | None = None) -> WorkerOptions:
    """Tuning from the environment; raises SettingsError naming every bad value."""
    env = os.environ if env is None else env
    problems: list[str] = []
    minutes = _number(env, "NOTIFICATIONS_RECONCILE_MINUTES", 15, 0, 24 * 60, problems)  # 0: never
    lease = _number(env, "NOTIFICATIONS_LEASE_SECONDS", 60, 1, 3600, problems)
    interval = _number(env, "NOTIFICATIONS_POST_INTERVAL_SECONDS", 1.0, 0, 60, problems)
    wait = _number(env, "NOTIFICATIONS_QUEUE_WAIT_SECONDS", 10, 0, 20, problems)
    channels = _number(env, "NOTIFICATIONS_MAX_CHANNELS", 50, 1, 1000, problems)
    if problems:
        raise SettingsError(problems)
    return WorkerOptions(
        notification=NotificationOptions(
            lease_seconds=lease, post_interval_seconds=interval, reconcile_interval_seconds=minutes * 60
        ),
        queue_wait_seconds=int(wait),
        max_channels=int(channels),
        reconcile=minutes > 0,
        reconcile_check_seconds=min(60.0, minutes * 60 / 4) or 60.0,
    )


async def _wait_for(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


# ---------------------------------------------------------------------------------------------------------------
# Delivery
# ---------------------------------------------------------------------------------------------------------------


class DeliveryLoop:
    def __init__(
        self, notifications: NotificationService, worker: str, options: WorkerOptions | None = None
    ) -> None:
        self.notifications = notifications
        self.worker = worker
        self.options = options or WorkerOptions()

    async def run(self, stop: asyncio.Event) -> None:
        tasks: dict[ChannelKey, asyncio.Task[int]] = {}
        try:
            while not stop.is_set():
                self._reap(tasks)
                self.notifications.wake.clear()
                free = self.options.max_channels - len(tasks)
                for key in await self._claim(free) if free > 0 else []:
                    if key in tasks:  # our own lease ran out while its task was starved: the task goes on
                        continue
                    tasks[key] = asyncio.create_task(
                        self.notifications.run_channel(self.worker, key, stop.is_set)
                    )
                await self._idle(stop, tasks)
            if tasks:  # each finishes the delivery in hand, then gives its channel back
                await asyncio.wait(tasks.values(), timeout=self.options.shutdown_grace_seconds)
        finally:
            for task in tasks.values():
                task.cancel()
            await asyncio.gather(*tasks.values(), return_exceptions=True)

    async def _claim(self, limit: int) -> list[ChannelKey]:
        try:
            return await self.notifications.claim_channels(self.worker, limit)
        except Exception:
            log.exception("could not claim channels")
            return []

    @staticmethod
    def _reap(tasks: dict[ChannelKey, asyncio.Task[int]]) -> None:
        for key, task in list(tasks.items()):
            if task.done():
                del tasks[key]
                if not task.cancelled() and task.exception() is not None:
                    log.error("channel %s stopped: %r", key.channel_id, task.exception())

    async def _idle(self, stop: asyncio.Event, tasks: dict[ChannelKey, asyncio.Task[int]]) -> None:
        """Until new work is announced, a channel task ends, the poll interval passes, or the loop stops."""
        waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(self.notifications.wake.wait())]
        try:
            await asyncio.wait(
                [*waiters, *tasks.values()],
                timeout=self.options.poll_seconds,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def drain(self) -> int:
        """Delivers until no channel has work that is due; returns how many deliveries were finished."""
        total = 0
        while True:
            claimed = await self.notifications.claim_channels(self.worker, self.options.max_channels)
            if not claimed:
                return total
            done = await asyncio.gather(
                *(self.notifications.run_channel(self.worker, key) for key in claimed)
            )
            total += sum(done)


def serve_deliveries(
    app: web.Application, notifications: NotificationService, options: WorkerOptions | None = None
) -> None:
    """Runs a delivery loop inside `serve` for events that arrive over HTTP (started and stopped with the app)."""
    loop = DeliveryLoop(notifications, worker_id(), options)
    serve_in_background(app, loop.run, (options or WorkerOptions()).shutdown_grace_seconds + 5)


def serve_in_background(
    app: web.Application, run: Callable[[asyncio.Event], Awaitable[None]], grace_seconds: float
) -> None:
    """Runs `run(stop)` while the app runs; on shutdown `stop` is set and the task given `grace_seconds`."""
    stop = asyncio.Event()
    running: list[asyncio.Task[None]] = []

    async def start(_: web.Application) -> None:
        running.append(asyncio.create_task(run(stop)))

    async def finish(_: web.Application) -> None:
        stop.set()
        for task in running:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, grace_seconds)

    app.on_startup.append(start)
    app.on_shutdown.append(finish)


# ---------------------------------------------------------------------------------------------------------------
# The queue
# ---------------------------------------------------------------------------------------------------------------


def queue_region(queue_url: str) -> str:
    m = _QUEUE_REGION.match(queue_url)
    if m:
        return m.group(1)
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def sqs_client(queue_url: str, wait_seconds: int) -> BaseClient:
    config = Config(
        connect_timeout=5, read_timeout=wait_seconds + 10, retries={"mode": "standard", "max_attempts": 4}
    )
    return botocore.session.get_session().create_client(
        "sqs", region_name=queue_region(queue_url), config=config
    )


@dataclass(frozen=True)
class BatchOutcome:
    received: int
    deleted: int
    left: int  # stay in the queue: back after the visibility timeout, then to the redrive policy


@dataclass(eq=False)
class QueueConsumer:
    sqs: BaseClient
    queue_url: str
    notifications: NotificationService
    wait_seconds: int = 10
    metrics: Metrics = field(default_factory=Metrics)

    async def run(self, stop: asyncio.Event) -> None:
        failures = 0
        while not stop.is_set():
            try:
                await self.poll_once()  # the batch in hand is finished even when a stop came in meanwhile
            except (ClientError, BotoCoreError) as e:
                failures += 1
                log.error("receiving from %s failed: %s", self.queue_url, e)
                await _wait_for(stop, min(2**failures, 60))
                continue
            except Exception:  # a bug must not end the consumer: what was not deleted comes back
                failures += 1
                log.exception("handling a batch from %s failed", self.queue_url)
                await _wait_for(stop, min(2**failures, 60))
                continue
            failures = 0

    async def poll_once(self) -> BatchOutcome:
        """One long poll, and the handling of what it brought."""
        messages = await asyncio.to_thread(self._receive)
        return await self.handle(messages)

    def _receive(self) -> list[dict[str, Any]]:
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=SQS_BATCH,
            WaitTimeSeconds=self.wait_seconds,
            MessageSystemAttributeNames=["ApproximateReceiveCount", "SenderId"],
        )
        return list(response.get("Messages") or [])

    async def handle(self, messages: Sequence[dict[str, Any]]) -> BatchOutcome:
        stored: list[dict[str, Any]] = []
        for message in messages:
            if await self._ingest(message):
                stored.append(message)
        deleted = await self._delete(stored)
        if messages:
            log.info(
                "batch of %d: %d stored and deleted, %d left in the queue",
                len(messages),
                deleted,
                len(messages) - deleted,
            )
        return BatchOutcome(len(messages), deleted, len(messages) - deleted)

    async def _ingest(self, message: dict[str, Any]) -> bool:
        """True once the message's event is stored. Whatever is wrong with one message (its body, its sender,
        the database) is logged and counted, and the message stays for the redrive policy: it never stops the
        consumer."""
        attributes = message.get("Attributes") or {}
        receives = attributes.get("ApproximateReceiveCount", "?")
        message_id = message.get("MessageId")
        try:
            event = decode_event(message.get("Body") or "")
            # The queue policy lets only the app's own rule send, from the app's bus, where EventBridge itself
            # sets `account`; the case ID, which AWS makes from the owning account, must agree with it.
            problem = sender_problem(event, case_account(event.case_id))
        except Exception as e:  # InvalidEvent, and whatever else a hostile body can raise
            self.metrics.queue_messages.labels("refused").inc()
            log.warning(
                "message %s (received %s times) is left to the redrive policy: %s",
                message_id,
                receives,
                e if isinstance(e, ValueError) else type(e).__name__,
            )
            return False
        if problem:
            self.metrics.queue_messages.labels("refused").inc()
            log.warning(
                "message %s from %s (received %s times) is left to the redrive policy: %s",
                message_id,
                attributes.get("SenderId", "?"),
                receives,
                problem,
            )
            return False
        try:
            await self.notifications.ingest(event, source="sqs")
        except Exception:
            self.metrics.queue_messages.labels("failed").inc()
            log.exception(
                "could not store event %s of message %s (received %s times); it stays in the queue",
                event.event_id,
                message_id,
                receives,
            )
            return False
        return True

    async def _delete(self, messages: Sequence[dict[str, Any]]) -> int:
        if not messages:
            return 0
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        try:
            response = await asyncio.to_thread(
                self.sqs.delete_message_batch, QueueUrl=self.queue_url, Entries=entries
            )
        except (ClientError, BotoCoreError) as e:
            # Stored already: when they come back, ingest recognises them as duplicates.
            log.error("deleting %d messages failed: %s", len(entries), e)
            return 0
        for failure in response.get("Failed") or []:
            log.warning("message %s not deleted: %s", failure.get("Id"), failure.get("Message"))
        return len(response.get("Successful") or [])


# ---------------------------------------------------------------------------------------------------------------
# Reconciliation
# ---------------------------------------------------------------------------------------------------------------


class Reconciler:
    def __init__(self, notifications: NotificationService, worker: str, check_seconds: float = 60.0) -> None:
        self.notifications = notifications
        self.worker = worker
        self.check_seconds = check_seconds

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                report = await self.notifications.reconcile(self.worker, stop.is_set)
                if report.events or report.failed_accounts:
                    log.info(
                        "reconciled %d accounts: %d cases, %d new events; failed: %s",
                        report.accounts,
                        report.cases,
                        report.events,
                        ", ".join(report.failed_accounts) or "none",
                    )
            except Exception:
                log.exception("reconciliation failed")
            await _wait_for(stop, self.check_seconds)


# ---------------------------------------------------------------------------------------------------------------
# The process
# ---------------------------------------------------------------------------------------------------------------


async def run_worker(
    notifications: NotificationService,
    queue_url: str | None,
    options: WorkerOptions,
    audit_log: AuditLog | None = None,
    deferred: DeferredCases | None = None,
) -> int:
    """Delivers, consumes `queue_url` (when set), reconciles, prunes the audit trail (`audit_log`) and creates
    the cases AWS deferred (`deferred`) until SIGTERM or SIGINT; the caller owns (and closes) what
    `notifications` stands on."""
    me = worker_id()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    work = [asyncio.create_task(DeliveryLoop(notifications, me, options).run(stop))]
    if queue_url:
        sqs = sqs_client(queue_url, options.queue_wait_seconds)
        consumer = QueueConsumer(sqs, queue_url, notifications, options.queue_wait_seconds)
        work.append(asyncio.create_task(consumer.run(stop)))
    else:
        log.warning("NOTIFICATIONS_QUEUE_URL is not set: delivering and reconciling only")
    background = []
    if options.reconcile:
        reconciler = Reconciler(notifications, me, options.reconcile_check_seconds)
        background.append(asyncio.create_task(reconciler.run(stop)))
    if audit_log is not None:
        background.append(asyncio.create_task(audit_log.keep_pruned(stop)))
    if deferred is not None:
        background.append(asyncio.create_task(deferred.run(me, stop)))
    log.info("worker %s started", me)
    try:
        await asyncio.gather(*work)
    finally:
        stop.set()
        # The reconciler stops between accounts; one stuck on AWS is cancelled after the grace period.
        _, late = (
            await asyncio.wait(background, timeout=options.shutdown_grace_seconds) if background else ((), ())
        )
        for task in late:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
    log.info("worker %s stopped", me)
    return 0
