"""Case notifications: AWS Support "Support Case Update" events to channel threads, once each, filtered by each
channel's settings, read with each channel's own IAM role.

Two ways in, one path. `POST /aws/events` (an EventBridge API destination, per-account token) and the SQS
`worker` both call `ingest`, which stores the event with one pending delivery per channel configuration of its
account (storage/notifications.py). Reconciliation feeds what it finds through the same `ingest`. The delivery
loop (bolt_app/notifications_worker.py) leases channels and calls `run_channel`, which walks a channel's
deliveries in order: describe the case with that channel's role, `plan_delivery` against what the channel was
already told (`case_threads`), post, record each Slack write as soon as Slack accepted it.

Nothing twice: the thread state is the only guard. A duplicate event, a reconciled copy of an event, or a delivery
re-run after a crash all plan against the same state, so a post can repeat only if the process dies between Slack
accepting it and the state being written.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
from botocore.exceptions import BotoCoreError, ClientError
from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.web.async_client import AsyncWebClient

from bolt_app.authorize import TokenRotation
from bolt_app.aws.case_errors import explain_case_error
from bolt_app.aws.errors import AwsError, CallContext
from bolt_app.aws.sessions import RoleSessions, call, session_name
from bolt_app.blocks.notifications import (
    SlackMessage,
    correspondence_message,
    is_from_aws,
    lifecycle_message,
    root_message,
)
from bolt_app.errors import UserFacingError
from bolt_app.identifiers import is_account_id, is_case_id
from bolt_app.services.accounts import display_name, parse_account_id
from bolt_app.services.cases import (
    LANGUAGES,
    RESOLVED,
    SUPPORT_REGION,
    SUPPORT_SERVICE,
    CaseService,
    CaseSummary,
    Communication,
)
from bolt_app.services.context import ChannelAccount, SlackActor
from storage.accounts import AccountRow
from storage.audit import AuditEvent, AuditRepository
from storage.channels import ChannelConfigRow, ChannelRepository, Notifications
from storage.installation_store import InstallationStore
from storage.notifications import (
    FAILED,
    OPEN,
    POSTED,
    SKIPPED,
    ChannelKey,
    DeliveryWork,
    NewEvent,
    NotificationRepository,
    StoredEvent,
    ThreadChange,
    ThreadKey,
    ThreadState,
)
from storage.workspaces import WorkspaceKey, WorkspaceRepository, WorkspaceRow

if TYPE_CHECKING:
    from bolt_app.app import Services

log = logging.getLogger(__name__)

SUPPORT_SOURCE = "aws.support"
DETAIL_TYPE = "Support Case Update"
CREATE, ADD_COMMUNICATION, RESOLVE, REOPEN = (
    "CreateCase",
    "AddCommunicationToCase",
    "ResolveCase",
    "ReopenCase",
)
EVENT_NAMES = (CREATE, ADD_COMMUNICATION, RESOLVE, REOPEN)
RECONCILE = "Reconcile"
HIGH_SEVERITIES = frozenset({"high", "urgent", "critical"})
NOTIFIER_USER = "notifications"  # the "user" of role sessions and audit rows of notification work
OWN_ACTIONS = ("create", "reply", "reopen", "resolve")

CHANNEL_GONE = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
TOKEN_GONE = frozenset(
    {"invalid_auth", "token_revoked", "account_inactive", "not_authed", "token_expired", "team_not_found"}
)
UPDATE_GONE = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})
_TOKEN_PREFIX = "awsev_"


class InvalidEvent(ValueError):
    """A body that is not an AWS Support "Support Case Update" event."""


@dataclass(frozen=True)
class NotificationOptions:
    lease_seconds: float = 60.0
    post_interval_seconds: float = 1.0  # chat.postMessage: about one message per second per channel
    max_attempts: int = 8  # a delivery failing transiently this often is given up (recorded as failed)
    retry_base_seconds: float = 5.0
    retry_max_seconds: float = 900.0
    comm_window_seconds: float = 60.0  # before an event's time, for a channel with no correspondence mark yet
    own_reply_before_seconds: float = 120.0  # how far a reply made from the channel may precede its record
    own_reply_after_seconds: float = 60.0  # and follow it (clock skew between AWS and this host)
    reconcile_interval_seconds: float = 900.0
    reconcile_overlap_seconds: float = 300.0
    retention_days: float = 14.0


@dataclass(frozen=True)
class SupportCaseEvent:
    event_id: str
    account_id: str
    case_id: str
    event_name: str
    time: datetime
    display_id: str | None = None
    communication_id: str | None = None
    origin: str | None = None  # AWS | CUSTOMER, on AddCommunicationToCase only

    def idempotency_keys(self) -> list[str]:
        """The event's own ID, and what it is about: AWS sometimes sends the same change again with a new ID.
        Resolve and reopen can happen more than once per case, so without a correspondence ID their content
        key includes the time; the thread state catches the remaining repeats."""
        if self.communication_id:
            about = f"{self.case_id}:{self.event_name}:{self.communication_id}"
        elif self.event_name == CREATE:
            about = f"{self.case_id}:{CREATE}"
        else:
            about = f"{self.case_id}:{self.event_name}:{self.time.isoformat()}"
        return [f"aws-event:{self.event_id}", f"aws-case-event:{about}"]


@dataclass(frozen=True)
class IngestResult:
    accepted: bool  # False: a duplicate, nothing stored
    event_id: int | None = None
    deliveries: int = 0


@dataclass(frozen=True)
class Step:
    """One Slack write of a delivery, and what it changes in the thread state once Slack accepted it."""

    kind: str  # root | correspondence | resolved | reopened | update_root
    change: ThreadChange
    communication: Communication | None = None


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    final: ThreadChange  # applied with the delivery's outcome (marks passed over without a post)
    reason: str  # why nothing is posted, when nothing is

    @property
    def kinds(self) -> str:
        return ",".join(s.kind for s in self.steps)


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


@dataclass(frozen=True)
class _Done:
    state: str  # posted | skipped | failed
    outcome: str
    thread: tuple[ThreadKey, str, ThreadChange] | None = None


class _Skip(Exception):
    def __init__(self, reason: str, detail: str | None = None, audit: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail
        self.audit = audit


class _Retry(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------------------------------------------------------
# Parsing events
# ---------------------------------------------------------------------------------------------------------------


def _parse_time(value: object) -> datetime:
    if not isinstance(value, str) or not value:
        raise InvalidEvent("the event has no time")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidEvent(f"the event time {value!r} is not ISO 8601") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _text(detail: dict[str, Any], name: str, limit: int = 255) -> str | None:
    value = detail.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidEvent(f"detail.{name} must be a string of at most {limit} characters")
    return value


def parse_event(body: object) -> SupportCaseEvent:
    """The Support Case Update event in an EventBridge envelope (as an API destination or SQS receives it)."""
    if not isinstance(body, dict):
        raise InvalidEvent("the body is not a JSON object")
    if body.get("source") != SUPPORT_SOURCE or body.get("detail-type") != DETAIL_TYPE:
        raise InvalidEvent(
            f'only events with source "{SUPPORT_SOURCE}" and detail-type "{DETAIL_TYPE}" are accepted'
        )
    event_id, account_id, detail = body.get("id"), body.get("account"), body.get("detail")
    if not isinstance(event_id, str) or not event_id or len(event_id) > 128:
        raise InvalidEvent("the event has no id")
    if not is_account_id(account_id):
        raise InvalidEvent("the event's account is not a 12-digit AWS account ID")
    if not isinstance(detail, dict):
        raise InvalidEvent("the event has no detail")
    case_id = _text(detail, "case-id", 64)
    name = detail.get("event-name")
    if case_id is None:
        raise InvalidEvent("detail.case-id is missing")
    if not is_case_id(case_id):
        raise InvalidEvent("detail.case-id is not an AWS Support case ID")
    if name not in EVENT_NAMES:
        raise InvalidEvent(f"detail.event-name must be one of {', '.join(EVENT_NAMES)}")
    origin = _text(detail, "origin", 16)
    return SupportCaseEvent(
        event_id=event_id,
        account_id=account_id,
        case_id=case_id,
        event_name=str(name),
        time=_parse_time(body.get("time")),
        display_id=_text(detail, "display-id", 32),
        communication_id=_text(detail, "communication-id"),
        origin=origin.upper() if origin else None,
    )


# ---------------------------------------------------------------------------------------------------------------
# Planning (pure): what a channel is to be told about a case, given what it was already told
# ---------------------------------------------------------------------------------------------------------------


def severity_matches(setting: str, severity_code: str) -> bool:
    if setting == "all":
        return True
    if setting == "high":
        return severity_code in HIGH_SEVERITIES
    return False


def _kinds(event: StoredEvent, case: CaseSummary, lifecycle: str | None) -> set[str]:
    name = event.event_name
    if name != RECONCILE:
        return {{CREATE: "create", REOPEN: "reopen", RESOLVE: "resolve", ADD_COMMUNICATION: "comms"}[name]}
    # Reconciliation saw the case as it is now: every change that could have happened since its last look.
    kinds = {"comms"}
    created = case.time_created
    if event.floor_time is not None and created is not None and created >= event.floor_time:
        kinds.add("create")
    if case.status == RESOLVED:
        kinds.add("resolve")
    elif lifecycle == RESOLVED or case.status == "reopened":
        kinds.add("reopen")
    return kinds


def comm_floor(event: StoredEvent, state: ThreadState | None, options: NotificationOptions) -> datetime:
    """Correspondence after this time is new to the channel."""
    if state is not None and state.last_comm_at is not None:
        return state.last_comm_at
    if event.event_name == RECONCILE and event.floor_time is not None:
        return event.floor_time
    return event.event_time - timedelta(seconds=options.comm_window_seconds)


def _is_own_reply(comm: Communication, state: ThreadState, options: NotificationOptions) -> bool:
    if is_from_aws(comm) or state.own_replies <= 0 or state.own_reply_at is None or comm.time_created is None:
        return False
    low = state.own_reply_at - timedelta(seconds=options.own_reply_before_seconds)
    high = state.own_reply_at + timedelta(seconds=options.own_reply_after_seconds)
    return low <= comm.time_created <= high


@dataclass
class _Draft:
    """A plan in the making: what the channel will be told, and the thread state it leaves."""

    event: StoredEvent
    case: CaseSummary
    state: ThreadState
    wanted: bool  # the case's severity passes the channel's filter
    final: ThreadChange
    lifecycle: str | None
    lifecycle_at: datetime | None
    replies: list[Step] = field(default_factory=list)
    want_root: bool = False
    filtered: bool = False

    @property
    def has_root(self) -> bool:
        return self.state.root_ts is not None

    def record(self, change: ThreadChange) -> None:
        self.final = self.final.then(change)

    def move(self, lifecycle: str) -> ThreadChange:
        self.lifecycle, self.lifecycle_at = lifecycle, self.event.event_time
        change = ThreadChange(lifecycle=lifecycle, lifecycle_at=self.event.event_time)
        self.record(change)
        return change

    def announce(self, enabled: bool, reply: Step | None) -> None:
        """A change the channel may hear of: under the case's root, which is made first if there is none."""
        if not (enabled and self.wanted):
            self.filtered = True
            return
        self.want_root = self.want_root or not self.has_root
        if reply is not None:
            self.replies.append(reply)


