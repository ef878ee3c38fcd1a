"""Reconciliation: changes no event announced are found, and ones that were announced are not repeated."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

from bolt_app.services.notifications.events import ADD_COMMUNICATION
from bolt_app.services.notifications.events import CREATE
from bolt_app.services.notifications.events import RESOLVE
from storage.notifications.thread_state import ThreadChange
from storage.notifications.thread_state import ThreadKey
from tests.fakes.aws import AwsDouble
from tests.helpers.notification_world import ACCOUNT
from tests.helpers.notification_world import case_of
from tests.helpers.notification_world import channel_key
from tests.helpers.notification_world import configured_world
from tests.helpers.notification_world import kind_of
from tests.helpers.notification_world import shown

NOW = datetime(2026, 1, 5, tzinfo=UTC)

# Reconciliation
# ---------------------------------------------------------------------------------------------------------------


async def test_reconciliation_finds_an_event_that_never_arrived_and_does_not_repeat_one_that_did(
    sqlite_url: str, aws: AwsDouble
) -> None:
    async with configured_world(sqlite_url, aws) as world:
        announced = world.put_case(subject="announced")
        await world.send(CREATE, announced)
        aws.add_aws_reply(announced, "an answer that was announced", status=None)
        await world.send(ADD_COMMUNICATION, announced, origin="AWS")
        await world.deliver()
        missed = world.put_case(subject="missed")  # its CreateCase event never arrives

        report = await world.notifications.reconcile("w1")
        assert (report.accounts, report.cases, report.events) == (1, 2, 2)
        await world.deliver()
        assert [(case_of(c), kind_of(c)) for c in world.posts()] == [
            (announced, "root"),
            (announced, "correspondence"),
            (missed, "root"),
        ]
        assert (await world.notifications.reconcile("w1")).accounts == 0  # not due again yet

        world.clock.advance(world.options.reconcile_interval_seconds + 1)
        report = await world.notifications.reconcile("w1")
        assert (report.cases, report.events) == (2, 0)  # nothing changed: nothing to deliver

        aws.add_aws_reply(announced, "an answer whose event is lost", status=None)
        aws.set_case_status(missed, "resolved")  # and so is this ResolveCase event
        world.clock.advance(world.options.reconcile_interval_seconds + 1)
        assert (await world.notifications.reconcile("w1")).events == 2
        await world.deliver()
        await world.send(RESOLVE, missed)  # the "lost" events turn up after all
        await world.send(ADD_COMMUNICATION, announced, origin="AWS", communication_id="ekko:late")
        await world.deliver()
        later = world.posts()[3:]
        assert sorted((case_of(c), kind_of(c)) for c in later) == sorted(
            [(announced, "correspondence"), (missed, "resolved")]
        )
        assert any("whose event is lost" in shown(c) for c in later)


# ---------------------------------------------------------------------------------------------------------------


async def test_reconciliation_checks_every_tracked_case_beyond_describe_cases_limit_of_100(
    sqlite_url: str, aws: AwsDouble
) -> None:
    async with configured_world(sqlite_url, aws) as world:
        tracked = [world.put_case(subject=f"tracked {n}") for n in range(150)]
        for n, case in enumerate(tracked):  # each has its root in the channel
            key = ThreadKey(channel_key("C0001"), ACCOUNT, case)
            await world.threads.change_thread(key, ThreadChange(root_ts=f"1700000000.{n:06d}"), NOW)
        await world.notifications.reconcile("w1")

        for case in tracked:  # resolved while the events were lost; created before the last reconciliation
            aws.set_case_status(case, "resolved")
        world.clock.advance(world.options.reconcile_interval_seconds + 1)
        report = await world.notifications.reconcile("w1")
        assert (report.cases, report.events) == (150, 150)
