"""Case notifications through the service and the delivery loop: moto (IAM enforced) describes the cases with each
channel's role, the fake Slack Web API receives the posts. Storage-relevant tests run on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import func, select

from bolt_app.app import Services, build_services
from bolt_app.errors import UserFacingError
from bolt_app.notifications_worker import DeliveryLoop, WorkerOptions
from bolt_app.services.accounts import Actor
from bolt_app.services.cases import CaseSummary
from bolt_app.services.notifications import (
    ADD_COMMUNICATION,
    CREATE,
    REOPEN,
    RESOLVE,
    IngestResult,
    InvalidEvent,
    NotificationOptions,
    NotificationService,
    build_notification_service,
    parse_event,
    plan_delivery,
)
from bolt_app.settings import Settings
from storage.audit import AuditRepository
from storage.channels import ChannelConfigRow, Notifications
from storage.crypto import generate_key
from storage.notifications import (
    NotificationRepository,
    StoredEvent,
    ThreadKey,
    ThreadState,
    events_tokens,
)
from storage.tables import processed_events
from storage.workspaces import WorkspaceKey
from tests.fakes.aws import AwsDouble
from tests.fakes.moto_support import Caller
from tests.fakes.slack_api import Call, FakeSlackApi
from tests.helpers.identifiers import UNICODE_DIGITS

ACCOUNT = "210987654321"
TEAM = "T0001"
CLIENT_ID = "111.222"
ALL = Notifications("all", True, True, True)
READ_NOTHING = {  # a channel role that may open cases but not read them
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Resource": "*", "Action": ["support:CreateCase"]}],
}


# ---------------------------------------------------------------------------------------------------------------
# The world: services, a workspace with its bot, roles, channel configurations, cases, events
# ---------------------------------------------------------------------------------------------------------------


class Clock:
    """The service's clock (leases, retries, reconciliation); tests move it forward instead of waiting."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


def external_id(team_id: str) -> str:
    return f"external-id-{team_id}-" + "x" * 30


def bot_token(team_id: str) -> str:
    return f"xoxb-{team_id}-notifications"


def event_body(
    name: str,
    case_id: str,
    *,
    account: str = ACCOUNT,
    event_id: str | None = None,
    communication_id: str | None = None,
    origin: str | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """A "Support Case Update" event as EventBridge delivers it."""
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": "Support Case Update",
        "source": "aws.support",
        "account": account,
        "time": (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "case-id": case_id,
            "display-id": "",
            "communication-id": communication_id or "",
            "event-name": name,
            "origin": origin or "",
        },
    }


def case_of(call: Call) -> str | None:
    metadata_ = call.params.get("metadata")
    metadata_ = json.loads(metadata_) if isinstance(metadata_, str) else metadata_
    return (metadata_ or {}).get("event_payload", {}).get("case_id")


def kind_of(call: Call) -> str | None:
    metadata_ = call.params.get("metadata")
    metadata_ = json.loads(metadata_) if isinstance(metadata_, str) else metadata_
    return (metadata_ or {}).get("event_payload", {}).get("kind")


def shown(call: Call) -> str:
    return json.dumps({k: call.params.get(k) for k in ("text", "blocks")})