def _plan_create(d: _Draft, kinds: set[str], rules: Notifications) -> None:
    if "create" in kinds and d.lifecycle is None:
        d.move(OPEN)
        d.announce(rules.on_create_or_reopen, None)


def _plan_lifecycle(d: _Draft, kinds: set[str], rules: Notifications) -> None:
    for kind, target, enabled in (
        ("resolve", RESOLVED, rules.on_resolve),
        ("reopen", OPEN, rules.on_create_or_reopen),
    ):
        newer = d.lifecycle_at is None or d.event.event_time >= d.lifecycle_at  # not an older, late event
        if kind in kinds and d.lifecycle != target and newer:
            change = d.move(target)
            d.announce(enabled, Step("resolved" if target == RESOLVED else "reopened", change))


def _plan_comms(
    d: _Draft, comms: Sequence[Communication], rules: Notifications, options: NotificationOptions
) -> None:
    floor, created = comm_floor(d.event, d.state, options), d.case.time_created
    new = sorted(
        (
            c
            for c in comms
            if c.time_created is not None
            and c.time_created > floor
            and (created is None or c.time_created > created)  # not the case's own description
        ),
        key=lambda c: c.time_created or floor,
    )
    own_left, used = d.state.own_replies, 0
    for comm in new:
        if own_left > 0 and _is_own_reply(comm, d.state, options):
            own_left, used = own_left - 1, used + 1  # sent from this channel: it is there already
            continue
        d.announce(
            rules.on_correspondence,
            Step("correspondence", ThreadChange(last_comm_at=comm.time_created), comm),
        )
    if new:
        d.record(ThreadChange(last_comm_at=max(c.time_created for c in new if c.time_created)))
    if used:
        d.record(ThreadChange(own_replies_used=used))


