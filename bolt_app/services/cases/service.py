"""Support cases with the channel's role: create, search, read, reply, resolve, reopen; audited and idempotent.

Every AWS call runs with the IAM role the channel configured for that account, assumed for the acting Slack user,
so AWS itself decides what a channel may do (a read-only role gets AccessDenied on CreateCase). Methods take plain
values (`ChannelAccount`, `SlackActor`, dataclasses) and return dataclasses; they know nothing of Slack payloads.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any
from typing import Protocol

from bolt_app.aws.budget import AwsBusy
from bolt_app.aws.case_errors import case_not_found
from bolt_app.aws.case_errors import create_outcome_unknown
from bolt_app.aws.errors import AwsError
from bolt_app.aws.sessions import RoleSessions
from bolt_app.aws.support import SupportClient
from bolt_app.aws.support import outcome_unknown
from bolt_app.services.audited import AuditedActions
from bolt_app.services.audited import Claim
from bolt_app.services.audited import Trail
from bolt_app.services.cases.answers import communication_of
from bolt_app.services.cases.answers import summary_of
from bolt_app.services.cases.catalogue import CATALOGUE_TTL_SECONDS
from bolt_app.services.cases.catalogue import CatalogueCache
from bolt_app.services.cases.deferral import Deferred
from bolt_app.services.cases.deferral import deferral_reason
from bolt_app.services.cases.deferral import deferred_message
from bolt_app.services.cases.deferral import new_deferral
from bolt_app.services.cases.fields import LANGUAGES
from bolt_app.services.cases.fields import SEARCH_PAGE_SIZE
from bolt_app.services.cases.fields import SEVERITY_BLOCK
from bolt_app.services.cases.models import RESOLVED
from bolt_app.services.cases.models import Attachment
from bolt_app.services.cases.models import CaseAlreadyResolved
from bolt_app.services.cases.models import CaseNotResolved
from bolt_app.services.cases.models import CaseSummary
from bolt_app.services.cases.models import Communication
from bolt_app.services.cases.models import MessageKind
from bolt_app.services.cases.models import NewCase
from bolt_app.services.cases.models import NewMessage
from bolt_app.services.cases.models import Resolution
from bolt_app.services.cases.models import SearchFilter
from bolt_app.services.cases.models import SearchPage
from bolt_app.services.cases.models import SupportedLanguage
from bolt_app.services.cases.models import SupportService
from bolt_app.services.cases.search import merged_page
from bolt_app.services.cases.search import search_params
from bolt_app.services.cases.search import start_of
from bolt_app.services.cases.search import status_matches
from bolt_app.services.cases.search import targets_of
from bolt_app.services.cases.validation import signed_body
from bolt_app.services.choice import Choice
from bolt_app.services.context import ChannelAccount
from bolt_app.services.context import SlackActor
from bolt_app.services.member_policy import Action
from bolt_app.services.member_rules import MemberRules
from bolt_app.services.membership import require_member
from bolt_app.services.role_target import role_target
from storage.audit import AuditRepository
from storage.audit import IdempotencyKeys
from storage.case_openers import CaseOpenerRepository
from storage.case_openers import OpenedCase
from storage.deferred_cases import DeferredCaseRepository

log = logging.getLogger(__name__)

COMMUNICATIONS_PAGE_SIZE = 10
CREATED_CLOCK_SKEW_SECONDS = 300  # the app's clock against AWS's, when looking for a case it may have made
_RULE_ACTIONS = {
    "create": "support:CreateCase",
    "reply": "support:AddCommunicationToCase",
    "resolve": "support:AddCommunicationToCase",  # the form is Reopen's; Resolve has none
}


class CreateAttempt(Protocol):
    """One attempt at a deferred case, whose steps are committed as they happen (the drainer's lease)."""

    attempted_at: datetime | None  # when an earlier attempt sent (or was about to send) CreateCase

    async def sending(self) -> None:
        """Before CreateCase is sent: raises when it must not be (the lease was lost)."""
        ...

    async def created(self, case_id: str) -> None: ...


class CaseService:
    def __init__(
        self,
        role_sessions: RoleSessions,
        audit: AuditRepository,
        idempotency: IdempotencyKeys,
        openers: CaseOpenerRepository,
        *,
        members: MemberRules | None = None,
        deferred: DeferredCaseRepository | None = None,
        catalogue_ttl_seconds: float = CATALOGUE_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.role_sessions = role_sessions
        self.audit = audit
        self._actions = AuditedActions(audit, idempotency, members)
        self.members = self._actions.members
        self.openers = openers
        self.deferred = deferred  # where creates AWS deferred are saved; None: the user is told to try again
        self._catalogue = CatalogueCache(catalogue_ttl_seconds, clock)

    async def _support(
        self, channel: ChannelAccount, actor: SlackActor, trail: Trail | None = None
    ) -> SupportClient:
        return await SupportClient.open(self.role_sessions, role_target(channel, actor), trail)

    async def _attachment_set(self, support: SupportClient, attachments: Sequence[Attachment]) -> str | None:
        """One attachment set for up to 3 files, made just before it is used: its 1-hour clock starts now."""
        if not attachments:
            return None
        return await support.add_attachments_to_set([(a.file_name, a.data) for a in attachments])

    async def _describe(
        self,
        channel: ChannelAccount,
        support: SupportClient,
        case_id: str,
        *,
        language: str | None,
        communications: bool,
    ) -> CaseSummary:
        """DescribeCases only returns cases of the language asked for (default English), and a case ID alone
        does not say its language: without one, the languages are tried in turn."""
        for lang in [language] if language else list(LANGUAGES):
            response = await support.describe_cases(
                {
                    "caseIdList": [case_id],
                    "includeResolvedCases": True,
                    "includeCommunications": communications,
                    "language": lang,
                }
            )
            if response.get("cases"):
                return summary_of(response["cases"][0], channel)
        raise case_not_found(support.target.context("support:DescribeCases"), case_id)

    async def permitted(
        self, channel: ChannelAccount, actor: SlackActor, rule: Action, case_id: str | None = None
    ) -> None:
        """Before the create, reply or reopen form opens: `MemberRefused` (audited) when the channel's member
        policy would refuse its submission, so nobody fills in a form for nothing."""
        await self._actions.permitted(channel, actor, _RULE_ACTIONS[rule], rule, case_id)

    # ---- create -------------------------------------------------------------------------------------------

    async def create_case(
        self, channel: ChannelAccount, actor: SlackActor, new: NewCase, idempotency_key: str
    ) -> CaseSummary | Deferred:
        """Opens the case with the channel's role, once per idempotency key (a retried or double-clicked
        submission raises `DuplicateSubmission` instead of opening a second case). When AWS defers it (its case
        limit, the account's budget spoken for, throttling) and deferrals are kept, the case is saved to be
        created later: `Deferred` says so."""
        async with self._actions.audited(channel, actor, "support:CreateCase", rule="create") as trail:
            await self.members.require_severity(channel, actor, new.severity_code, SEVERITY_BLOCK)
            async with self._actions.claimed(
                idempotency_key,
                "This case was already submitted; it is not created twice. Look for it with "
                "`/aws-support search` before submitting it again.",
            ) as claim:
                support = await self._support(channel, actor, trail)
                params = _create_params(channel.channel_name, actor, new)
                try:
                    set_id = await self._attachment_set(support, new.attachments)
                    if set_id:
                        params["attachmentSetId"] = set_id
                    trail.case_id = await self._create_once(claim, support, params)
                except (AwsBusy, AwsError) as e:
                    deferred = await self._defer(e, claim, channel, actor, new, idempotency_key)
                    if deferred is None:
                        raise
                    trail.outcome, trail.detail = "deferred", deferred.message
                    return deferred
            return await self.opened(channel, actor, trail.case_id, new)

    async def _defer(
        self,
        error: Exception,
        claim: Claim,
        channel: ChannelAccount,
        actor: SlackActor,
        new: NewCase,
        idempotency_key: str,
    ) -> Deferred | None:
        """Saves a create AWS deferred; None when it is not one (or deferrals are not kept, or cannot be saved:
        then the user reads AWS's refusal and the submission may be sent again)."""
        reason = deferral_reason(error)
        if reason is None or self.deferred is None or claim.kept:
            return None
        try:
            await self.deferred.save(
                new_deferral(channel, actor, new, idempotency_key, reason, datetime.now(UTC))
            )
        except Exception:
            log.exception("could not save the deferred case of %s", idempotency_key)
            return None
        claim.kept = True  # a double click while deferred makes no second case
        return Deferred(deferred_message(reason, channel, new.subject))

    async def opened(
        self, channel: ChannelAccount, actor: SlackActor, case_id: str, new: NewCase
    ) -> CaseSummary:
        """The case just created, as AWS describes it (what is known when it cannot), its opener recorded."""
        created = await self._created(channel, actor, case_id, new)
        await self._record_opener(channel, actor, created)
        return replace(created, opened_by=actor.user_id)

    async def create_deferred(
        self, channel: ChannelAccount, actor: SlackActor, new: NewCase, attempt: CreateAttempt
    ) -> CaseSummary:
        """A deferred case, created as the interactive create does (the member policy checked again, the role
        assumed for its submitter, its attachment set made just before CreateCase), once: `attempt` commits that
        CreateCase is about to be sent before it is, and the case's ID as soon as AWS answers. An earlier attempt
        that may have created it (sent, no ID recorded) is first looked for at AWS."""
        async with self._actions.audited(channel, actor, "support:CreateCase", rule="create") as trail:
            await self.members.require_severity(channel, actor, new.severity_code, SEVERITY_BLOCK)
            support = await self._support(channel, actor, trail)
            params = _create_params(channel.channel_name, actor, new)
            try:
                case_id = None
                if attempt.attempted_at is not None:
                    since = attempt.attempted_at - timedelta(seconds=CREATED_CLOCK_SKEW_SECONDS)
                    case_id = await _find_created(support, params, since)
                if case_id is None:
                    set_id = await self._attachment_set(support, new.attachments)
                    if set_id:
                        params["attachmentSetId"] = set_id
                    await attempt.sending()
                    case_id = await self._create_once(Claim(), support, params)
            except (AwsBusy, AwsError) as e:
                if deferral_reason(e) is not None:
                    trail.outcome, trail.detail = "deferred", f"still deferred: {e.message}"[:2000]
                raise
            trail.case_id, trail.detail = case_id, "a deferred case"
            await attempt.created(case_id)
        return await self.opened(channel, actor, case_id, new)

    async def _record_opener(self, channel: ChannelAccount, actor: SlackActor, case: CaseSummary) -> None:
        opened = OpenedCase(
            channel.workspace, channel.account_id, case.case_id, case.display_id, case.subject,
            actor.user_id, channel.channel_id, case.time_created,
        )  # fmt: skip
        try:
            await self.openers.record(opened)
        except Exception:
            # The case exists at AWS: failing now would tell the user it was not opened.
            log.exception("could not record who opened case %s", case.case_id)

    async def _named(
        self, channels: Sequence[ChannelAccount], cases: Sequence[CaseSummary]
    ) -> list[CaseSummary]:
        """The cases with who opened them through the app, and their service by name when the account's
        catalogue is cached (search results and details; nothing is asked of AWS for it)."""
        roles = {c.account_id: c.role_arn for c in channels}
        by = await self.openers.openers(channels[0].workspace, ((c.account_id, c.case_id) for c in cases))
        named = []
        for case in cases:
            services = self._catalogue.peek(
                ("services", case.account_id, roles.get(case.account_id, ""), "en")
            )
            name = next((s.name for s in services if s.code == case.service_code), case.service_name)
            named.append(
                replace(case, opened_by=by.get((case.account_id, case.case_id), ""), service_name=name)
            )
        return named

    async def _create_once(self, claim: Claim, support: SupportClient, params: dict[str, Any]) -> str:
        """CreateCase; when its answer was lost, AWS is asked whether the case exists (a case of this subject and
        body created since just before the attempt) before it is created once more. AWS itself resends nothing
        (the budget resends a write only after AWS said it throttled, when it was not processed)."""
        started = datetime.now(UTC) - timedelta(seconds=CREATED_CLOCK_SKEW_SECONDS)
        try:
            response = await support.create_case(params)
        except AwsError as e:
            if not outcome_unknown(e):
                raise
            claim.kept = True  # the case may exist: a retried submission must not make a second one
            try:
                existing = await _find_created(support, params, started)
            except AwsError:
                raise create_outcome_unknown(support.target.context("support:CreateCase")) from e.__cause__
            if existing:
                return existing
            response = await _write(claim, support.create_case(params), support, "support:CreateCase")
        claim.kept = True
        return str(response["caseId"])

    async def _created(
        self, channel: ChannelAccount, actor: SlackActor, case_id: str, new: NewCase
    ) -> CaseSummary:
        try:
            # Not recorded in the create's trail: the row says what CreateCase did.
            support = await self._support(channel, actor)
            return await self._describe(
                channel, support, case_id, language=new.language, communications=False
            )
        except AwsError:
            # The case exists: a role that may create but not describe, or a case AWS does not list yet, must not
            # turn a success into an error. Show what is known.
            return CaseSummary(
                case_id=case_id,
                display_id="",
                subject=new.subject,
                status="opened",
                severity_code=new.severity_code,
                service_code=new.service_code,
                category_code=new.category_code,
                submitted_by=actor.name,
                time_created=datetime.now(UTC),
                language=new.language,
                cc_emails=new.cc_emails,
                account_id=channel.account_id,
                account_shown=channel.account_shown,
            )

    # ---- search and read ----------------------------------------------------------------------------------

    async def search(
        self,
        channels: Sequence[ChannelAccount],
        actor: SlackActor,
        search: SearchFilter,
        page_token: str | None = None,
        page_size: int = SEARCH_PAGE_SIZE,
    ) -> SearchPage:
        """Searches every account of the channel (or the one the filter names), each with its own role, at once.
        Accounts that fail are reported in `accounts_failed`; the others still answer."""
        offset = start_of(search, page_token)
        targets = targets_of(channels, search)
        answers = await asyncio.gather(
            *(self._search_account(c, actor, search) for c in targets), return_exceptions=True
        )
        page = merged_page(search, targets, answers, offset, page_size)
        if not page.cases:
            return page
        return replace(page, cases=tuple(await self._named(channels, page.cases)))

    def place_in_line(self, channels: Sequence[ChannelAccount], search: SearchFilter | None = None) -> int:
        """From memory, no I/O: the place in line a search of `channels` (or a read of them, without a filter)
        would take at AWS's rate now, the furthest of its accounts; 0 when it would not wait."""
        targets = [c for c in channels if search is None or search.account_id in (None, c.account_id)]
        return max((self.role_sessions.budget.place_in_line(c.account_id) for c in targets), default=0)

    async def _search_account(
        self, channel: ChannelAccount, actor: SlackActor, search: SearchFilter
    ) -> tuple[list[CaseSummary], bool]:
        async with self._actions.audited(channel, actor, "support:DescribeCases") as trail:
            trail.detail = "search"
            support = await self._support(channel, actor, trail)
            try:
                response = await support.describe_cases(search_params(search))
            except AwsError as e:
                if search.display_id and e.code == "CaseIdNotFound":
                    return [], False  # not a case of this account: no match, not a failure
                raise
            cases = [summary_of(raw, channel) for raw in response.get("cases") or []]
            if not search.display_id:
                cases = [c for c in cases if status_matches(c.status, search.status)]
            return cases, bool(response.get("nextToken"))

    async def details(
        self, channel: ChannelAccount, actor: SlackActor, case_id: str, language: str | None = None
    ) -> CaseSummary:
        """The case with its 5 most recent communications."""
        async with self._actions.audited(channel, actor, "support:DescribeCases", case_id) as trail:
            support = await self._support(channel, actor, trail)
            case = await self._describe(channel, support, case_id, language=language, communications=True)
        return (await self._named([channel], [case]))[0]

    async def communications(
        self, channel: ChannelAccount, actor: SlackActor, case_id: str, next_token: str | None = None
    ) -> tuple[list[Communication], str | None]:
        """One page ("Previous correspondence") of the case's communications, newest first."""
        async with self._actions.audited(channel, actor, "support:DescribeCommunications", case_id) as trail:
            support = await self._support(channel, actor, trail)
            response = await support.describe_communications(case_id, COMMUNICATIONS_PAGE_SIZE, next_token)
            items = [communication_of(c) for c in response.get("communications") or []]
            return items, response.get("nextToken") or None

    # ---- change -------------------------------------------------------------------------------------------

    async def send_message(
        self,
        kind: MessageKind,
        channel: ChannelAccount,
        actor: SlackActor,
        case_id: str,
        sent: NewMessage,
        idempotency_key: str,
    ) -> None:
        """A reply adds a correspondence to the case; a reopen does the same to a resolved case (AWS has no
        ReopenCase: a correspondence on a resolved case reopens it). Audited, once per idempotency key."""
        reopen = kind == "reopen"
        duplicate = (
            "This case was already reopened with this message."
            if reopen
            else "This reply was already sent; it is not sent twice."
        )
        async with (
            self._actions.audited(
                channel,
                actor,
                "support:AddCommunicationToCase",
                case_id,
                rule="resolve" if reopen else "reply",
            ) as trail,
            self._actions.claimed(idempotency_key, duplicate) as claim,
        ):
            support = await self._support(channel, actor, trail)
            if reopen:
                case = await self._describe(channel, support, case_id, language=None, communications=False)
                if not case.resolved:
                    raise CaseNotResolved(
                        f"Case {case.display_id or case_id} is not resolved (its status is {case.status}), so "
                        "it cannot be reopened. Use Reply to add to it."
                    )
                trail.detail = "reopen"
            set_id = await self._attachment_set(support, sent.attachments)
            params: dict[str, Any] = {
                "caseId": case_id,
                "communicationBody": signed_body(sent.message, actor.name, channel.channel_name),
            }
            if sent.cc_emails:
                params["ccEmailAddresses"] = list(sent.cc_emails)
            if set_id:
                params["attachmentSetId"] = set_id
            await _write(claim, support.add_communication_to_case(params), support)

    async def resolve(self, channel: ChannelAccount, actor: SlackActor, case_id: str) -> Resolution:
        """Resolves the case. Resolving is naturally idempotent; a case that was already resolved is reported."""
        async with self._actions.audited(
            channel, actor, "support:ResolveCase", case_id, rule="resolve"
        ) as trail:
            support = await self._support(channel, actor, trail)
            response = await support.resolve_case(case_id)
            resolution = Resolution(
                str(response.get("initialCaseStatus", "")), str(response.get("finalCaseStatus", ""))
            )
            if resolution.initial_status == RESOLVED:
                raise CaseAlreadyResolved(
                    "This case was already resolved; nothing changed. To continue it, use Reopen case."
                )
            return resolution

    # ---- catalogues (cached; they read no case, so they are not audited; a cached answer is still the
    # channel's, so its members alone get it) -------------------------------------------------------------

    async def services(
        self, channel: ChannelAccount, actor: SlackActor, language: str = "en"
    ) -> list[SupportService]:
        async def read() -> list[Any]:
            response = await (await self._support(channel, actor)).describe_services(language)
            return [
                SupportService(
                    str(s["code"]),
                    str(s["name"]),
                    tuple(Choice(str(c["code"]), str(c["name"])) for c in s.get("categories") or []),
                )
                for s in response.get("services") or []
            ]

        require_member(channel, actor)
        return await self._catalogue.get(("services", channel.account_id, channel.role_arn, language), read)

    async def severity_levels(
        self, channel: ChannelAccount, actor: SlackActor, language: str = "en"
    ) -> list[Choice]:
        """The severities the account's support plan offers (they differ by plan, so per account) that the
        channel's member policy lets `actor` choose."""

        async def read() -> list[Any]:
            response = await (await self._support(channel, actor)).describe_severity_levels(language)
            return [Choice(str(s["code"]), str(s["name"])) for s in response.get("severityLevels") or []]

        require_member(channel, actor)
        levels = await self._catalogue.get(("severity", channel.account_id, channel.role_arn, language), read)
        allowed = set(await self.members.severities(channel, actor, [c.code for c in levels]))
        return [c for c in levels if c.code in allowed]

    async def languages(
        self,
        channel: ChannelAccount,
        actor: SlackActor,
        issue_type: str,
        service_code: str,
        category_code: str,
    ) -> list[SupportedLanguage]:
        async def read() -> list[Any]:
            support = await self._support(channel, actor)
            response = await support.describe_supported_languages(issue_type, service_code, category_code)
            return [
                SupportedLanguage(str(s["code"]), str(s.get("language", "")), str(s.get("display", "")))
                for s in response.get("supportedLanguages") or []
            ]

        require_member(channel, actor)
        key = ("languages", channel.account_id, channel.role_arn, issue_type, service_code, category_code)
        return await self._catalogue.get(key, read)


def _create_params(channel_name: str, actor: SlackActor, new: NewCase) -> dict[str, Any]:
    """CreateCase's parameters but the attachment set: the same for every attempt at one case."""
    params: dict[str, Any] = {
        "subject": new.subject,
        "communicationBody": signed_body(new.description, actor.name, channel_name),
        "serviceCode": new.service_code,
        "categoryCode": new.category_code,
        "severityCode": new.severity_code,
        "issueType": new.issue_type,
        "language": new.language,
    }
    if new.cc_emails:
        params["ccEmailAddresses"] = list(new.cc_emails)
    return params


async def _find_created(support: SupportClient, params: Mapping[str, Any], since: datetime) -> str | None:
    """The ID of a case this create made, if AWS has it: same subject, same signed body, created since."""
    token: str | None = None
    for _ in range(5):
        request: dict[str, Any] = {
            "afterTime": since.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "includeResolvedCases": True,
            "includeCommunications": True,
            "language": params["language"],
            "maxResults": 100,
        }
        if token:
            request["nextToken"] = token
        response = await support.describe_cases(request)
        for raw in response.get("cases") or []:
            bodies = [
                c.get("body") for c in (raw.get("recentCommunications") or {}).get("communications") or []
            ]
            if raw.get("subject") == params["subject"] and params["communicationBody"] in bodies:
                return str(raw["caseId"])
        token = response.get("nextToken")
        if not token:
            return None
    return None


async def _write(
    claim: Claim, sent: Awaitable[dict[str, Any]], support: SupportClient, create: str | None = None
) -> dict[str, Any]:
    """A call that changes a case: once it may have reached AWS, the idempotency key stays claimed. A create
    whose answer was lost says so (the case may exist)."""
    try:
        response = await sent
    except AwsError as e:
        if outcome_unknown(e):
            claim.kept = True
            if create:
                raise create_outcome_unknown(support.target.context(create)) from e.__cause__
        raise
    claim.kept = True
    return response
