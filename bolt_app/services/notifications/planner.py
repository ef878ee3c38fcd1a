"""What a channel is to be told about a case, given what it was already told. Pure: no I/O.

The first message about a case is its root; later ones are replies under it, and the root's status is kept
current. A change the channel's settings do not want is passed over but still recorded, so that it is not
announced later either (for example after the settings change, or by reconciliation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta

from bolt_app.services.cases import RESOLVED
from bolt_app.services.cases import CaseSummary
from bolt_app.services.cases import Communication
from bolt_app.services.notifications.events import ADD_COMMUNICATION
from bolt_app.services.notifications.events import CREATE
from bolt_app.services.notifications.events import RECONCILE
from bolt_app.services.notifications.events import REOPEN
from bolt_app.services.notifications.events import RESOLVE
from bolt_app.services.notifications.messages import is_from_aws
from bolt_app.services.notifications.options import NotificationOptions
from storage.channels import Notifications
from storage.notifications.thread_state import OPEN
from storage.notifications.thread_state import ThreadChange
from storage.notifications.thread_state import ThreadState
from storage.notifications.values import StoredEvent

HIGH_SEVERITIES = frozenset({"high", "urgent", "critical"})


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


def _plan_create(draft: _Draft, kinds: set[str], rules: Notifications) -> None:
    if "create" in kinds and draft.lifecycle is None:
        draft.move(OPEN)
        draft.announce(rules.on_create_or_reopen, None)


def _plan_lifecycle(draft: _Draft, kinds: set[str], rules: Notifications) -> None:
    for kind, target, enabled in (
        ("resolve", RESOLVED, rules.on_resolve),
        ("reopen", OPEN, rules.on_create_or_reopen),
    ):
        newer = (
            draft.lifecycle_at is None or draft.event.event_time >= draft.lifecycle_at
        )  # not an older, late event
        if kind in kinds and draft.lifecycle != target and newer:
            change = draft.move(target)
            draft.announce(enabled, Step("resolved" if target == RESOLVED else "reopened", change))


def _plan_comms(
    draft: _Draft, comms: Sequence[Communication], rules: Notifications, options: NotificationOptions
) -> None:
    floor, created = comm_floor(draft.event, draft.state, options), draft.case.time_created
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
    own_left, used = draft.state.own_replies, 0
    for comm in new:
        if own_left > 0 and _is_own_reply(comm, draft.state, options):
            own_left, used = own_left - 1, used + 1  # sent from this channel: it is there already
            continue
        draft.announce(
            rules.on_correspondence,
            Step("correspondence", ThreadChange(last_comm_at=comm.time_created), comm),
        )
    if new:
        draft.record(ThreadChange(last_comm_at=max(c.time_created for c in new if c.time_created)))
    if used:
        draft.record(ThreadChange(own_replies_used=used))


def _steps(draft: _Draft, kinds: set[str]) -> tuple[Step, ...]:
    case = draft.case
    if draft.want_root and not draft.has_root:
        mark = case.time_created if "create" in kinds and draft.state.last_comm_at is None else None
        root = ThreadChange(
            display_id=case.display_id or None,
            language=case.language or None,
            root_status=case.status,
            last_comm_at=mark,  # a new case's root stands for its description
        )
        # A new root shows the case's status itself: only correspondence follows it.
        return (Step("root", root), *(r for r in draft.replies if r.kind == "correspondence"))
    if not draft.has_root:
        return ()
    order = {"reopened": 0, "correspondence": 1, "resolved": 2}
    steps = sorted(draft.replies, key=lambda r: order[r.kind])
    if draft.state.root_status != case.status:
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
    """The Slack writes that tell a channel about `event`, in order, and the thread state after them."""
    draft = _Draft(
        event=event,
        case=case,
        state=state,
        wanted=severity_matches(rules.severity, case.severity_code),
        final=ThreadChange(display_id=case.display_id or None, language=case.language or None),
        lifecycle=state.lifecycle,
        lifecycle_at=state.lifecycle_at,
    )
    kinds = _kinds(event, case, state.lifecycle)
    _plan_create(draft, kinds, rules)
    _plan_lifecycle(draft, kinds, rules)
    if "comms" in kinds:
        _plan_comms(draft, comms, rules, options)
    return Plan(_steps(draft, kinds), draft.final, "filtered" if draft.filtered else "nothing new")