def _steps(d: _Draft, kinds: set[str]) -> tuple[Step, ...]:
    case = d.case
    if d.want_root and not d.has_root:
        mark = case.time_created if "create" in kinds and d.state.last_comm_at is None else None
        root = ThreadChange(
            display_id=case.display_id or None,
            language=case.language or None,
            root_status=case.status,
            last_comm_at=mark,  # a new case's root stands for its description
        )
        # A new root shows the case's status itself: only correspondence follows it.
        return (Step("root", root), *(r for r in d.replies if r.kind == "correspondence"))
    if not d.has_root:
        return ()
    order = {"reopened": 0, "correspondence": 1, "resolved": 2}
    steps = sorted(d.replies, key=lambda r: order[r.kind])
    if d.state.root_status != case.status:
        steps.append(Step("update_root", ThreadChange(root_status=case.status)))
    return tuple(steps)


def plan_delivery(
    event: StoredEvent,
    case: CaseSummary,
    comms: Sequence[Communication],
    state: ThreadState,
    rules: Notifications,
    options: NotificationOptions,
) -> Plan:
    """The Slack writes that tell a channel about `event`, in order, and the thread state after them.

    The first message about a case is its root; later ones are replies under it, and the root's status is kept
    current. A change the channel's settings do not want is passed over but still recorded, so that it is not
    announced later either (for example after the settings change, or by reconciliation).
    """
    d = _Draft(
        event=event,
        case=case,
        state=state,
        wanted=severity_matches(rules.severity, case.severity_code),
        final=ThreadChange(display_id=case.display_id or None, language=case.language or None),
        lifecycle=state.lifecycle,
        lifecycle_at=state.lifecycle_at,
    )
    kinds = _kinds(event, case, state.lifecycle)
    _plan_create(d, kinds, rules)
    _plan_lifecycle(d, kinds, rules)
    if "comms" in kinds:
        _plan_comms(d, comms, rules, options)
    return Plan(_steps(d, kinds), d.final, "filtered" if d.filtered else "nothing new")