@dataclass
class World:
    services: Services
    notifications: NotificationService
    repository: NotificationRepository
    slack: FakeSlackApi
    aws: AwsDouble
    clock: Clock
    options: NotificationOptions
    worker: str = "worker-1"
    crashes: dict[str, Callable[[str], None]] = field(default_factory=dict)

    async def workspace(self, team_id: str = TEAM) -> WorkspaceKey:
        key = WorkspaceKey("", team_id)
        await self.services.workspaces.repository.record_install(
            key, f"Team {team_id}", "U1", external_id(team_id)
        )
        await self.services.installation_store.async_save(
            Installation(
                app_id="A0001",
                enterprise_id=None,
                team_id=team_id,
                team_name=f"Team {team_id}",
                user_id="U1",
                bot_token=bot_token(team_id),
                bot_id="B0001",
                bot_user_id="UBOT0001",
                bot_scopes="chat:write",
                installed_at=time.time(),
            )
        )
        self.slack.add_token(bot_token(team_id), team_id=team_id)
        return key

    def role(
        self, account: str = ACCOUNT, name: str = "NotifyRole", policy: Any = "full", team: str = TEAM
    ) -> str:
        return self.aws.create_role(account, name, external_id=external_id(team), policy=policy)

    async def configure(
        self,
        channel: str,
        rules: Notifications = ALL,
        *,
        account: str = ACCOUNT,
        role: str,
        team: str = TEAM,
        account_name: str | None = None,
    ) -> None:
        if account_name:
            await self.services.accounts.repository.rename(account, account_name)
        row = ChannelConfigRow(
            WorkspaceKey("", team), channel, channel.lower(), account, None, role, rules, "test"
        )
        await self.services.channels.repository.save(row, per_account=100, per_channel=100)

    async def send(self, name: str, case_id: str, **kwargs: Any) -> IngestResult:
        return await self.notifications.ingest(parse_event(event_body(name, case_id, **kwargs)), "http")

    async def deliver(self) -> int:
        return await DeliveryLoop(self.notifications, self.worker, WorkerOptions(self.options)).drain()

    def posts(self, channel: str | None = None) -> list[Call]:
        return [
            c
            for c in self.slack.calls("chat.postMessage")
            if not c.failed and (channel is None or c.params.get("channel") == channel)
        ]

    def updates(self, channel: str) -> list[Call]:
        return [
            c for c in self.slack.calls("chat.update") if not c.failed and c.params.get("channel") == channel
        ]

    def put_case(self, account: str = ACCOUNT, **fields: Any) -> str:
        """A case opened a while ago (its description then predates any reply, as on AWS)."""
        fields.setdefault("time_created", self.aws.support.now() - timedelta(minutes=10))
        return self.aws.put_case(account, **fields)

    def customer_reply(
        self, case_id: str, body: str, account: str = ACCOUNT, who: str = "Ops (Role) <T0001.U1>"
    ) -> None:
        self.aws.support.add_communication_to_case(
            account, Caller("arn:aws:sts::x", who), {"caseId": case_id, "communicationBody": body}
        )


@asynccontextmanager
async def notification_world(
    database_url: str,
    aws: AwsDouble,
    options: NotificationOptions | None = None,
    slack: FakeSlackApi | None = None,
) -> AsyncIterator[World]:
    options = options or NotificationOptions(post_interval_seconds=0.0, lease_seconds=30.0)
    async with FakeSlackApi() if slack is None else _nothing(slack) as fake:
        settings = Settings(
            database_url=database_url,
            token_encryption_keys=(generate_key(),),
            slack_api_url=fake.base_url,
            client_id=CLIENT_ID,
            client_secret="client-secret",
        )
        services = await build_services(settings)
        clock = Clock()
        world = World(services, None, NotificationRepository(services.engine), fake, aws, clock, options)  # type: ignore[arg-type]
        world.notifications = build_notification_service(
            services,
            options=options,
            clock=clock,
            checkpoint=lambda step: world.crashes.get(step, _noop)(step),
        )
        try:
            yield world
        finally:
            await services.close()


@asynccontextmanager
async def _nothing(slack: FakeSlackApi) -> AsyncIterator[FakeSlackApi]:
    yield slack


def _noop(step: str) -> None:
    return None


class SimulatedCrash(BaseException):
    """The process dies here: nothing after this point runs, no handler cleans up (leases stay taken)."""


def crash(step: str) -> None:
    raise SimulatedCrash(step)


# ---------------------------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------------------------


