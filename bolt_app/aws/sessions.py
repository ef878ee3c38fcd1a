"""Role sessions: AssumeRole with the workspace's External ID, cached, shared, and off the event loop; their calls
go through the process's AWS budget."""

from __future__ import annotations

import asyncio
import re
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import botocore.session
from botocore.client import BaseClient
from botocore.config import Config

from bolt_app.aws.budget import AwsBudget
from bolt_app.aws.budget import CallSite

SESSION_SECONDS = 3600
REFRESH_BEFORE_SECONDS = 300
CLIENT_CONFIG = Config(
    connect_timeout=3, read_timeout=20, retries={"mode": "standard", "total_max_attempts": 4}
)
# Role clients (Support, Service Quotas) never retry inside botocore: the budget (`budget.AwsBudget`) retries,
# so every attempt waits for the account's turn and is counted; and writes that AWS does not deduplicate
# (CreateCase, AddCommunicationToCase, RequestServiceQuotaIncrease) are never resent after a timeout or a 5xx,
# when the first attempt may have succeeded.
ROLE_CLIENT_CONFIG = CLIENT_CONFIG.merge(Config(retries={"mode": "standard", "total_max_attempts": 1}))
_ROLE_ACCOUNT = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):")


def session_name(team_id: str, user_id: str) -> str:
    """`<team_id>.<user_id>`, so CloudTrail names the Slack user; RoleSessionName allows 2-64 of [\\w+=,.@-]."""
    name = re.sub(r"[^\w+=,.@-]", "-", f"{team_id}.{user_id}")
    return name[:64] if len(name) >= 2 else "aws-support-slack"


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expires_at: float  # epoch seconds
    assumed_role_arn: str


@dataclass(frozen=True)
class _Key:
    role_arn: str
    external_id: str
    session_name: str


class _Entry:
    def __init__(self, credentials: Credentials) -> None:
        self.credentials = credentials
        self.clients: dict[tuple[str, str], BaseClient] = {}


class AwsClients:
    """The app's own AWS access: its STS client and clients made from assumed-role credentials.

    botocore client creation costs milliseconds of CPU, so clients are cached with the credentials they use.
    """

    def __init__(self, config: Config = CLIENT_CONFIG) -> None:
        self._botocore = botocore.session.get_session()
        self._config = config
        self._lock = threading.Lock()
        self._sts: BaseClient | None = None

    def sts(self) -> BaseClient:
        with self._lock:
            if self._sts is None:
                self._sts = self._botocore.create_client("sts", region_name="us-east-1", config=self._config)
            return self._sts

    def observe_calls(self, observer: Callable[[str, str, str | None, str | None], None]) -> None:
        """Calls `observer(service, operation, error_code, aws_request_id)` once per API call (after botocore's
        retries) of every client made afterwards; error_code is None on success, the exception's name when
        no answer came. The observer runs on the calling thread and must be quick."""

        def answered(event_name: str, http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
            _, service, operation = event_name.split(".", 2)
            error = (parsed.get("Error") or {}).get("Code") if http_response.status_code >= 300 else None
            observer(
                service, operation, error or None, (parsed.get("ResponseMetadata") or {}).get("RequestId")
            )

        def failed(event_name: str, exception: Exception, **_: Any) -> None:
            _, service, operation = event_name.split(".", 2)
            observer(service, operation, type(exception).__name__, None)

        self._botocore.register("after-call", answered)
        self._botocore.register("after-call-error", failed)

    def client_for(
        self, credentials: Credentials, service: str, region: str, config: Config | None = None
    ) -> BaseClient:
        return self._botocore.create_client(
            service,
            region_name=region,
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
            aws_session_token=credentials.session_token,
            config=config or self._config,
        )

    def assume_role(self, role_arn: str, external_id: str, name: str) -> Credentials:
        """Blocking: call in a thread. The External ID is always sent, never optional."""
        response = self.sts().assume_role(
            RoleArn=role_arn, RoleSessionName=name, ExternalId=external_id, DurationSeconds=SESSION_SECONDS
        )
        c = response["Credentials"]
        expiration = c["Expiration"]
        expires_at = (
            expiration.timestamp() if isinstance(expiration, datetime) else time.time() + SESSION_SECONDS
        )
        return Credentials(
            access_key_id=c["AccessKeyId"],
            secret_access_key=c["SecretAccessKey"],
            session_token=c["SessionToken"],
            expires_at=expires_at,
            assumed_role_arn=response["AssumedRoleUser"]["Arn"],
        )


class RoleSessions:
    """Credentials per (role, External ID, Slack user): cached until shortly before they expire, bounded, and
    fetched once however many requests miss at the same moment."""

    def __init__(
        self,
        aws: AwsClients,
        *,
        budget: AwsBudget | None = None,
        max_entries: int = 5_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.aws = aws
        self.budget = budget or AwsBudget()
        self._sites: weakref.WeakKeyDictionary[BaseClient, CallSite] = weakref.WeakKeyDictionary()
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[_Key, _Entry] = OrderedDict()
        self._pending: dict[_Key, asyncio.Task[_Entry]] = {}

    async def _entry(self, key: _Key) -> _Entry:
        entry = self._entries.get(key)
        if entry is not None and entry.credentials.expires_at - self._clock() > REFRESH_BEFORE_SECONDS:
            self._entries.move_to_end(key)
            return entry
        pending = self._pending.get(key)
        if pending is None:
            # Its own task, so that the request that started it giving up (cancelled) neither fails the others
            # waiting for the same session nor throws away the credentials STS is already sending.
            pending = self._pending[key] = asyncio.ensure_future(self._assume(key))
            pending.add_done_callback(lambda done: self._assumed(key, done))
        return await asyncio.shield(pending)

    async def _assume(self, key: _Key) -> _Entry:
        credentials = await self.budget.blocking(
            self.aws.assume_role, key.role_arn, key.external_id, key.session_name
        )
        entry = self._entries[key] = _Entry(credentials)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return entry

    def _assumed(self, key: _Key, done: asyncio.Task[_Entry]) -> None:
        if self._pending.get(key) is done:
            del self._pending[key]
        if not done.cancelled():
            done.exception()  # retrieved: its waiters got it; a failure nobody waited for is not logged as unseen

    async def client(
        self, role_arn: str, external_id: str, name: str, service: str, region: str
    ) -> BaseClient:
        """A client acting as the role; call it through `read` and `write`."""
        entry = await self._entry(_Key(role_arn, external_id, name))
        key = (service, region)
        client = entry.clients.get(key)
        if client is None:
            client = await self.budget.blocking(
                self.aws.client_for, entry.credentials, service, region, ROLE_CLIENT_CONFIG
            )
            client = entry.clients.setdefault(key, client)
            match = _ROLE_ACCOUNT.match(role_arn)
            self._sites[client] = CallSite(
                match.group(1) if match else role_arn, role_arn, external_id, service, region
            )
        return client

    async def read(self, client: BaseClient, operation: str, **params: Any) -> dict[str, Any]:
        """A read with a client of `client()`, within its account's budget (see `budget`)."""
        return await self.budget.read(self._sites[client], client, operation, params)

    async def write(self, client: BaseClient, operation: str, **params: Any) -> dict[str, Any]:
        """A write AWS does not deduplicate: resent only after AWS said it throttled."""
        return await self.budget.write(self._sites[client], client, operation, params)

    def forget(self, role_arn: str) -> None:
        """Drops every cached session of a role (its configuration changed or it was removed)."""
        for key in [k for k in self._entries if k.role_arn == role_arn]:
            del self._entries[key]
