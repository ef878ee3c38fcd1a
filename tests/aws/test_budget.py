"""The AWS budget on its own: pacing per account, priorities, single-flight, retries, patience, notices.

The client here is a plain object with blocking methods (what the budget calls on its thread pool); the budget
with the real double and the real app is tested in tests/listeners/test_surge.py and tests/services/cases."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.exceptions import ConnectionClosedError

from bolt_app.aws import budget as budget_module
from bolt_app.aws.budget import AwsBudget
from bolt_app.aws.budget import AwsBusy
from bolt_app.aws.budget import CallSite
from bolt_app.aws.budget import Pacer
from bolt_app.aws.budget import Priority
from bolt_app.aws.budget import background
from bolt_app.aws.budget import patience
from bolt_app.aws.budget import waiting_notice

RATE = 50.0  # calls per second in these tests: 20 ms apart (scaled by the budget's margin)


def site(account: str = "111122223333", service: str = "support") -> CallSite:
    return CallSite(account, f"arn:aws:iam::{account}:role/R", "ext", service, "us-east-1")


def throttled(code: str = "ThrottlingException") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "Rate exceeded"}}, "DescribeCases")


class FakeClient:
    """Records when each call started; answers from `script` (an exception to raise or a value) in order."""

    def __init__(self, *script: Any, hold: threading.Event | None = None) -> None:
        self.script = list(script)
        self.started: list[tuple[float, dict[str, Any]]] = []
        self.hold = hold
        self._lock = threading.Lock()

    def describe_cases(self, **params: Any) -> dict[str, Any]:
        with self._lock:
            self.started.append((time.monotonic(), params))
            answer = self.script.pop(0) if self.script else {"cases": [], "asked": params}
        if self.hold is not None:
            self.hold.wait(5)
        if isinstance(answer, Exception):
            raise answer
        return dict(answer)

    create_case = describe_cases


@contextlib.contextmanager
def budget_of(**options: Any) -> Iterator[AwsBudget]:
    made = AwsBudget(**options)
    try:
        yield made
    finally:
        made.close()


def queued_reads(budget: AwsBudget, client: FakeClient, count: int) -> list[asyncio.Task[Any]]:
    """`count` background DescribeCases reads of one account, {"n": 0} first, started in that order."""
    return [
        asyncio.create_task(budget.read(site(), client, "describe_cases", {"n": i})) for i in range(count)
    ]


@pytest.fixture
def budget() -> Iterator[AwsBudget]:
    with budget_of(support_rate=RATE) as made:
        yield made


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(budget_module, "_backoff", lambda attempt: 0.01)


async def test_calls_of_one_account_start_at_most_at_its_rate(budget: AwsBudget) -> None:
    client = FakeClient()
    await asyncio.gather(*(budget.read(site(), client, "describe_cases", {"n": i}) for i in range(10)))
    assert len(client.started) == 10
    pacer = budget.pacer(site(), "describe_cases")
    assert pacer.interval == pytest.approx(1 / (RATE * budget_module.RATE_MARGIN))


async def test_a_pacer_lets_one_start_per_interval() -> None:
    """A start can only be seen late, never early: the span from the first (immediate) start to the last
    is at least the intervals between them, whatever the load."""
    pacer = Pacer(interval=0.02)
    loop = asyncio.get_running_loop()
    starts: list[float] = []

    async def start() -> None:
        await pacer.take()
        starts.append(loop.time())

    await asyncio.gather(*(start() for _ in range(10)))
    assert max(starts) - min(starts) >= 9 * 0.02 * 0.95


async def test_another_account_is_not_behind_a_busy_one(budget: AwsBudget) -> None:
    busy, calm = FakeClient(), FakeClient()
    queued = [
        asyncio.create_task(budget.read(site("111111111111"), busy, "describe_cases", {"n": i}))
        for i in range(20)
    ]
    await budget.read(site("222222222222"), calm, "describe_cases", {})
    assert sum(not t.done() for t in queued) >= 10  # the busy account is still working through its line
    await asyncio.gather(*queued)


async def test_users_go_before_background_work(budget: AwsBudget) -> None:
    client = FakeClient()
    pacer = budget.pacer(site(), "describe_cases")
    await pacer.take()  # the next turn is 20 ms away: everyone below queues

    async def read(n: int) -> None:
        await budget.read(site(), client, "describe_cases", {"n": n})

    async def later(n: int) -> None:
        with background():
            await read(n)

    await asyncio.gather(later(0), later(1), read(2), read(3))
    assert [p["n"] for _, p in client.started] == [2, 3, 0, 1]


async def test_identical_reads_in_flight_are_made_once(budget: AwsBudget) -> None:
    hold = threading.Event()
    client = FakeClient(hold=hold)
    first = asyncio.create_task(budget.read(site(), client, "describe_cases", {"caseIdList": ["c1"]}))
    others = [
        asyncio.create_task(budget.read(site(), client, "describe_cases", {"caseIdList": ["c1"]}))
        for _ in range(4)
    ]
    different = asyncio.create_task(budget.read(site(), client, "describe_cases", {"caseIdList": ["c2"]}))
    for _ in range(1000):  # bounded: the four join the first one's flight within a few loop turns
        if budget.shared_reads >= 4:
            break
        await asyncio.sleep(0.005)
    hold.set()
    answers = await asyncio.gather(first, *others, different)
    assert len(client.started) == 2
    assert answers[0] == answers[1] and answers[0] is not answers[1]  # each caller has its own copy
    assert answers[-1]["asked"] == {"caseIdList": ["c2"]}


async def test_another_role_never_shares_a_read(budget: AwsBudget) -> None:
    client = FakeClient(hold=threading.Event())
    client.hold.set()  # type: ignore[union-attr]
    other_role = CallSite(
        "111122223333", "arn:aws:iam::111122223333:role/Other", "ext", "support", "us-east-1"
    )
    await asyncio.gather(
        budget.read(site(), client, "describe_cases", {}),
        budget.read(other_role, client, "describe_cases", {}),
    )
    assert len(client.started) == 2 and budget.shared_reads == 0


async def test_a_throttled_read_is_retried_and_the_account_slows_down(budget: AwsBudget) -> None:
    client = FakeClient(throttled(), throttled("TooManyRequestsException"), {"cases": ["ok"]})
    assert await budget.read(site(), client, "describe_cases", {}) == {"cases": ["ok"]}
    assert len(client.started) == 3


async def test_a_read_gives_up_after_its_attempts(budget: AwsBudget) -> None:
    client = FakeClient(*[throttled()] * 10)
    with pytest.raises(ClientError):
        await budget.read(site(), client, "describe_cases", {})
    assert len(client.started) == budget_module.READ_ATTEMPTS


async def test_a_write_is_resent_after_a_throttle_but_never_after_a_lost_answer(budget: AwsBudget) -> None:
    client = FakeClient(throttled(), {"caseId": "c1"})
    assert await budget.write(site(), client, "create_case", {}) == {"caseId": "c1"}
    assert len(client.started) == 2

    lost = FakeClient(ConnectionClosedError(endpoint_url="https://support"), {"caseId": "c2"})
    with pytest.raises(ConnectionClosedError):
        await budget.write(site(), lost, "create_case", {})
    assert len(lost.started) == 1


async def test_a_user_request_beyond_patience_is_refused_at_once() -> None:
    with budget_of(support_rate=1.0, patience_seconds=2.0) as budget:
        client = FakeClient()
        waiting = queued_reads(budget, client, 4)
        await asyncio.sleep(0)  # they queue
        with pytest.raises(AwsBusy, match="AWS is busy for account 111122223333"):
            await budget.read(site(), client, "describe_cases", {"n": 99})
        for task in waiting:
            task.cancel()


async def test_background_work_in_line_does_not_make_a_user_wait_or_refused() -> None:
    with budget_of(support_rate=2.0, patience_seconds=1.0) as budget:
        client = FakeClient()
        with background():
            queued = queued_reads(budget, client, 6)
        await asyncio.sleep(0)
        await budget.read(site(), client, "describe_cases", {"user": True})  # not refused: it goes first
        assert client.started[1][1] == {"user": True}
        for task in queued:
            task.cancel()


async def test_an_options_request_does_not_wait_beyond_its_own_patience() -> None:
    with budget_of(support_rate=2.0) as budget:
        client = FakeClient()
        waiting = queued_reads(budget, client, 4)
        await asyncio.sleep(0)
        with patience(1.0), pytest.raises(AwsBusy):
            await budget.read(site(), client, "describe_cases", {"n": 99})
        await asyncio.gather(*waiting)  # without a patience of its own a user waits its turn
        assert len(client.started) == 4


async def test_a_waiting_caller_is_told_its_place_in_line() -> None:
    pacer = Pacer(interval=0.4)
    await pacer.take()
    places: list[int] = []

    async def told(place: int) -> None:
        places.append(place)

    async def wait_in_line() -> None:
        with waiting_notice(told):
            await pacer.take(Priority.USER, told)

    others = [asyncio.create_task(pacer.take()) for _ in range(3)]
    await asyncio.sleep(0)
    await wait_in_line()
    await asyncio.gather(*others)
    assert places and places[0] == 4  # three ahead of it, told at once


async def test_everyone_waiting_on_one_shared_read_is_told_its_place() -> None:
    with budget_of(support_rate=2.0) as budget:
        client = FakeClient()
        ahead = queued_reads(budget, client, 3)
        await asyncio.sleep(0)
        told: dict[str, list[int]] = {"first": [], "joiner": []}

        def teller(who: str) -> Any:
            async def tell(place: int) -> None:
                told[who].append(place)

            return tell

        async def search(who: str) -> dict[str, Any]:
            with waiting_notice(teller(who)):
                return await budget.read(site(), client, "describe_cases", {"same": True})

        first = asyncio.create_task(search("first"))
        for _ in range(200):  # bounded: the first caller is told at once that it waits
            if told["first"]:
                break
            await asyncio.sleep(0.005)
        joiner = asyncio.create_task(search("joiner"))
        await asyncio.gather(first, joiner, *ahead)
        assert told["first"] and told["joiner"] and told["joiner"][0] == told["first"][0]
        assert len(client.started) == 4 and budget.shared_reads == 1


class ManualClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("waited", "order"), [(25.0, ["u0", "u1", "u2", "bg"]), (30.0, ["bg", "u0", "u1", "u2"])]
)
async def test_background_work_that_waited_long_enough_goes_before_users_who_came_later(
    waited: float, order: list[str]
) -> None:
    clock = ManualClock()
    pacer = Pacer(interval=0.01, clock=clock, promote_after=30.0)
    await pacer.take()  # the next turn is 10 ms away: everyone below queues
    started: list[str] = []

    async def take(name: str, priority: Priority) -> None:
        await pacer.take(priority)
        started.append(name)
        clock.now += 1.0  # the next turn is due

    background_waiter = asyncio.create_task(take("bg", Priority.BACKGROUND))
    await asyncio.sleep(0)
    users = [asyncio.create_task(take(f"u{n}", Priority.USER)) for n in range(3)]
    await asyncio.sleep(0)
    assert pacer.waiting == 4 and not started
    clock.now = waited  # before the dispatcher's next turn (it sleeps the 10 ms of the first)
    await asyncio.gather(background_waiter, *users)
    assert started == order