def test_a_support_case_update_is_parsed_from_its_eventbridge_envelope() -> None:
    body = event_body(ADD_COMMUNICATION, "case-1", communication_id="ekko:us-east-1:abc", origin="aws")
    event = parse_event(body)
    assert (event.account_id, event.case_id, event.event_name, event.origin) == (
        ACCOUNT,
        "case-1",
        ADD_COMMUNICATION,
        "AWS",
    )
    assert event.idempotency_keys() == [
        f"aws-event:{body['id']}",
        f"aws-case-event:case-1:{ADD_COMMUNICATION}:ekko:us-east-1:abc",
    ]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"source": "aws.ec2"}, "only events with source"),
        ({"detail-type": "EC2 Instance State-change Notification"}, "only events with source"),
        ({"account": "12345"}, "12-digit"),
        ({"account": UNICODE_DIGITS}, "12-digit"),
        ({"account": "123456789012\n"}, "12-digit"),
        ({"detail": {"case-id": "case-1\n", "event-name": CREATE}}, "case ID"),
        ({"detail": {"case-id": f"case-{UNICODE_DIGITS}-2024-ab", "event-name": CREATE}}, "case ID"),
        ({"id": None}, "no id"),
        ({"detail": {"event-name": CREATE}}, "case-id"),
        ({"detail": {"case-id": "case-1", "event-name": "DeleteCase"}}, "event-name"),
        ({"time": "yesterday"}, "ISO 8601"),
    ],
)
def test_anything_but_a_support_case_update_is_refused(change: dict[str, Any], words: str) -> None:
    with pytest.raises(InvalidEvent, match=words):
        parse_event(event_body(CREATE, "case-1") | change)
    with pytest.raises(InvalidEvent):
        parse_event(["not", "an", "object"])


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
        assert await world.repository.count_open() == 0


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
            "Opened",
            "Prod (210987654321)",
        ):
            assert words in shown(root), words
        assert all(b in shown(root) for b in ("See details", "Reply", "Resolve case"))
        thread = await world.repository.thread(ThreadKey(TEAM, "C0001", ACCOUNT, case_id))
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
        assert "Amazon Web Services" in shown(from_aws) and "Please send the logs" in shown(from_aws)
        assert "Show full message" not in shown(from_aws)
        assert "Customer (Ops (Role) &lt;T0001.U1&gt;)" in shown(from_customer)
        assert "Show full message" in shown(from_customer) and "End of the logs" not in shown(from_customer)
        assert "was resolved" in shown(resolved)
        updates = world.updates("C0001")
        assert [u.params["ts"] for u in updates] == [root_ts] * 3
        for words, update in zip(
            ("Pending customer action", "Customer action completed", "Resolved"), updates, strict=True
        ):
            assert words in shown(update)
        assert "Reopen case" in shown(updates[-1])


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
        outcomes = {r.channel.channel_id: (r.state, r.outcome) for r in await world.repository.deliveries()}
        assert outcomes == {"CREAD": ("posted", "root"), "CBLIND": ("skipped", "denied")}
        audit = await AuditRepository(world.services.engine).list(TEAM)
        denied = [a for a in audit if a.channel_id == "CBLIND"]
        assert [(a.action, a.outcome, a.role_arn, a.case_id) for a in denied] == [
            ("support:DescribeCases", "denied", denied_role, case_id)
        ]


async def test_the_same_event_twice_is_posted_once(database_url: str, aws: AwsDouble) -> None:
    async with notification_world(database_url, aws) as world:
        await world.workspace()
        await world.configure("C0001", role=world.role())
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
            TEAM, "COWN", ACCOUNT, case_id, "create", root_ts=listener_ts
        )
        await world.send(CREATE, case_id)
        await world.deliver()
        assert world.posts("COWN") == [] and [kind_of(c) for c in world.posts("COTHER")] == ["root"]

        world.customer_reply(case_id, "Restarted it, still broken.\n\nSubmitted from Slack by Jane in #cown")
        await world.notifications.record_own_action(TEAM, "COWN", ACCOUNT, case_id, "reply")
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
    async with notification_world(database_url, aws) as world:
        await world.workspace()
        await world.configure("C0001", role=world.role())
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
        assert [(d.state, d.outcome) for d in await world.repository.deliveries()] == [("posted", outcome)]


