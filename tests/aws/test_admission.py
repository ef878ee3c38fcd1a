"""The per-process limit on AWS-bound listener runs: beyond it work waits its turn and is then done, one account
cannot take every place, and a waiting user is told their place through the budget's notice."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from bolt_app.aws.admission import Admission
from bolt_app.aws.admission import current_ticket
from bolt_app.aws.admission import ticket
from bolt_app.aws.budget import AwsBudget
from bolt_app.aws.budget import CallSite
from bolt_app.aws.budget import waiting_notice
from listeners.requests import on_click
from listeners.requests import on_options

BUSY, CALM = "111111111111", "222222222222"


def site(account: str) -> CallSite:
    return CallSite(account, f"arn:aws:iam::{account}:role/R", "ext", "support", "us-east-1")


class HeldClient:
    """Every call blocks until `release` is set: runs stay admitted as long as the test wants."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.calls: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def create_case(self, **params: Any) -> dict[str, Any]:
        with self._lock:
            self.calls.append(params)
        self.release.wait(10)
        return {"caseId": str(params["n"])}


async def until(condition: Any, within: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.005)


async def run(
    budget: AwsBudget, account: str, client: HeldClient, n: int, told: list[int] | None = None
) -> str:
    """One listener run: a ticket, then its AWS call."""

    async def tell(place: int) -> None:
        if told is not None:
            told.append(place)

    with ticket(), waiting_notice(tell):
        answer = await budget.write(site(account), client, "create_case", {"n": n})
    return str(answer["caseId"])


async def test_work_beyond_the_limit_waits_is_told_its_place_and_is_then_done() -> None:
    budget = AwsBudget(admission_limit=4, support_rate=1000.0)
    try:
        client = HeldClient()
        told: dict[int, list[int]] = {n: [] for n in range(6)}
        runs = [asyncio.create_task(run(budget, BUSY, client, n, told[n])) for n in range(6)]
        await until(lambda: budget.admission.waiting == 4)
        assert budget.admission.admitted == 2  # one account holds at most half of the 4 places
        await asyncio.sleep(0.05)
        assert len(client.calls) == 2  # nothing beyond the places reached AWS
        assert [told[n] for n in range(2, 6)] == [[1], [2], [3], [4]]
        client.release.set()
        assert sorted(await asyncio.gather(*runs)) == [str(n) for n in range(6)]
        assert (budget.admission.admitted, budget.admission.waiting) == (0, 0)
        assert told[0] == told[1] == []  # admitted at once: nothing to tell
    finally:
        budget.close()


async def test_an_account_flooding_the_process_does_not_keep_another_accounts_request_waiting() -> None:
    budget = AwsBudget(admission_limit=4, support_rate=1000.0)
    try:
        busy, calm = HeldClient(), HeldClient()
        flood = [asyncio.create_task(run(budget, BUSY, busy, n)) for n in range(20)]
        await until(lambda: budget.admission.waiting == 18)
        calm.release.set()
        assert await asyncio.wait_for(run(budget, CALM, calm, 99), 5) == "99"  # while the flood still waits
        assert budget.admission.waiting == 18 and len(busy.calls) == 2
        busy.release.set()
        assert len(await asyncio.gather(*flood)) == 20
    finally:
        budget.close()


async def test_a_freed_place_goes_to_the_account_whose_turn_it_is() -> None:
    admission = Admission(limit=2, share=1.0)
    order: list[str] = []

    async def enter(key: str) -> None:
        await admission.enter(key)
        order.append(key)

    await admission.enter("a")
    await admission.enter("a")  # both places taken
    waiting = [asyncio.create_task(enter(k)) for k in ("a", "a", "a", "b")]
    await until(lambda: admission.waiting == 4)
    for _ in range(4):
        admission.leave("a")
        await asyncio.sleep(0)
    await asyncio.gather(*waiting)
    assert order[:2] == ["a", "b"]  # b came last, and is served second, not behind a's whole line


async def test_a_run_that_gives_up_while_waiting_frees_its_place_in_line() -> None:
    admission = Admission(limit=1)
    await admission.enter("a")
    gave_up = asyncio.create_task(admission.enter("a"))
    after = asyncio.create_task(admission.enter("b"))
    await until(lambda: admission.waiting == 2)
    gave_up.cancel()
    admission.leave("a")
    await asyncio.wait_for(after, 5)
    assert (admission.admitted, admission.waiting) == (1, 0)


async def test_a_task_that_outlives_its_run_takes_no_place_of_its_own() -> None:
    admission = Admission(limit=1)
    with ticket() as held:
        await held.enter(admission, "a", None)
        assert admission.admitted == 1
    assert admission.admitted == 0
    await asyncio.wait_for(held.enter(admission, "a", None), 1)  # after the run: passes, holds nothing
    assert (admission.admitted, admission.waiting) == (0, 0)


async def test_click_and_submission_handlers_count_as_admitted_work_and_options_never_wait_for_it() -> None:
    seen: dict[str, object] = {}

    async def ack(**_: Any) -> None:
        return None

    @on_click()
    async def clicked(click: Any) -> None:
        seen["click"] = current_ticket()

    @on_options
    async def options(request: Any) -> list[dict[str, Any]]:
        seen["options"] = current_ticket()
        return []

    await clicked(ack=ack, client=None, context={}, action={}, body={}, respond=None)
    await options(ack=ack, client=None, context={}, body={})
    assert seen["click"] is not None and seen["options"] is None
