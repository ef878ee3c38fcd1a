"""`aws-support-slack worker`: the SQS consumer in process, and real worker processes on one queue (moto SQS,
moto Support with IAM enforcement, the fake Slack Web API), killed, restarted and stopped with SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bolt_app.notifications_worker import DeliveryLoop
from bolt_app.notifications_worker import QueueConsumer
from bolt_app.notifications_worker import WorkerOptions
from bolt_app.notifications_worker import options_from_env
from bolt_app.notifications_worker import sqs_client
from bolt_app.services.notifications.events import CREATE
from bolt_app.settings import SettingsError
from storage.workspaces import ChannelKey
from storage.workspaces import WorkspaceKey
from tests.fakes.aws import APP_ACCOUNT_ID
from tests.fakes.aws import APP_USER_NAME
from tests.fakes.aws import AwsDouble
from tests.fakes.aws import allowing
from tests.helpers.notification_world import ACCOUNT
from tests.helpers.notification_world import CLIENT_ID
from tests.helpers.notification_world import World
from tests.helpers.notification_world import case_of
from tests.helpers.notification_world import configured_world
from tests.helpers.notification_world import event_body
from tests.helpers.notification_world import notification_world

# DeleteMessageBatch is authorized as sqs:DeleteMessage on AWS; moto checks the operation's own name.
WORKER_QUEUE_POLICY = allowing(
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:DeleteMessageBatch",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
)


@dataclass(frozen=True)
class Queue:
    url: str
    dead_letters_url: str


def make_queue(aws: AwsDouble, name: str, *, visibility: int, max_receives: int = 3) -> Queue:
    """The notifications queue with a dead-letter queue, and the app's identity allowed to consume it."""
    aws.admin(APP_ACCOUNT_ID, "iam").put_user_policy(
        UserName=APP_USER_NAME,
        PolicyName="NotificationsQueue",
        PolicyDocument=json.dumps(WORKER_QUEUE_POLICY),
    )
    sqs = aws.admin(APP_ACCOUNT_ID, "sqs")
    dead = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": str(max_receives)})
    url = sqs.create_queue(
        QueueName=name, Attributes={"VisibilityTimeout": str(visibility), "RedrivePolicy": redrive}
    )["QueueUrl"]
    return Queue(url, dead)


def send(aws: AwsDouble, queue: Queue, bodies: list[Any]) -> None:
    sqs = aws.admin(APP_ACCOUNT_ID, "sqs")
    for start in range(0, len(bodies), 10):
        entries = [
            {"Id": str(i), "MessageBody": body if isinstance(body, str) else json.dumps(body)}
            for i, body in enumerate(bodies[start : start + 10])
        ]
        assert not sqs.send_message_batch(QueueUrl=queue.url, Entries=entries).get("Failed")


def queue_depth(aws: AwsDouble, url: str) -> int:
    attributes = aws.admin(APP_ACCOUNT_ID, "sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


async def eventually(
    condition: Callable[[], Awaitable[bool]], within: float, what: str, *logs: WorkerProcess
) -> None:
    """Waits for `condition` (checked every 50 ms), at most `within` seconds."""
    deadline = time.monotonic() + within
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"within {within}s: {what}\n" + "\n".join(w.log()[-20000:] for w in logs))
        await asyncio.sleep(0.05)


# ---------------------------------------------------------------------------------------------------------------
# The consumer, in process
# ---------------------------------------------------------------------------------------------------------------


def test_worker_tuning_is_read_from_the_environment() -> None:
    options = options_from_env({"NOTIFICATIONS_RECONCILE_MINUTES": "5", "NOTIFICATIONS_LEASE_SECONDS": "20"})
    assert options.notification.reconcile_interval_seconds == 300 and options.notification.lease_seconds == 20
    assert options_from_env({}).notification.reconcile_interval_seconds == 15 * 60
    assert not options_from_env({"NOTIFICATIONS_RECONCILE_MINUTES": "0"}).reconcile
    with pytest.raises(SettingsError) as bad:
        options_from_env(
            {"NOTIFICATIONS_RECONCILE_MINUTES": "soon", "NOTIFICATIONS_QUEUE_WAIT_SECONDS": "30"}
        )
    assert len(bad.value.problems) == 2


