"""Reconciliation: changes no event announced are found, and ones that were announced are not repeated."""

from __future__ import annotations

from bolt_app.services.notifications.events import (
    ADD_COMMUNICATION,
    CREATE,
    RESOLVE,
)
from tests.fakes.aws import AwsDouble
from tests.helpers.notification_world import (
    case_of,
    configured_world,
    kind_of,
    shown,
)

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
