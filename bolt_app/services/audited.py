"""Audited, once-only AWS actions, shared by cases and quotas: the audit row every action leaves (who, where,
with which role, what AWS answered) and the idempotency claim that keeps a retried submission from acting twice."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from botocore.exceptions import ClientError

from bolt_app.aws.errors import AwsError
from bolt_app.aws.errors import error_code
from bolt_app.aws.errors import is_access_denied
from bolt_app.errors import UserFacingError
from bolt_app.services.context import ChannelAccount
from bolt_app.services.context import SlackActor
from bolt_app.services.member_policy import Action
from bolt_app.services.member_rules import MemberRefused
from bolt_app.services.member_rules import MemberRules
from bolt_app.services.member_rules import NobodyInSlack
from bolt_app.services.membership import NotAMember
from bolt_app.services.membership import require_member
from bolt_app.services.role_target import session_of
from storage.audit import AuditEvent
from storage.audit import AuditRepository
from storage.audit import IdempotencyKeys
from storage.tables import audit_events

log = logging.getLogger(__name__)

AUDIT_OUTCOME_CHARS: int = audit_events.c.outcome.type.length or 32  # type: ignore[attr-defined]
_DENIED_CODES = {"AccessDenied", "403"}


class DuplicateSubmission(UserFacingError):
    """The same submission (idempotency key) arrived again: a retry by Slack or a second click."""


@dataclass
class Trail:
    """What the audit row of one action will say; filled in as the action goes. An action that sets `outcome`
    itself on failure keeps its own `detail`; otherwise the error's words become the detail. An `outcome` set on
    success replaces "ok" (a case deferred)."""

    action: str
    case_id: str | None = None
    request_id: str | None = None
    detail: str | None = None
    failed_action: str | None = None
    outcome: str | None = None

    def answered(self, request_id: str | None) -> None:
        self.request_id = request_id or self.request_id

    def failed(self, action: str) -> None:
        self.failed_action = action


@dataclass
class Claim:
    kept: bool = False  # True once AWS may have acted: the key must then never be released


def outcome_of(error: BaseException) -> str:
    """ "denied" or "error: <code>" (storage.audit's format). The column is short, so a trailing "Exception" is
    dropped and the rest cut to fit; the whole message is kept in the row's detail."""
    if isinstance(error, (NotAMember, MemberRefused)):
        return "refused"
    if isinstance(error, ClientError):
        code = "denied" if is_access_denied(error) else error_code(error)
    elif isinstance(error, AwsError):
        code = "denied" if error.code in _DENIED_CODES else error.code
    else:
        code = type(error).__name__
    return code if code == "denied" else f"error: {code.removesuffix('Exception')}"[:AUDIT_OUTCOME_CHARS]


class AuditedActions:
    def __init__(
        self, audit: AuditRepository, idempotency: IdempotencyKeys, members: MemberRules | None = None
    ) -> None:
        self.audit = audit
        self.idempotency = idempotency
        self.members = members or MemberRules(NobodyInSlack(), None)

    @asynccontextmanager
    async def audited(
        self,
        channel: ChannelAccount,
        actor: SlackActor,
        action: str,
        case_id: str | None = None,
        *,
        rule: Action | None = None,
    ) -> AsyncIterator[Trail]:
        """One audit row for the body, whatever its outcome; a user of another workspace, or one the channel's
        member policy does not let do `rule`, is refused (and the refusal audited with its reason) before the
        body runs."""
        trail = Trail(action, case_id)
        try:
            require_member(channel, actor)
            if rule is not None:
                await self.members.require(channel, actor, rule)
            yield trail
        except Exception as e:
            request_id = e.request_id if isinstance(e, AwsError) and e.request_id else trail.request_id
            if trail.outcome is None:
                where = f"{trail.failed_action}: " if trail.failed_action else ""
                trail.detail = f"{where}{getattr(e, 'message', str(e))}"[:2000]
            await self._record(channel, actor, trail, trail.outcome or outcome_of(e), request_id)
            raise
        await self._record(channel, actor, trail, trail.outcome or "ok", trail.request_id)

    async def permitted(
        self,
        channel: ChannelAccount,
        actor: SlackActor,
        action: str,
        rule: Action,
        case_id: str | None = None,
    ) -> None:
        """Before a form for `action` opens: the refusal the action itself would meet, audited the same way;
        nothing is recorded when the user may go on (the action writes its own row)."""
        try:
            require_member(channel, actor)
            await self.members.require(channel, actor, rule)
        except (NotAMember, MemberRefused) as e:
            await self._record(channel, actor, Trail(action, case_id, detail=e.message), "refused", None)
            raise

    async def record(
        self, channel: ChannelAccount, actor: SlackActor, action: str, outcome: str, detail: str
    ) -> None:
        """An audit row for what the app decided on its own (a deferred case dropped), outside any action."""
        await self._record(channel, actor, Trail(action, detail=detail), outcome, None)

    async def _record(
        self, channel: ChannelAccount, actor: SlackActor, trail: Trail, outcome: str, request_id: str | None
    ) -> None:
        event = AuditEvent(
            action=trail.action,
            outcome=outcome,
            enterprise_id=channel.workspace.enterprise_id,
            team_id=channel.workspace.team_id,
            channel_id=channel.channel_id,
            user_id=actor.user_id,
            account_id=channel.account_id,
            role_arn=channel.role_arn,
            case_id=trail.case_id,
            detail=trail.detail,
            aws_request_id=request_id,
            user_name=actor.handle or (actor.name if actor.name != actor.user_id else None),
            # A refusal happens before any AssumeRole, so CloudTrail has no session to join with.
            session_name=None if outcome == "refused" else session_of(actor),
        )
        try:
            await self.audit.record(event)
        except Exception:
            # AWS has already acted (or refused); failing the user's request now would misreport what happened.
            log.exception("could not write audit event %s", event)

    @asynccontextmanager
    async def claimed(self, key: str, duplicate: str) -> AsyncIterator[Claim]:
        """Runs the body once per key; `DuplicateSubmission(duplicate)` for every later submission. The key is
        given back when the body fails before AWS could have acted, so the same submission may be retried;
        kept once AWS acted or might have (`claim.kept`)."""
        if not await self.idempotency.claim(key):
            raise DuplicateSubmission(duplicate)
        claim = Claim()
        try:
            yield claim
        except Exception:
            if not claim.kept:
                await self.idempotency.release(key)
            raise