async def test_a_message_is_deleted_once_stored_and_a_bad_one_is_left_to_the_redrive_policy(
    sqlite_url: str, aws: AwsDouble
) -> None:
    async with configured_world(sqlite_url, aws) as world:
        queue = make_queue(aws, "notifications", visibility=0, max_receives=2)
        cases = [world.put_case() for _ in range(3)]
        send(aws, queue, [event_body(CREATE, c) for c in cases] + ['{"source": "aws.ec2"}'])
        consumer = QueueConsumer(sqs_client(queue.url, 0), queue.url, world.notifications, wait_seconds=0)

        first = await consumer.poll_once()
        assert (first.received, first.deleted, first.left) == (4, 3, 1)
        outcomes = [await consumer.poll_once() for _ in range(3)]
        assert [(o.received, o.left) for o in outcomes] == [(1, 1), (0, 0), (0, 0)]  # then redriven
        assert queue_depth(aws, queue.url) == 0 and queue_depth(aws, queue.dead_letters_url) == 1
        await world.deliver()
        assert sorted(case_of(c) for c in world.posts()) == sorted(cases)


async def test_a_message_whose_event_cannot_be_stored_stays_in_the_queue(
    sqlite_url: str, aws: AwsDouble
) -> None:
    async with configured_world(sqlite_url, aws) as world:
        queue = make_queue(aws, "notifications", visibility=0)
        case = world.put_case()
        send(aws, queue, [event_body(CREATE, case)])
        consumer = QueueConsumer(sqs_client(queue.url, 0), queue.url, world.notifications, wait_seconds=0)
        async with world.services.engine.begin() as conn:  # storing fails from now on (receiving does not)
            await conn.execute(text("ALTER TABLE notification_events RENAME TO notification_events_away"))

        failed = await consumer.poll_once()
        assert (failed.received, failed.deleted, failed.left) == (1, 0, 1)
        assert queue_depth(aws, queue.url) == 1

        async with world.services.engine.begin() as conn:
            await conn.execute(text("ALTER TABLE notification_events_away RENAME TO notification_events"))
        stored = await consumer.poll_once()
        assert (stored.received, stored.deleted) == (1, 1) and queue_depth(aws, queue.url) == 0
        await world.deliver()
        assert [case_of(c) for c in world.posts()] == [case]


OTHER_ACCOUNT = "310987654321"
# What a hostile or broken sender can put on the queue; each must be left for redrive, none may stop the worker.
HOSTILE_BODIES = {
    "nested": "[" * 100_000,  # json.loads raises RecursionError
    "one MiB": json.dumps({"source": "aws.support", "padding": "x" * (1024 * 1024 - 100)}),
    "array": "[1, 2, 3]",
    "string": '"Support Case Update"',
    "null": "null",
    "number": "12",
}


async def test_no_message_stops_the_consumer_and_each_bad_one_is_left_to_the_redrive_policy(
    sqlite_url: str, aws: AwsDouble
) -> None:
    async with configured_world(sqlite_url, aws) as world:
        queue = make_queue(aws, "notifications", visibility=0, max_receives=1)
        valid = world.put_case()
        of_another = world.put_case(account=OTHER_ACCOUNT)
        forged = [
            event_body(CREATE, of_another, account=ACCOUNT),  # the case ID names the account that sent it
            event_body(CREATE, "case-made-up", account=ACCOUNT),  # names no account at all
        ]
        for body in [*HOSTILE_BODIES.values(), *forged, event_body(CREATE, valid)]:
            send(aws, queue, [body])  # one per request: a batch is at most 1 MiB
        consumer = QueueConsumer(sqs_client(queue.url, 0), queue.url, world.notifications, wait_seconds=0)
        stop = asyncio.Event()
        running = asyncio.create_task(consumer.run(stop))
        bad = len(HOSTILE_BODIES) + len(forged)
        try:

            async def settled() -> bool:
                await world.deliver()
                return bool(world.posts()) and queue_depth(aws, queue.dead_letters_url) == bad

            await eventually(settled, 30, "the valid event is delivered and every bad message redriven")
            assert not running.done()  # still consuming
        finally:
            stop.set()
            await asyncio.wait_for(running, 10)
        assert [case_of(c) for c in world.posts()] == [valid]
        assert queue_depth(aws, queue.url) == 0
        assert consumer.metrics.count("queue_messages", outcome="refused") >= bad


async def test_a_body_that_is_not_utf8_is_left_to_the_redrive_policy(sqlite_url: str, aws: AwsDouble) -> None:
    # SQS refuses such bodies on send; a message decoded from one reaches the consumer with lone surrogates.
    async with notification_world(sqlite_url, aws) as world:
        queue = make_queue(aws, "notifications", visibility=0)
        consumer = QueueConsumer(sqs_client(queue.url, 0), queue.url, world.notifications, wait_seconds=0)
        message = {"MessageId": "m-1", "ReceiptHandle": "r-1", "Body": '{"source": "\udcff"}'}
        outcome = await consumer.handle([message])
        assert (outcome.received, outcome.deleted, outcome.left) == (1, 0, 1)
        assert consumer.metrics.count("queue_messages", outcome="refused") == 1