# ---------------------------------------------------------------------------------------------------------------
# The service
# ---------------------------------------------------------------------------------------------------------------


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aws_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _retry_after(error: SlackApiError) -> float:
    try:
        return max(1.0, float(error.response.headers.get("Retry-After", "1")))
    except (TypeError, ValueError, AttributeError):
        return 1.0


def system_clock() -> datetime:
    return datetime.now(UTC)


class NotificationService:
    def __init__(
        self,
        repository: NotificationRepository,
        *,
        channels: ChannelRepository,
        workspaces: WorkspaceRepository,
        cases: CaseService,
        role_sessions: RoleSessions,
        installations: InstallationStore,
        rotation: TokenRotation,
        client: AsyncWebClient,
        audit: AuditRepository,
        options: NotificationOptions | None = None,
        bot_token: str | None = None,
        clock: Callable[[], datetime] = system_clock,
        checkpoint: Callable[[str], None] | None = None,
    ) -> None:
        self.repository = repository
        self.channels = channels
        self.workspaces = workspaces
        self.cases = cases
        self.role_sessions = role_sessions
        self.installations = installations
        self.rotation = rotation
        self.client = client
        self.audit = audit
        self.options = options or NotificationOptions()
        self.bot_token = bot_token  # Socket Mode: the one workspace's token, when nothing is stored
        self.clock = clock
        # Failure injection for tests: called with the step name at each point a process could die.
        self._checkpoint = checkpoint or (lambda step: None)
        self.wake = asyncio.Event()  # set when work arrives, so this process's delivery loop starts at once
        self._last_post: dict[tuple[str, str], float] = {}

    def _now(self) -> datetime:
        return self.clock()

    def _lease_end(self) -> datetime:
        return self._now() + timedelta(seconds=self.options.lease_seconds)

    # ---- events tokens ------------------------------------------------------------------------------------

    async def issue_events_token(self, account_id: str, issued_by: str | None = None) -> str:
        """A new token for `POST /aws/events` of this account; the previous one stops working. Shown once."""
        account_id = parse_account_id(account_id)
        if not await self.repository.account_is_authorized(account_id):
            raise UserFacingError(
                f"AWS account {account_id} has not authorized any Slack workspace of this app, so it cannot send "
                "case events. Authorize it first (`/aws-support authorize-account`)."
            )
        token = _TOKEN_PREFIX + secrets.token_urlsafe(32)
        await self.repository.set_events_token(account_id, _hash_token(token), issued_by, self._now())
        return token

    async def account_for_token(self, token: str | None) -> str | None:
        if not token or len(token) > 200:
            return None
        return await self.repository.account_for_token_hash(_hash_token(token))

    # ---- ingestion ----------------------------------------------------------------------------------------

    async def ingest(self, event: SupportCaseEvent, source: str) -> IngestResult:
        """Stores the event and its deliveries once; a repeat (same ID, or same change with a new ID) is
        accepted as a duplicate and stores nothing."""
        stored = NewEvent(
            account_id=event.account_id,
            case_id=event.case_id,
            event_name=event.event_name,
            event_time=event.time,
            source=source,
            communication_id=event.communication_id,
            origin=event.origin,
            aws_event_id=event.event_id,
        )
        return await self._record(stored, event.idempotency_keys())

    async def _record(self, event: NewEvent, keys: Sequence[str]) -> IngestResult:
        recorded = await self.repository.record_event(event, keys, self._now())
        if recorded is None:
            return IngestResult(False)
        if recorded.deliveries:
            self.wake.set()
        return IngestResult(True, recorded.event_id, recorded.deliveries)

    # ---- actions taken from a channel ---------------------------------------------------------------------

    async def record_own_action(
        self,
        team_id: str,
        channel_id: str,
        account_id: str,
        case_id: str,
        kind: str,
        root_ts: str | None = None,
    ) -> ThreadState:
        """Call after creating a case, replying, reopening or resolving from a channel: that channel then is not
        told about it again. With `root_ts` (the case message the listener posted), that message becomes the
        case's thread root in the channel. Returns the thread state (its root may predate `root_ts`)."""
        if kind not in OWN_ACTIONS:
            raise ValueError(f"kind must be one of {OWN_ACTIONS}")
        now = self._now()
        lifecycle = {"create": OPEN, "reopen": OPEN, "resolve": RESOLVED}.get(kind)
        replied = kind in ("reply", "reopen")
        change = ThreadChange(
            root_ts=root_ts,
            root_status={"create": "opened", "reopen": "reopened", "resolve": RESOLVED}.get(kind)
            if root_ts
            else None,
            lifecycle=lifecycle,
            lifecycle_at=now if lifecycle else None,
            own_replies_added=1 if replied else 0,
            own_reply_at=now if replied else None,
        )
        config = await self.channels.get(team_id, channel_id, account_id)
        enterprise_id = config.workspace.enterprise_id if config else ""
        key = ThreadKey(team_id, channel_id, account_id, case_id)
        return await self.repository.change_thread(key, enterprise_id, change, now)

    # ---- delivery -----------------------------------------------------------------------------------------

    async def claim_channels(self, worker: str, limit: int) -> list[ChannelKey]:
        return await self.repository.claim_channels(worker, self._now(), self._lease_end(), limit)

    async def run_channel(
        self, worker: str, channel: ChannelKey, stopping: Callable[[], bool] = lambda: False
    ) -> int:
        """Makes the claimed channel's deliveries in order until none is left, one is deferred, `stopping()`
        turns true, or the lease is lost. Returns how many were finished."""
        lost, finished = asyncio.Event(), asyncio.Event()
        heartbeat = asyncio.create_task(self._heartbeat(worker, channel, lost, finished))
        done = 0
        try:
            while not stopping() and not lost.is_set():
                work = await self.repository.next_delivery(worker, channel, self._now(), self._lease_end())
                if work is None:
                    break
                if work.reclaimed:
                    log.warning("delivery %s: taking over from a worker whose lease expired", work.id)
                if not await self._deliver(worker, work):
                    return done  # deferred: the channel waits, and was released with its wait
                done += 1
            await self.repository.release_channel(worker, channel)
            return done
        finally:
            # Stopped, never cancelled: a task cancelled inside a transaction can leave its connection (on
            # SQLite, the database's write lock) held.
            finished.set()
            await heartbeat

    async def _heartbeat(
        self, worker: str, channel: ChannelKey, lost: asyncio.Event, finished: asyncio.Event
    ) -> None:
        every = max(self.options.lease_seconds / 3, 0.05)
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(finished.wait(), every)
            if finished.is_set():
                return
            try:
                if not await self.repository.renew_channel(worker, channel, self._lease_end()):
                    log.warning("lost the lease on channel %s", channel.channel_id)
                    lost.set()
                    return
            except Exception:
                log.exception("could not renew the lease on channel %s", channel.channel_id)

    async def _deliver(self, worker: str, work: DeliveryWork) -> bool:
        """One delivery; False when it was deferred (its channel then waits)."""
        try:
            done = await self._attempt(work)
        except _Skip as skip:
            await self._finish(
                worker, work, _Done(SKIPPED, skip.reason), audit=skip.audit, detail=skip.detail
            )
            return True
        except _Retry as retry:
            return await self._retry(worker, work, retry.reason)
        except Exception as e:  # a bug or an unexpected failure: retried a bounded number of times
            log.exception("delivery %s failed", work.id)
            return await self._retry(worker, work, f"error:{type(e).__name__}")
        await self._finish(worker, work, done)
        self._checkpoint("done")
        return True

    async def _retry(self, worker: str, work: DeliveryWork, reason: str) -> bool:
        if work.attempts >= self.options.max_attempts:
            await self._finish(worker, work, _Done(FAILED, reason), audit=True)
            return True
        delay = min(
            self.options.retry_base_seconds * 2 ** (work.attempts - 1), self.options.retry_max_seconds
        )
        now = self._now()
        log.info("delivery %s: %s; retrying in %.0fs", work.id, reason, delay)
        await self.repository.defer_delivery(
            work.id, worker, work.channel, f"retry:{reason}", now + timedelta(seconds=delay), now
        )
        return False

    async def _finish(
        self, worker: str, work: DeliveryWork, done: _Done, *, audit: bool = False, detail: str | None = None
    ) -> None:
        await self.repository.finish_delivery(
            work.id, worker, done.state, done.outcome, self._now(), done.thread
        )
        if audit:
            await self._audit(work, f"{done.state}:{done.outcome}", detail)

    async def _audit(self, work: DeliveryWork, outcome: str, detail: str | None) -> None:
        try:
            await self.audit.record(
                AuditEvent(
                    action="notification",
                    outcome=outcome[:32],
                    enterprise_id=work.channel.enterprise_id,
                    team_id=work.channel.team_id,
                    channel_id=work.channel.channel_id,
                    user_id=NOTIFIER_USER,
                    account_id=work.account_id,
                    case_id=work.event.case_id,
                    detail=(
                        detail or f"{work.event.event_name} event {work.event.aws_event_id or work.event.id}"
                    )[:2000],
                )
            )
        except Exception:
            log.exception("could not write the audit event of delivery %s", work.id)

    async def _attempt(self, work: DeliveryWork) -> _Done:
        event, ch = work.event, work.channel
        config = await self.channels.get(ch.team_id, ch.channel_id, work.account_id)
        if config is None:
            raise _Skip("not_configured", audit=False)
        if config.notifications.severity == "none":
            raise _Skip("filtered", audit=False)
        workspace = await self.workspaces.get(config.workspace)
        if workspace is None or not workspace.installed:
            raise _Skip("not_installed")
        self._checkpoint("claimed")
        key = ThreadKey(ch.team_id, ch.channel_id, work.account_id, event.case_id)
        state = await self.repository.thread(key) or ThreadState(key)
        channel = _channel_account(config, workspace)
        case = await self._describe(channel, event.case_id, state.language)
        comms = await self._comms_since(channel, case, comm_floor(event, state, self.options))
        self._checkpoint("described")
        plan = plan_delivery(event, case, comms, state, config.notifications, self.options)
        thread = (key, config.workspace.enterprise_id, plan.final)
        if not plan.steps:
            return _Done(SKIPPED, plan.reason, thread)
        token = await self._token(config.workspace)
        for step in plan.steps:
            state = await self._perform(step, case, state, key, config, token)
        return _Done(POSTED, plan.kinds, thread)

    async def _perform(
        self,
        step: Step,
        case: CaseSummary,
        state: ThreadState,
        key: ThreadKey,
        config: ChannelConfigRow,
        token: str,
    ) -> ThreadState:
        """One Slack write, then its record: the only window in which a crash can repeat a post."""
        channel_id = config.channel_id
        self._checkpoint("before_post")
        if step.kind == "update_root":
            await self._update_root(token, channel_id, state.root_ts or "", case)
            change = step.change
        else:
            message = _message_for(step, case)
            ts = await self._post(token, config, message, None if step.kind == "root" else state.root_ts)
            change = replace(step.change, root_ts=ts) if step.kind == "root" else step.change
        self._checkpoint("after_post")
        after = await self.repository.change_thread(key, config.workspace.enterprise_id, change, self._now())
        self._checkpoint("recorded")
        if step.kind == "root" and after.root_ts != change.root_ts:
            # Someone else (the case listener) made the root meanwhile: take ours back.
            await self._delete_quietly(token, channel_id, change.root_ts or "")
        return after

    # ---- AWS ----------------------------------------------------------------------------------------------

    async def _describe(self, channel: ChannelAccount, case_id: str, language: str | None) -> CaseSummary:
        actor = SlackActor(channel.workspace, NOTIFIER_USER, "AWS Support notifications")
        try:
            return await self.cases.details(channel, actor, case_id, language)
        except AwsError as e:  # CaseService has written the audit row
            raise _classify_aws(e) from e
        except UserFacingError as e:
            raise _Skip("aws_refused", e.message, audit=False) from e

    async def _comms_since(
        self, channel: ChannelAccount, case: CaseSummary, floor: datetime
    ) -> list[Communication]:
        """The case's recent correspondence, reaching further back than DescribeCases' five when all of those
        are new (a burst, or a channel that missed several)."""
        recent = list(case.recent)
        oldest = recent[-1].time_created if recent else None
        if not case.more_communications or oldest is None or oldest <= floor:
            return recent
        actor = SlackActor(channel.workspace, NOTIFIER_USER, "AWS Support notifications")
        found: list[Communication] = []
        token: str | None = None
        for _ in range(5):
            try:
                page, token = await self.cases.communications(channel, actor, case.case_id, token)
            except AwsError as e:
                raise _classify_aws(e) from e
            found += page
            if not token or not page or (page[-1].time_created and page[-1].time_created <= floor):
                break
        return found or recent

    # ---- Slack --------------------------------------------------------------------------------------------

    async def _token(self, workspace: WorkspaceKey) -> str:
        bot = await self.installations.async_find_bot(
            enterprise_id=workspace.enterprise_id or None,
            team_id=workspace.team_id or None,
            is_enterprise_install=not workspace.team_id,
        )
        if bot is None or not bot.bot_token:
            if self.bot_token:
                return self.bot_token
            raise _Skip("not_installed")
        try:
            bot = await self.rotation.fresh(bot)
        except SlackTokenRotationError as e:
            api_error = getattr(e, "api_error", None)
            code = str(api_error.response.get("error", "")) if api_error is not None else ""
            if code in TOKEN_GONE or code == "invalid_refresh_token":
                raise _Skip(code) from e
            raise _Retry("slack:rotation") from e
        return str(bot.bot_token)

    async def _pace(self, channel: tuple[str, str]) -> None:
        """No faster than the channel's posting rate, counted from Slack's answer to the previous post (which it
        received before answering). Only this process posts to a channel it has leased."""
        last = self._last_post.get(channel)
        if last is not None:
            wait = last + self.options.post_interval_seconds - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)

    async def _slack(self, method: str, pace_key: tuple[str, str], /, **params: Any) -> Any:
        while True:
            if method == "chat.postMessage":
                await self._pace(pace_key)
            try:
                response = await self.client.api_call(method, json=params)
            except SlackApiError as e:
                error = str(e.response.get("error", ""))
                if e.response.status_code == 429 or error == "ratelimited":
                    wait = _retry_after(e)
                    log.info("%s to %s rate limited; waiting %.0fs", method, pace_key[1], wait)
                    await asyncio.sleep(wait)
                    continue
                if error in CHANNEL_GONE or error in TOKEN_GONE:
                    raise _Skip(error) from e
                if method == "chat.update" and error in UPDATE_GONE:
                    return None
                raise _Retry(f"slack:{error or e.response.status_code}") from e
            except (aiohttp.ClientError, TimeoutError) as e:
                raise _Retry(f"slack:{type(e).__name__}") from e
            finally:
                if method == "chat.postMessage":
                    self._last_post[pace_key] = time.monotonic()
            return response

    async def _post(
        self, token: str, config: ChannelConfigRow, message: SlackMessage, thread_ts: str | None
    ) -> str:
        params: dict[str, Any] = {
            "token": token,
            "channel": config.channel_id,
            "text": message.text,
            "blocks": message.blocks,
            "metadata": message.metadata,
            "unfurl_links": False,
            "unfurl_media": False,
        }
        if thread_ts:
            params["thread_ts"] = thread_ts
        response = await self._slack(
            "chat.postMessage", (config.workspace.team_id, config.channel_id), **params
        )
        return str(response["ts"])

    async def _update_root(self, token: str, channel_id: str, ts: str, case: CaseSummary) -> None:
        message = root_message(case)
        await self._slack(
            "chat.update",
            ("", channel_id),
            token=token,
            channel=channel_id,
            ts=ts,
            text=message.text,
            blocks=message.blocks,
        )

    async def _delete_quietly(self, token: str, channel_id: str, ts: str) -> None:
        try:
            await self.client.api_call("chat.delete", json={"token": token, "channel": channel_id, "ts": ts})
        except Exception:
            log.warning("could not delete a duplicate root message %s in %s", ts, channel_id)

    # ---- reconciliation -----------------------------------------------------------------------------------

    async def reconcile(self, worker: str, stopping: Callable[[], bool] = lambda: False) -> ReconcileReport:
        """Looks, for each account with configured channels whose turn it is, for cases updated since its last
        look, and feeds them through `ingest`'s path: the thread state decides what is really new."""
        interval = timedelta(seconds=self.options.reconcile_interval_seconds)
        accounts = cases = events = 0
        failed: list[str] = []
        for account_id in await self.repository.accounts_with_channels():
            if stopping():
                break
            now = self._now()
            claimed, last_look = await self.repository.claim_reconciliation(
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
                        await self._record(_reconcile_event(account_id, case, now, since), [_key(case)])
                    ).accepted
            await self.repository.finish_reconciliation(
                account_id, worker, now if found is not None else None, now + interval
            )
        await self.repository.purge(self._now() - timedelta(days=self.options.retention_days))
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
                return await self._describe_updated(_channel_account(config, workspace), since)
            except (ClientError, BotoCoreError, AwsError) as e:
                log.warning("reconciling account %s with %s failed: %s", account_id, config.role_arn, e)
        return None

    async def _describe_updated(self, channel: ChannelAccount, since: datetime) -> list[_Reconciled]:
        name = session_name(channel.workspace.team_id or channel.workspace.enterprise_id, NOTIFIER_USER)
        client = await self.role_sessions.client(
            channel.role_arn, channel.external_id, name, SUPPORT_SERVICE, SUPPORT_REGION
        )
        found: dict[str, _Reconciled] = {}
        open_threads = await self.repository.open_threads(channel.account_id)
        for language in LANGUAGES:
            params = {"afterTime": _aws_time(since)}
            for case in await self._describe_pages(channel, client, language, params):
                found[case.case_id] = case
            tracked = [case_id for case_id, lang in open_threads if (lang or "en") == language]
            if tracked:
                for case in await self._describe_pages(
                    channel, client, language, {"caseIdList": tracked[:100]}
                ):
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
                response = await call(client, "describe_cases", **request)
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


