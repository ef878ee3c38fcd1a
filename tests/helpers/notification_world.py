"""The world of the notification tests: services built like the app's, a workspace with its bot, roles and
channel configurations, cases in moto (IAM enforced), events, and the fake Slack Web API receiving the posts."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from slack_sdk.oauth.installation_store import Installation

from bolt_app.app import Services
from bolt_app.app import build_notification_service
from bolt_app.app import build_services
from bolt_app.notifications_worker import DeliveryLoop
from bolt_app.notifications_worker import WorkerOptions
from bolt_app.services.notifications.events import parse_event
from bolt_app.services.notifications.inbox import IngestResult
from bolt_app.services.notifications.options import NotificationOptions
from bolt_app.services.notifications.service import NotificationService
from bolt_app.settings import Settings
from storage.channels import ChannelConfigRow
from storage.channels import Notifications
from storage.crypto import generate_key
from storage.notifications.deliveries import DeliveryRepository
from storage.notifications.threads import ThreadRepository
from storage.workspaces import ChannelKey
from storage.workspaces import WorkspaceKey
from tests.fakes.aws import AwsDouble
from tests.fakes.aws import allowing
from tests.fakes.moto_support import Caller
from tests.fakes.slack_api import Call
from tests.fakes.slack_api import FakeSlackApi

ACCOUNT = "210987654321"
TEAM = "T0001"
CLIENT_ID = "111.222"
ALL = Notifications("all", True, True, True)


def channel_key(channel_id: str, team: str = TEAM) -> ChannelKey:
    return ChannelKey(WorkspaceKey("", team), channel_id)


READ_NOTHING = allowing("support:CreateCase")  # a channel role that may open cases but not read them


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


def buttons_of(call: Call) -> dict[str, str]:
    """The buttons of a posted message: text -> action id."""
    blocks = call.params.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return {
        e["text"]["text"]: e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]
    }


@dataclass
class World:
    services: Services
    notifications: NotificationService
    deliveries: DeliveryRepository
    threads: ThreadRepository
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
        world = World(
            services,
            None,  # type: ignore[arg-type]
            DeliveryRepository(services.engine),
            ThreadRepository(services.engine),
            fake,
            aws,
            clock,
            options,
        )
        world.notifications = build_notification_service(
            engine=services.engine,
            client=services.client,
            rotation=services.rotation,
            channels=services.channels.repository,
            workspaces=services.workspaces.repository,
            cases=services.cases,
            role_sessions=services.role_sessions,
            audit=services.audit,
            bot_token=services.settings.bot_token,
            options=options,
            clock=clock,
            checkpoint=lambda step: world.crashes.get(step, _noop)(step),
        )
        try:
            yield world
        finally:
            await services.close()


@asynccontextmanager
async def configured_world(
    database_url: str, aws: AwsDouble, options: NotificationOptions | None = None
) -> AsyncIterator[World]:
    """The world with workspace T0001 installed and channel C0001 configured with ACCOUNT's role (full access)."""
    async with notification_world(database_url, aws, options) as world:
        await world.workspace()
        await world.configure("C0001", role=world.role())
        yield world


@asynccontextmanager
async def _nothing(slack: FakeSlackApi) -> AsyncIterator[FakeSlackApi]:
    yield slack


def _noop(step: str) -> None:
    return None


class SimulatedCrash(BaseException):
    """The process dies here: nothing after this point runs, no handler cleans up (leases stay taken)."""


def crash(step: str) -> None:
    raise SimulatedCrash(step)