# ---------------------------------------------------------------------------------------------------------------
# Worker processes
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def worker_env(world: World, queue: Queue, **tuning: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "AWS_", "NOTIFICATIONS_"))}
    return (
        env
        | world.aws.env
        | {
            "DATABASE_URL": world.services.settings.database_url,
            "TOKEN_ENCRYPTION_KEY": world.services.settings.token_encryption_keys[0],
            "SLACK_API_URL": world.slack.base_url,
            "SLACK_CLIENT_ID": CLIENT_ID,
            "SLACK_CLIENT_SECRET": "client-secret",
            "NOTIFICATIONS_QUEUE_URL": queue.url,
            "NOTIFICATIONS_QUEUE_WAIT_SECONDS": "1",
            "NOTIFICATIONS_RECONCILE_MINUTES": "0",
            "NOTIFICATIONS_POST_INTERVAL_SECONDS": "0.02",
        }
        | tuning
    )


@contextmanager
def workers(env: dict[str, str], tmp_path: Path, count: int = 1) -> Iterator[list[WorkerProcess]]:
    started: list[WorkerProcess] = []
    try:
        for _ in range(count):
            started.append(start_worker(env, tmp_path))
        yield started
    finally:
        for worker in started:
            if worker.process.poll() is None:
                worker.process.kill()
                worker.process.wait()


def start_worker(env: dict[str, str], tmp_path: Path) -> WorkerProcess:
    log_path = tmp_path / f"worker-{time.monotonic_ns()}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bolt_app.cli", "worker"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return WorkerProcess(process, log_path)


async def exit_code(worker: WorkerProcess, within: float = 20.0) -> int:
    try:
        return await asyncio.to_thread(worker.process.wait, within)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"the worker did not exit within {within}s:\n{worker.log()}") from None


def ok_posts(world: World) -> list[Any]:
    return world.posts()


async def setup_channels(world: World, accounts: int) -> list[tuple[str, str]]:
    """(account, channel) pairs, one channel per account, each with its own role."""
    await world.workspace()
    pairs = []
    for i in range(accounts):
        account, channel = f"4000000000{i:02d}", f"CW{i:03d}"
        await world.configure(channel, account=account, role=world.role(account))
        pairs.append((account, channel))
    return pairs


def old_case(world: World, account: str) -> str:
    return world.put_case(account, time_created=world.aws.support.now() - timedelta(days=2))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_workers_on_one_queue_make_every_delivery_exactly_once(
    database_url: str, aws: AwsDouble, tmp_path: Path
) -> None:
    async with notification_world(database_url, aws) as world:
        pairs = await setup_channels(world, 10)
        cases = {
            old_case(world, account): (account, channel) for account, channel in pairs for _ in range(20)
        }
        bodies = [event_body(CREATE, case_id, account=account) for case_id, (account, _) in cases.items()]
        # AWS sometimes sends a change again with a new ID: twenty of them, to be recognised across processes.
        bodies += [
            event_body(CREATE, case_id, account=account) for case_id, (account, _) in list(cases.items())[:20]
        ]
        queue = make_queue(aws, "notifications", visibility=30)
        env = worker_env(world, queue, NOTIFICATIONS_LEASE_SECONDS="30")

        with workers(env, tmp_path, count=2) as running:
            for worker in running:
                await eventually(lambda w=worker: _async("started" in w.log()), 30, "the worker started")
            send(aws, queue, bodies)
            await world.slack.wait_for(
                "chat.postMessage", count=len(cases), timeout=60, where=lambda c: not c.failed
            )
            await eventually(lambda: _nothing_open(world), 30, "every delivery finished")
            await eventually(lambda: _async(queue_depth(aws, queue.url) == 0), 30, "the queue is empty")
            for worker in running:
                worker.process.send_signal(signal.SIGTERM)
            assert [await exit_code(w) for w in running] == [0, 0], [w.log() for w in running]
        assert all("stored and deleted" in w.log() for w in running)  # both took batches from the queue
        assert not [w.log() for w in running if " ERROR " in w.log()]

        posted = Counter(case_of(c) for c in world.posts())
        assert set(posted) == set(cases) and set(posted.values()) == {1}
        assert Counter(c.params["channel"] for c in world.posts()) == Counter({ch: 20 for _, ch in pairs})
        assert {d.state for d in await world.deliveries.deliveries()} == {"posted"}


async def _nothing_open(world: World) -> bool:
    return await world.deliveries.count_open() == 0


async def _async(value: bool) -> bool:
    return value


