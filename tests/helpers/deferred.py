"""Deferred case creations in tests: a drainer of the app's own parts on a clock the test moves, and the rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from bolt_app.services.cases.deferred import DeferredCases
from storage.deferred_cases import DeferredCaseRepository
from storage.deferred_cases import DeferredCaseRow
from tests.helpers.app import AppHarness


@dataclass
class MovedClock:
    """The system's time plus `offset` (the drainer's view of "now"). With `aws`, the double's Support clock
    moves along (cases are created, and looked for, at the same time by both)."""

    offset: timedelta = field(default_factory=timedelta)
    aws: Any = None

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def move(self, **delta: float) -> None:
        step = timedelta(**delta)
        self.offset += step
        if self.aws is not None:
            self.aws.advance_time(step.total_seconds())


class Died(BaseException):
    """A process dying at a checkpoint: nothing after it runs, no handler of `Exception` sees it."""


def dies_at(step: str) -> Callable[[str], None]:
    def checkpoint(at: str) -> None:
        if at == step:
            raise Died(step)

    return checkpoint


def drainer(
    h: AppHarness,
    clock: MovedClock,
    checkpoint: Callable[[str], None] = lambda step: None,
    repository: DeferredCaseRepository | None = None,
) -> DeferredCases:
    """Another drainer beside the app's own (which runs on the system clock): the same parts, its own clock,
    optionally its own repository (another engine on the same database: another process)."""
    d = h.services.deferred
    return DeferredCases(
        repository or d.repository,
        d.actions,
        d.channels,
        d.slack,
        d.audited,
        clock=clock,
        checkpoint=checkpoint,
    )


async def waiting_rows(h: AppHarness) -> list[DeferredCaseRow]:
    return await h.services.deferred.repository.waiting()