# ---------------------------------------------------------------------------------------------------------------
# Delivery: rate limits, channels and tokens that are gone, transient failures
# ---------------------------------------------------------------------------------------------------------------


async def test_posts_to_one_channel_keep_their_order_and_slacks_pace(sqlite_url: str, aws: AwsDouble) -> None:
    options = NotificationOptions(post_interval_seconds=1.0, lease_seconds=30.0)
    async with notification_world(sqlite_url, aws, options) as world:
        world.slack.rate_limit_per_channel(1.0, retry_after=1)  # like Slack: about one post per second
        await world.workspace()
        role = world.role()
        await world.configure("C0001", role=role)
        await world.configure("C0002", role=role)
        case_id = world.put_case()
        await world.send(CREATE, case_id)
        aws.add_aws_reply(case_id, "first answer", status=None)
        await world.send(ADD_COMMUNICATION, case_id, origin="AWS", communication_id="ekko:1")
        aws.add_aws_reply(case_id, "second answer", status=None)
        await world.send(ADD_COMMUNICATION, case_id, origin="AWS", communication_id="ekko:2")
        await world.deliver()
        for channel in ("C0001", "C0002"):
            posts = world.posts(channel)
            assert [kind_of(c) for c in posts] == ["root", "correspondence", "correspondence"]
            assert "first answer" in shown(posts[1]) and "second answer" in shown(posts[2])
        assert [c for c in world.slack.calls("chat.postMessage") if c.status == 429] == []


async def test_a_429_on_one_channel_does_not_delay_another(sqlite_url: str, aws: AwsDouble) -> None:
    options = NotificationOptions(post_interval_seconds=0.0, lease_seconds=30.0)
    async with notification_world(sqlite_url, aws, options) as world:
        await world.workspace()
        slow, fast = ACCOUNT, "310987654321"
        await world.configure("CSLOW", account=slow, role=world.role(slow))
        await world.configure("CFAST", account=fast, role=world.role(fast))
        world.slack.fail("chat.postMessage", retry_after=30)  # the next post: CSLOW's, the only one due
        stop = asyncio.Event()
        loop_options = WorkerOptions(options, poll_seconds=0.1, shutdown_grace_seconds=0.1)
        running = asyncio.create_task(DeliveryLoop(world.notifications, "w1", loop_options).run(stop))
        try:
            await world.send(CREATE, world.put_case(slow), account=slow)
            [limited] = await world.slack.wait_for("chat.postMessage", where=lambda c: c.status == 429)
            assert limited.params["channel"] == "CSLOW"
            fast_cases = [world.put_case(fast) for _ in range(3)]
            for case_id in fast_cases:
                await world.send(CREATE, case_id, account=fast)
            await world.slack.wait_for(
                "chat.postMessage",
                count=3,
                where=lambda c: c.params.get("channel") == "CFAST" and not c.failed,
            )
            assert [case_of(c) for c in world.posts("CFAST")] == fast_cases
            assert world.posts("CSLOW") == []  # still waiting out its Retry-After
        finally:
            stop.set()
            await running
        # The slow channel's delivery was in hand when the loop stopped: it is not lost.
        world.clock.advance(options.lease_seconds + 1)
        await world.deliver()
        assert len(world.posts("CSLOW")) == 1