async def test_a_worker_killed_mid_batch_and_restarted_loses_nothing(
    sqlite_url: str, aws: AwsDouble, tmp_path: Path
) -> None:
    async with notification_world(sqlite_url, aws) as world:
        pairs = await setup_channels(world, 3)
        cases = {old_case(world, account): account for account, _ in pairs for _ in range(10)}
        queue = make_queue(aws, "notifications", visibility=2)
        send(aws, queue, [event_body(CREATE, case_id, account=account) for case_id, account in cases.items()])
        # Slow enough posting that the kill lands while deliveries are under way; short leases to take over fast.
        env = worker_env(
            world, queue, NOTIFICATIONS_LEASE_SECONDS="2", NOTIFICATIONS_POST_INTERVAL_SECONDS="0.2"
        )
        held = aws.gate("sqs", "DeleteMessageBatch")  # the first batch is stored but never deleted

        with workers(env, tmp_path) as [first]:
            assert await asyncio.to_thread(held.wait_reached, 30), first.log()
            await world.slack.wait_for("chat.postMessage", count=3, timeout=30, where=lambda c: not c.failed)
            first.process.kill()  # SIGKILL: no handler runs, leases and the batch are left as they are
            await asyncio.to_thread(first.process.wait, 10)
        posted_before = len(world.posts())
        assert posted_before < len(cases)  # it really died mid-way

        with workers(env, tmp_path) as [second]:
            await eventually(
                lambda: _async({case_of(c) for c in world.posts()} >= set(cases)),
                60,
                "every case posted",
                second,
            )
            await eventually(lambda: _nothing_open(world), 30, "every delivery finished", second)
            await eventually(
                lambda: _async(queue_depth(aws, queue.url) == 0), 30, "the queue is empty", second
            )
            second.process.send_signal(signal.SIGTERM)
            assert await exit_code(second) == 0, second.log()
        held.release()
        assert " ERROR " not in second.log(), second.log()

        posted = Counter(case_of(c) for c in world.posts())
        assert set(posted) == set(cases)
        # Only a post Slack accepted just before the kill, not yet recorded, can repeat: one per channel at most.
        assert sum(n - 1 for n in posted.values()) <= len(pairs)


async def test_sigterm_finishes_the_batch_in_hand_and_exits(
    sqlite_url: str, aws: AwsDouble, tmp_path: Path
) -> None:
    async with notification_world(sqlite_url, aws) as world:
        pairs = await setup_channels(world, 1)
        account = pairs[0][0]
        cases = [old_case(world, account) for _ in range(10)]
        queue = make_queue(aws, "notifications", visibility=30)
        send(aws, queue, [event_body(CREATE, c, account=account) for c in cases])
        held = aws.gate("sqs", "DeleteMessageBatch")
        with workers(worker_env(world, queue), tmp_path) as [worker]:
            assert await asyncio.to_thread(held.wait_reached, 30), worker.log()
            worker.process.send_signal(signal.SIGTERM)  # while the batch is stored but not yet deleted
            held.release()
            assert await exit_code(worker) == 0, worker.log()
        assert queue_depth(aws, queue.url) == 0  # deleted, none left invisible
        assert len(await world.deliveries.deliveries()) == 10
        assert "stopped" in worker.log()


class _ReclaimingNotifications:
    """Hands out the same channel at every claim, as the database does when this process's own lease ran out
    while the channel's task was starved of the CPU."""

    def __init__(self, key: ChannelKey) -> None:
        self.key = key
        self.wake = asyncio.Event()
        self.claims = 0
        self.started = 0
        self.finish = asyncio.Event()
        self.claimed_five_times = asyncio.Event()

    async def claim_channels(self, worker: str, limit: int) -> list[ChannelKey]:
        self.claims += 1
        if self.claims >= 5:
            self.claimed_five_times.set()
        self.wake.set()  # claim again at once
        return [self.key]

    async def run_channel(self, worker: str, channel: ChannelKey, stopping: Callable[[], bool]) -> int:
        self.started += 1
        await self.finish.wait()
        return 1


async def test_a_channel_claimed_again_while_its_task_runs_gets_no_second_task() -> None:
    key = ChannelKey(WorkspaceKey("", "T0001"), "C0001")
    notifications = _ReclaimingNotifications(key)
    loop = DeliveryLoop(notifications, "worker-1", WorkerOptions(poll_seconds=0.01))  # type: ignore[arg-type]
    stop = asyncio.Event()
    running = asyncio.create_task(loop.run(stop))
    await asyncio.wait_for(notifications.claimed_five_times.wait(), 10)
    assert notifications.started == 1  # two tasks on one channel would post its deliveries twice
    notifications.finish.set()
    stop.set()
    await asyncio.wait_for(running, 10)
