"""Reconciliation: for each account with configured channels, in its turn, the cases updated since the last look
(or still open in a thread) are fed through the inbox like events; the thread state decides what is really new.
It catches what no event announced (a rule not deployed yet, an event lost on the way)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from botocore.exceptions import BotoCoreError
from botocore.exceptions import ClientError

from bolt_app.aws.budget import background
from bolt_app.aws.case_errors import explain_case_error
from bolt_app.aws.errors import AwsError
from bolt_app.aws.errors import CallContext
from bolt_app.aws.sessions import RoleSessions
from bolt_app.aws.sessions import session_name
from bolt_app.services.cases import LANGUAGES
from bolt_app.services.cases import SUPPORT_REGION
from bolt_app.services.cases import SUPPORT_SERVICE
from bolt_app.services.channels import channel_account
from bolt_app.services.context import ChannelAccount
from bolt_app.services.notifications.case_reading import NOTIFIER_USER
from bolt_app.services.notifications.events import RECONCILE
from bolt_app.services.notifications.inbox import Inbox
from bolt_app.services.notifications.options import Clock
from bolt_app.services.notifications.options import NotificationOptions
from storage.channels import ChannelRepository
from storage.notifications.deliveries import DeliveryRepository
from storage.notifications.reconciliations import ReconciliationRepository
from storage.notifications.threads import ThreadRepository
from storage.notifications.values import NewEvent
from storage.workspaces import WorkspaceKey
from storage.workspaces import WorkspaceRepository

log = logging.getLogger(__name__)

CASE_IDS_PER_CALL = 100  # DescribeCases takes at most 100 case IDs
#: The most recently changed open threads of an account checked by ID (10 calls a language, in the background)
MAX_TRACKED_CASES = 1000


@dataclass(frozen=True)
class ReconcileReport:
    accounts: int = 0
    cases: int = 0
    events: int = 0
    failed_accounts: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Reconciled:
    case_id: str
    status: str
    newest_comm_at: str


def _aws_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(kw_only=True)
class Reconciliation:
    reconciliations: ReconciliationRepository
    inbox: Inbox
    threads: ThreadRepository
    deliveries: DeliveryRepository
    channels: ChannelRepository
    workspaces: WorkspaceRepository
    role_sessions: RoleSessions
    options: NotificationOptions
    clock: Clock

    async def reconcile(self, worker: str, stopping: Callable[[], bool] = lambda: False) -> ReconcileReport:
        """Looks, for each account with configured channels whose turn it is, for cases updated since its last
        look, and feeds them through `ingest`'s path: the thread state decides what is really new."""
        interval = timedelta(seconds=self.options.reconcile_interval_seconds)
        accounts = cases = events = 0
        failed: list[str] = []
        for account_id in await self.reconciliations.accounts_with_channels():
            if stopping():
                break
            now = self.clock()
            claimed, last_look = await self.reconciliations.claim_reconciliation(
                account_id, worker, now, now + interval
            )
            if not claimed:
                continue
            accounts += 1
            since = (
                last_look - timedelta(seconds=self.options.reconcile_overlap_seconds)
                if last_look
                else now - interval
            )
            found = await self._updated_cases(account_id, since)
            if found is None:
                failed.append(account_id)
            else:
                cases += len(found)
                for case in found:
                    events += (
                        await self.inbox.record(_reconcile_event(account_id, case, now, since), [_key(case)])
                    ).accepted
            await self.reconciliations.finish_reconciliation(
                account_id, worker, now if found is not None else None, now + interval
            )
        await self.deliveries.purge(self.clock() - timedelta(days=self.options.retention_days))
        return ReconcileReport(accounts, cases, events, tuple(failed))

    async def _updated_cases(self, account_id: str, since: datetime) -> list[_Reconciled] | None:
        """Asks with the roles of the account's channels, one after the other until one may read the cases."""
        configs = await self.channels.for_account(account_id)
        tried: set[tuple[WorkspaceKey, str]] = set()
        for config in configs:
            if (config.workspace, config.role_arn) in tried:
                continue
            tried.add((config.workspace, config.role_arn))
            workspace = await self.workspaces.get(config.workspace)
            if workspace is None or not workspace.installed:
                continue
            try:
                return await self._describe_updated(channel_account(config, workspace), since)
            except (ClientError, BotoCoreError, AwsError) as e:
                log.warning("reconciling account %s with %s failed: %s", account_id, config.role_arn, e)
        return None

    async def _describe_updated(self, channel: ChannelAccount, since: datetime) -> list[_Reconciled]:
        name = session_name(channel.workspace.team_id or channel.workspace.enterprise_id, NOTIFIER_USER)
        client = await self.role_sessions.client(
            channel.role_arn, channel.external_id, name, SUPPORT_SERVICE, SUPPORT_REGION
        )
        found: dict[str, _Reconciled] = {}
        open_threads = await self.threads.open_threads(channel.account_id, limit=MAX_TRACKED_CASES)
        for language in LANGUAGES:
            params = {"afterTime": _aws_time(since)}
            for case in await self._describe_pages(channel, client, language, params):
                found[case.case_id] = case
            tracked = [case_id for case_id, lang in open_threads if (lang or "en") == language]
            for start in range(0, len(tracked), CASE_IDS_PER_CALL):
                chunk = {"caseIdList": tracked[start : start + CASE_IDS_PER_CALL]}
                for case in await self._describe_pages(channel, client, language, chunk):
                    found[case.case_id] = case
        return list(found.values())

    async def _describe_pages(
        self, channel: ChannelAccount, client: Any, language: str, params: dict[str, Any]
    ) -> list[_Reconciled]:
        out: list[_Reconciled] = []
        token: str | None = None
        for _ in range(10):
            request = params | {
                "includeResolvedCases": True,
                "includeCommunications": True,
                "language": language,
                "maxResults": 100,
            }
            if token:
                request["nextToken"] = token
            try:
                with background():  # behind every user's call of the account
                    response = await self.role_sessions.read(client, "describe_cases", **request)
            except (ClientError, BotoCoreError) as e:
                ctx = CallContext(channel.role_arn, channel.account_shown, "support:DescribeCases")
                raise explain_case_error(e, ctx) from e
            for raw in response.get("cases") or []:
                comms = (raw.get("recentCommunications") or {}).get("communications") or []
                newest = max((str(c.get("timeCreated", "")) for c in comms), default="")
                out.append(_Reconciled(str(raw.get("caseId", "")), str(raw.get("status", "")), newest))
            token = response.get("nextToken")
            if not token or token == params.get("nextToken"):
                break
        return out


def _key(case: _Reconciled) -> str:
    return f"reconcile:{case.case_id}:{case.status}:{case.newest_comm_at}"


def _reconcile_event(account_id: str, case: _Reconciled, observed_at: datetime, since: datetime) -> NewEvent:
    return NewEvent(
        account_id=account_id,
        case_id=case.case_id,
        event_name=RECONCILE,
        event_time=observed_at,
        source="reconcile",
        floor_time=since,
    )