async def test_an_archived_channel_and_a_revoked_token_are_skipped_and_recorded(
    sqlite_url: str, aws: AwsDouble
) -> None:
    async with notification_world(sqlite_url, aws) as world:
        await world.workspace(TEAM)
        await world.workspace("T0002")
        role = world.role(name="Role1")
        await world.configure("COK", role=role)
        await world.configure("CARCHIVED", role=role)
        await world.configure("CREVOKED", role=world.role(name="Role2", team="T0002"), team="T0002")
        world.slack.set_channel("CARCHIVED", is_archived=True)
        world.slack.revoke_token(bot_token("T0002"))
        for _ in range(2):
            await world.send(CREATE, world.put_case())
            await world.deliver()

        assert len(world.posts("COK")) == 2
        tries = {
            ch: [c.error for c in world.slack.calls("chat.postMessage") if c.params.get("channel") == ch]
            for ch in ("CARCHIVED", "CREVOKED")
        }
        assert tries == {"CARCHIVED": ["is_archived"] * 2, "CREVOKED": ["invalid_auth"] * 2}  # once per event
        outcomes = sorted(
            (r.channel.channel_id, r.state, r.outcome) for r in await world.repository.deliveries()
        )
        assert outcomes == sorted(
            [("COK", "posted", "root")] * 2
            + [("CARCHIVED", "skipped", "is_archived")] * 2
            + [("CREVOKED", "skipped", "invalid_auth")] * 2
        )
        audit = AuditRepository(world.services.engine)
        recorded = [
            (a.team_id, a.channel_id, a.outcome)
            for team in (TEAM, "T0002")
            for a in await audit.list(team)
            if a.action == "notification"
        ]
        assert sorted(recorded) == sorted(
            [(TEAM, "CARCHIVED", "skipped:is_archived")] * 2
            + [("T0002", "CREVOKED", "skipped:invalid_auth")] * 2
        )


async def test_a_token_about_to_expire_is_rotated_before_posting(sqlite_url: str, aws: AwsDouble) -> None:
    async with notification_world(sqlite_url, aws) as world:
        world.slack.oauth.token_rotation = True
        issued = await world.services.client.oauth_v2_access(
            client_id=CLIENT_ID, client_secret="client-secret", code="valid-code"
        )
        await world.workspace()  # then the install is replaced by one whose token expires within the hour
        await world.services.installation_store.async_save(
            Installation(
                app_id="A0001",
                enterprise_id=None,
                team_id=TEAM,
                user_id="U1",
                bot_token=issued["access_token"],
                bot_refresh_token=issued["refresh_token"],
                bot_token_expires_at=int(time.time()) + 600,
                bot_id="B0001",
                bot_user_id="UBOT0001",
                bot_scopes="chat:write",
                installed_at=time.time() + 1,
            )
        )
        await world.configure("C0001", role=world.role())
        await world.send(CREATE, world.put_case())
        await world.deliver()
        [post] = world.posts("C0001")
        assert post.token not in (issued["access_token"], bot_token(TEAM))
        stored = await world.services.installation_store.find_bot_uncached(
            enterprise_id=None, team_id=TEAM, is_enterprise_install=False
        )
        assert stored is not None and stored.bot_token == post.token  # rotated and saved, outside any request


async def test_a_failing_delivery_is_retried_a_bounded_number_of_times_and_recorded(
    sqlite_url: str, aws: AwsDouble
) -> None:
    options = NotificationOptions(post_interval_seconds=0.0, max_attempts=3, retry_base_seconds=10)
    async with notification_world(sqlite_url, aws, options) as world:
        await world.workspace()
        await world.configure("C0001", role=world.role())
        world.slack.fail("chat.postMessage", error="internal_error", times=None)
        await world.send(CREATE, world.put_case())
        for wait in (0, 11, 21):  # each retry waits twice as long as the one before
            world.clock.advance(wait)
            await world.deliver()
            assert await world.deliver() == 0  # and not sooner
        assert len(world.slack.calls("chat.postMessage")) == 3
        [delivery] = await world.repository.deliveries()
        assert (delivery.state, delivery.outcome, delivery.attempts) == ("failed", "slack:internal_error", 3)
        audit = [
            a for a in await AuditRepository(world.services.engine).list(TEAM) if a.action == "notification"
        ]
        assert [a.outcome for a in audit] == ["failed:slack:internal_error"]

        world.slack.clear_failures()  # the channel is not stuck behind the failed delivery
        await world.send(CREATE, world.put_case())
        await world.deliver()
        assert len(world.posts("C0001")) == 1