def _channel_account(config: ChannelConfigRow, workspace: WorkspaceRow) -> ChannelAccount:
    return ChannelAccount(
        workspace=config.workspace,
        channel_id=config.channel_id,
        channel_name=config.channel_name,
        account_id=config.account_id,
        account_shown=display_name(AccountRow(config.account_id, config.account_name, None, None)),
        role_arn=config.role_arn,
        external_id=workspace.external_id,
    )


def _classify_aws(error: AwsError) -> Exception:
    if error.code == "AccessDenied":
        return _Skip("denied", audit=False)  # the case service audited the refusal
    if error.code == "CaseIdNotFound":
        return _Skip("case_not_found", audit=False)
    if error.code == "SubscriptionRequiredException":
        return _Skip("no_support_plan", audit=False)
    return _Retry(f"aws:{error.code}")


def _message_for(step: Step, case: CaseSummary) -> SlackMessage:
    if step.kind == "root":
        return root_message(case)
    if step.kind == "correspondence" and step.communication is not None:
        return correspondence_message(case, step.communication)
    return lifecycle_message(case, step.kind)


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


def build_notification_service(
    services: Services,
    *,
    cases: CaseService | None = None,
    options: NotificationOptions | None = None,
    **overrides: Any,
) -> NotificationService:
    """The service from the process's Services (their Web API client, role sessions and stores)."""
    audit = services.audit
    cases = cases or services.cases
    return NotificationService(
        NotificationRepository(services.engine),
        channels=services.channels.repository,
        workspaces=services.workspaces.repository,
        cases=cases,
        role_sessions=services.role_sessions,
        installations=services.installation_store,
        rotation=services.rotation,
        client=services.client,
        audit=audit,
        options=options,
        bot_token=services.settings.bot_token,
        **overrides,
    )
