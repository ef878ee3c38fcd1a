"""What each channel gets, once: the filter table, roots and thread replies, duplicates, own actions, crashes and
retries, through the service and the delivery loop. Storage-relevant tests run on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlalchemy import select

from bolt_app.blocks.cases.parts import REPLY_ACTION
from bolt_app.services.notifications.events import ADD_COMMUNICATION
from bolt_app.services.notifications.events import CREATE
from bolt_app.services.notifications.events import REOPEN
from bolt_app.services.notifications.events import RESOLVE
from bolt_app.services.notifications.events import parse_event
from bolt_app.services.notifications.options import NotificationOptions
from storage.audit import AuditEvent
from storage.audit import AuditRepository
from storage.case_openers import CaseOpenerRepository
from storage.case_openers import OpenedCase
from storage.channels import Notifications
from storage.notifications.thread_state import ThreadKey
from storage.tables import processed_events
from storage.workspaces import WorkspaceKey
from tests.fakes.aws import AwsDouble
from tests.helpers.notification_world import ACCOUNT
from tests.helpers.notification_world import READ_NOTHING
from tests.helpers.notification_world import TEAM
from tests.helpers.notification_world import SimulatedCrash
from tests.helpers.notification_world import World
from tests.helpers.notification_world import buttons_of
from tests.helpers.notification_world import case_of
from tests.helpers.notification_world import channel_key
from tests.helpers.notification_world import configured_world
from tests.helpers.notification_world import crash
from tests.helpers.notification_world import event_body
from tests.helpers.notification_world import kind_of
from tests.helpers.notification_world import notification_world
from tests.helpers.notification_world import shown

# ---------------------------------------------------------------------------------------------------------------
# What each channel gets
# ---------------------------------------------------------------------------------------------------------------

RULES = {
    "all: new and reopened": Notifications("all", True, False, False),
    "all: correspondence": Notifications("all", False, True, False),
    "all: resolved": Notifications("all", False, False, True),
    "high: everything": Notifications("high", True, True, True),
    "none": Notifications("none", False, False, False),
}
# (channel setting, case severity, the first event about the case, does the channel get a message?)
FILTER_TABLE = [
    ("all: new and reopened", "low", CREATE, True),
    ("all: new and reopened", "low", REOPEN, True),
    ("all: new and reopened", "normal", ADD_COMMUNICATION, False),
    ("all: new and reopened", "normal", RESOLVE, False),
    ("all: correspondence", "low", ADD_COMMUNICATION, True),
    ("all: correspondence", "critical", CREATE, False),
    ("all: correspondence", "critical", RESOLVE, False),
    ("all: resolved", "normal", RESOLVE, True),
    ("all: resolved", "normal", CREATE, False),
    ("all: resolved", "urgent", REOPEN, False),
    ("high: everything", "low", CREATE, False),
    ("high: everything", "normal", ADD_COMMUNICATION, False),
    ("high: everything", "high", CREATE, True),
    ("high: everything", "urgent", ADD_COMMUNICATION, True),
    ("high: everything", "critical", RESOLVE, True),
    ("high: everything", "critical", REOPEN, True),
    ("none", "critical", CREATE, False),
    ("none", "high", ADD_COMMUNICATION, False),
    ("none", "urgent", RESOLVE, False),
]


def _case_for(world: World, account: str, severity: str, event: str) -> str:
    status = {RESOLVE: "resolved", REOPEN: "reopened"}.get(event, "opened")
    case_id = world.put_case(account, severity_code=severity, status=status, subject=f"{severity} {event}")
    if event == ADD_COMMUNICATION:
        world.aws.add_aws_reply(case_id, "We are looking into it.", status=None)
    return case_id


async def test_each_setting_of_the_filter_table(sqlite_url: str, aws: AwsDouble) -> None:
    async with notification_world(sqlite_url, aws) as world:
        await world.workspace()
        channel_of: dict[str, tuple[str, str]] = {}
        for i, (name, rules) in enumerate(RULES.items()):  # one account per setting, so events stay apart
            account = f"10000000000{i}"
            channel_of[name] = (account, f"C{i:04d}")
            await world.configure(f"C{i:04d}", rules, account=account, role=world.role(account))
        cases = []
        for name, severity, event, _ in FILTER_TABLE:
            account, _channel = channel_of[name]
            case_id = _case_for(world, account, severity, event)
            cases.append(case_id)
            await world.send(
                event, case_id, account=account, origin="AWS" if event == ADD_COMMUNICATION else None
            )
        await world.deliver()

        got = [
            any(case_of(c) == case_id for c in world.posts(channel_of[name][1]))
            for (name, *_), case_id in zip(FILTER_TABLE, cases, strict=True)
        ]
        wrong = [row for row, posted in zip(FILTER_TABLE, got, strict=True) if posted != row[3]]
        assert wrong == [], f"rows whose outcome differs: {wrong}"
        assert await world.deliveries.count_open() == 0


async def test_root_message_then_thread_replies_then_status_updates(sqlite_url: str, aws: AwsDouble) -> None:
    async with notification_world(sqlite_url, aws) as world:
        await world.workspace()
        await world.configure("C0001", role=world.role(), account_name="Prod")
        case_id = world.put_case(severity_code="urgent", subject="Database <unreachable>")
        await world.send(CREATE, case_id)
        await world.deliver()
        [root] = world.posts("C0001")
        display_id = aws.case(case_id).display_id
        assert "thread_ts" not in root.params and kind_of(root) == "root"
        for words in (
            display_id,
            "Database &lt;unreachable&gt;",
            "Production system down",
            "New case opened by seeded (Role) &lt;tester&gt;",  # opened outside the app: whom AWS names
            "Prod (210987654321)",
        ):
            assert words in shown(root), words
        assert all(b in shown(root) for b in ("See details", "Reply", "Resolve case"))
        thread = await world.threads.thread(ThreadKey(channel_key("C0001"), ACCOUNT, case_id))
        assert thread is not None and thread.root_ts
        root_ts = thread.root_ts

        aws.add_aws_reply(case_id, "Please send the logs of the last hour.")  # -> pending-customer-action
        await world.send(ADD_COMMUNICATION, case_id, origin="AWS", communication_id="ekko:1")
        await world.deliver()
        long_body = "Here are the logs. " + "line of log output " * 100 + "End of the logs."
        world.customer_reply(case_id, long_body)  # -> customer-action-completed
        await world.send(ADD_COMMUNICATION, case_id, origin="CUSTOMER", communication_id="ekko:2")
        await world.deliver()
        aws.set_case_status(case_id, "resolved")
        await world.send(RESOLVE, case_id)
        await world.deliver()

        _, from_aws, from_customer, resolved = world.posts("C0001")
        replies = (from_aws, from_customer, resolved)
        assert [kind_of(c) for c in replies] == ["correspondence", "correspondence", "resolved"]
        assert all(c.params["thread_ts"] == root_ts for c in replies)
        assert "*AWS replied*" in shown(from_aws) and "Please send the logs" in shown(from_aws)
        assert "Show full message" not in shown(from_aws)
        assert buttons_of(from_aws) == {"Reply": REPLY_ACTION}  # answering AWS from the thread
        assert "*Ops (Role) &lt;T0001.U1&gt; replied*" in shown(from_customer)
        assert "Show full message" in shown(from_customer) and "End of the logs" not in shown(from_customer)
        assert "Reply" not in buttons_of(from_customer)
        assert "was resolved." in shown(resolved) and "by <@" not in shown(resolved)  # resolved at AWS
        updates = world.updates("C0001")
        assert [u.params["ts"] for u in updates] == [root_ts] * 3
        for words, update in zip(
            ("Pending customer action", "Customer action completed", "Resolved"), updates, strict=True
        ):
            assert words in shown(update)
        assert "Reopen case" in shown(updates[-1])


async def test_a_case_opened_and_resolved_through_the_app_names_the_slack_people_who_did_it(
    sqlite_url: str, aws: AwsDouble
) -> None:
    async with notification_world(sqlite_url, aws) as world:
        workspace = await world.workspace()
        await world.configure("C0001", role=world.role())
        case_id = world.put_case(subject="Disk full")
        openers = CaseOpenerRepository(world.services.engine)
        await openers.record(OpenedCase(workspace, ACCOUNT, case_id, None, "Disk full", "U42", "C0001", None))
        await world.send(CREATE, case_id)
        await world.deliver()
        [root] = world.posts("C0001")
        assert "New case opened by <@U42>" in shown(root) and "seeded (Role)" not in shown(root)

        aws.set_case_status(case_id, "resolved")
        await world.services.audit.record(
            AuditEvent(
                "support:ResolveCase", "ok", team_id=TEAM, user_id="U7", account_id=ACCOUNT, case_id=case_id
            )
        )
        await world.send(RESOLVE, case_id)
        await world.deliver()
        [_, resolved] = world.posts("C0001")
        assert "was resolved by <@U7>." in shown(resolved)
        assert ":white_check_mark: *Resolved*" in shown(world.updates("C0001")[-1])


async def test_a_channel_whose_role_may_not_read_cases_gets_nothing_while_another_gets_the_event(
    sqlite_url: str, aws: AwsDouble
) -> None:
    async with notification_world(sqlite_url, aws) as world:
        await world.workspace()
        await world.configure("CREAD", role=world.role(name="Reader"))
        denied_role = world.role(name="Writer", policy=READ_NOTHING)
        await world.configure("CBLIND", role=denied_role)
        case_id = world.put_case(severity_code="high")
        await world.send(CREATE, case_id)
        await world.deliver()

        assert [case_of(c) for c in world.posts("CREAD")] == [case_id]
        assert world.posts("CBLIND") == []
        outcomes = {r.channel.channel_id: (r.state, r.outcome) for r in await world.deliveries.deliveries()}
        assert outcomes == {"CREAD": ("posted", "root"), "CBLIND": ("skipped", "denied")}
        audit = await AuditRepository(world.services.engine).list(WorkspaceKey("", TEAM))
        denied = [a for a in audit if a.channel_id == "CBLIND"]
        assert [(a.action, a.outcome, a.role_arn, a.case_id) for a in denied] == [
            ("support:DescribeCases", "denied", denied_role, case_id)
        ]


async def test_the_same_event_twice_is_posted_once(database_url: str, aws: AwsDouble) -> None:
    async with configured_world(database_url, aws) as world:
        case_id = world.put_case()
        first = event_body(CREATE, case_id, event_id="11111111-1111-1111-1111-111111111111")
        again = dict(first)
        same_change_new_id = first | {"id": "22222222-2222-2222-2222-222222222222"}
        results = [
            await world.notifications.ingest(parse_event(b), "sqs")
            for b in (first, again, same_change_new_id)
        ]
        assert [r.accepted for r in results] == [True, False, False]
        await world.deliver()
        await world.send(CREATE, case_id)  # a third copy AWS sent later with yet another ID
        await world.deliver()
        assert [case_of(c) for c in world.posts()] == [case_id]
        async with world.services.engine.connect() as conn:
            keys = (await conn.execute(select(func.count()).select_from(processed_events))).scalar_one()
        assert keys == 2


async def test_a_case_made_or_answered_from_a_channel_is_not_announced_there_again(
    sqlite_url: str, aws: AwsDouble
) -> None:
    async with notification_world(sqlite_url, aws) as world:
        await world.workspace()
        role = world.role()
        await world.configure("COWN", role=role)
        await world.configure("COTHER", role=role)
        case_id = world.put_case(severity_code="high")
        listener_ts = "1699999999.000100"  # the case message the listener posted in #own
        await world.notifications.record_own_action(
            channel_key("COWN"), ACCOUNT, case_id, "create", root_ts=listener_ts
        )
        await world.send(CREATE, case_id)
        await world.deliver()
        assert world.posts("COWN") == [] and [kind_of(c) for c in world.posts("COTHER")] == ["root"]

        world.customer_reply(case_id, "Restarted it, still broken.\n\nSubmitted from Slack by Jane in #cown")
        await world.notifications.record_own_action(channel_key("COWN"), ACCOUNT, case_id, "reply")
        await world.send(ADD_COMMUNICATION, case_id, origin="CUSTOMER", communication_id="ekko:own")
        aws.add_aws_reply(case_id, "Thanks, we see it too.")
        await world.send(ADD_COMMUNICATION, case_id, origin="AWS", communication_id="ekko:aws")
        await world.deliver()

        own = world.posts("COWN")
        assert [kind_of(c) for c in own] == ["correspondence"] and "Thanks, we see it too" in shown(own[0])
        assert own[0].params["thread_ts"] == listener_ts
        assert [kind_of(c) for c in world.posts("COTHER")] == ["root", "correspondence", "correspondence"]


@pytest.mark.parametrize(
    ("step", "copies"),
    [
        ("claimed", 1),
        ("described", 1),
        ("before_post", 1),
        ("after_post", 2),  # Slack has the message, the record does not: the one window
        ("recorded", 1),
        ("done", 1),
    ],
)
async def test_only_a_crash_between_slack_accepting_and_the_record_can_repeat_a_post(
    database_url: str, aws: AwsDouble, step: str, copies: int
) -> None:
    async with configured_world(database_url, aws) as world:
        case_id = world.put_case()
        aws.add_aws_reply(case_id, "An answer", status=None)
        await world.send(ADD_COMMUNICATION, case_id, origin="AWS")  # two posts: root, then the reply under it
        world.crashes[step] = crash
        with pytest.raises(SimulatedCrash):
            await world.deliver()
        world.crashes.clear()

        world.worker = "worker-2"  # another process: it must wait for the dead one's lease to run out
        assert await world.deliver() == 0
        world.clock.advance(world.options.lease_seconds + 1)
        await world.deliver()
        roots = [c for c in world.posts() if kind_of(c) == "root"]
        replies = [c for c in world.posts() if kind_of(c) == "correspondence"]
        assert (len(roots), len(replies)) == (copies, 1), [kind_of(c) for c in world.posts()]
        outcome = "correspondence" if step == "recorded" else "root,correspondence"
        assert [(d.state, d.outcome) for d in await world.deliveries.deliveries()] == [("posted", outcome)]


# ---------------------------------------------------------------------------------------------------------------


async def test_a_failing_delivery_is_retried_a_bounded_number_of_times_and_recorded(
    sqlite_url: str, aws: AwsDouble
) -> None:
    options = NotificationOptions(post_interval_seconds=0.0, max_attempts=3, retry_base_seconds=10)
    async with configured_world(sqlite_url, aws, options) as world:
        world.slack.fail("chat.postMessage", error="internal_error", times=None)
        await world.send(CREATE, world.put_case())
        for wait in (0, 11, 21):  # each retry waits twice as long as the one before
            world.clock.advance(wait)
            await world.deliver()
            assert await world.deliver() == 0  # and not sooner
        assert len(world.slack.calls("chat.postMessage")) == 3
        [delivery] = await world.deliveries.deliveries()
        assert (delivery.state, delivery.outcome, delivery.attempts) == ("failed", "slack:internal_error", 3)
        audit = [
            a
            for a in await AuditRepository(world.services.engine).list(WorkspaceKey("", TEAM))
            if a.action == "notification"
        ]
        assert [a.outcome for a in audit] == ["failed:slack:internal_error"]

        world.slack.clear_failures()  # the channel is not stuck behind the failed delivery
        await world.send(CREATE, world.put_case())
        await world.deliver()
        assert len(world.posts("C0001")) == 1


# ---------------------------------------------------------------------------------------------------------------