# ---------------------------------------------------------------------------------------------------------------
# Reconciliation
# ---------------------------------------------------------------------------------------------------------------


async def test_reconciliation_finds_an_event_that_never_arrived_and_does_not_repeat_one_that_did(
    sqlite_url: str, aws: AwsDouble
) -> None:
    async with notification_world(sqlite_url, aws) as world:
        await world.workspace()
        await world.configure("C0001", role=world.role())
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
# Events tokens
# ---------------------------------------------------------------------------------------------------------------


async def test_an_events_token_is_stored_hashed_and_a_new_one_revokes_the_old(
    database_url: str, aws: AwsDouble
) -> None:
    async with notification_world(database_url, aws) as world:
        key = await world.workspace()
        with pytest.raises(UserFacingError, match="has not authorized"):
            await world.notifications.issue_events_token(ACCOUNT, "cli:test")
        await world.services.accounts.authorize(Actor(key, "U1"), world.role())
        with pytest.raises(UserFacingError, match="12 digits"):
            await world.notifications.issue_events_token("1234", "cli:test")

        first = await world.notifications.issue_events_token(ACCOUNT, "cli:test")
        assert await world.notifications.account_for_token(first) == ACCOUNT
        async with world.services.engine.connect() as conn:
            stored = (await conn.execute(select(events_tokens.c.token_hash))).scalars().all()
        assert stored == [hashlib.sha256(first.encode()).hexdigest()] and first not in stored
        second = await world.notifications.issue_events_token(ACCOUNT, "cli:test")
        assert await world.notifications.account_for_token(first) is None
        assert await world.notifications.account_for_token(second) == ACCOUNT
        assert await world.notifications.account_for_token(None) is None


# ---------------------------------------------------------------------------------------------------------------
# Planning, without AWS or Slack
# ---------------------------------------------------------------------------------------------------------------


def _summary(status: str, severity: str = "high") -> CaseSummary:
    created = datetime(2026, 1, 1, tzinfo=UTC)
    return CaseSummary(
        case_id="case-1",
        display_id="1700000001",
        subject="Subject",
        status=status,
        severity_code=severity,
        service_code="general-info",
        category_code="using-aws",
        submitted_by="someone",
        time_created=created,
        language="en",
        cc_emails=(),
        account_id=ACCOUNT,
        account_shown=ACCOUNT,
    )


def _stored(name: str, at: datetime) -> StoredEvent:
    return StoredEvent(
        account_id=ACCOUNT, case_id="case-1", event_name=name, event_time=at, source="sqs", id=1
    )


def test_a_late_event_older_than_what_the_channel_was_told_changes_nothing() -> None:
    t1, t2 = datetime(2026, 1, 2, tzinfo=UTC), datetime(2026, 1, 3, tzinfo=UTC)
    reopened = ThreadState(
        ThreadKey(TEAM, "C0001", ACCOUNT, "case-1"),
        root_ts="1.1",
        root_status="reopened",
        lifecycle="open",
        lifecycle_at=t2,
    )
    options = NotificationOptions()
    late_resolve = plan_delivery(_stored(RESOLVE, t1), _summary("reopened"), (), reopened, ALL, options)
    assert late_resolve.steps == () and late_resolve.reason == "nothing new"
    newer_resolve = plan_delivery(
        _stored(RESOLVE, t2 + timedelta(hours=1)), _summary("resolved"), (), reopened, ALL, options
    )
    assert [s.kind for s in newer_resolve.steps] == ["resolved", "update_root"]
    quiet = Notifications("all", True, True, False)  # resolved cases not wanted: passed over, still recorded
    passed_over = plan_delivery(
        _stored(RESOLVE, t2 + timedelta(hours=1)), _summary("resolved"), (), reopened, quiet, options
    )
    assert [s.kind for s in passed_over.steps] == [
        "update_root"
    ] and passed_over.final.lifecycle == "resolved"
