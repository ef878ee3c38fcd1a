"""Support cases with the channel's role: create, search, read, reply, resolve, reopen; audited and idempotent.

Every AWS call runs with the IAM role the channel configured for that account, assumed for the acting Slack user,
so AWS itself decides what a channel may do (a read-only role gets AccessDenied on CreateCase). Methods take plain
values (`ChannelAccount`, `SlackActor`, dataclasses) and return dataclasses; they know nothing of Slack payloads.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from botocore.client import BaseClient
from botocore.exceptions import BotoCoreError, ClientError, ConnectionClosedError, ReadTimeoutError
from cachetools import TTLCache

from bolt_app.aws.case_errors import case_not_found, create_outcome_unknown, explain_case_error
from bolt_app.aws.errors import AwsError, CallContext, explain
from bolt_app.aws.sessions import RoleSessions, call, call_write, session_name
from bolt_app.errors import UserFacingError
from bolt_app.services.context import ChannelAccount, SlackActor
from storage.audit import AuditEvent, AuditRepository, IdempotencyKeys
from storage.tables import audit_events

log = logging.getLogger(__name__)

SUPPORT_SERVICE = "support"
SUPPORT_REGION = "us-east-1"  # the Support API is global, served and signed in us-east-1

# Modal block ids; validation errors name them in `field` so a modal can show each error under its input.
CASE_ACCOUNT_BLOCK = "aws_account"
SUBJECT_BLOCK = "subject"
DESCRIPTION_BLOCK = "description"
ISSUE_TYPE_BLOCK = "issue_type"
SERVICE_BLOCK = "service"
CATEGORY_BLOCK = "category"
SEVERITY_BLOCK = "severity"
LANGUAGE_BLOCK = "language"
CC_BLOCK = "cc_emails"
ATTACHMENTS_BLOCK = "attachments"
MESSAGE_BLOCK = "message"
SEARCH_ACCOUNT_BLOCK = "search_account"
SEARCH_AFTER_BLOCK = "search_after"
SEARCH_BEFORE_BLOCK = "search_before"
SEARCH_STATUS_BLOCK = "search_status"
SEARCH_LANGUAGE_BLOCK = "search_language"
SEARCH_CASE_ID_BLOCK = "search_case_id"

MAX_SUBJECT_CHARS = 250  # the API sets none; a subject is one line (reference §3.1 recommends 250)
MAX_BODY_CHARS = 8000  # communicationBody, signature line included
MAX_CC_EMAILS = 10
MAX_EMAIL_CHARS = 254
MAX_ATTACHMENTS = 3
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
SEARCH_PAGE_SIZE = 5
SEARCH_FETCH_LIMIT = 100  # DescribeCases maxResults upper bound: one call per account and search
COMMUNICATIONS_PAGE_SIZE = 10
CATALOGUE_TTL_SECONDS = 3600.0
CATALOGUE_MAX_ENTRIES = 1024

ISSUE_TYPES = {"technical": "Technical", "customer-service": "Account and billing"}
LANGUAGES = {"en": "English", "ja": "Japanese", "zh": "Chinese", "ko": "Korean"}
RESOLVED = "resolved"
CaseStatusFilter = Literal["open", "resolved", "all"]

# The HTML standard's "valid e-mail address" (what browsers accept in <input type=email>): it rejects typos
# such as a missing "@", spaces or stray brackets, and accepts every address a mail system really hands out.
# email.utils.parseaddr validates nothing ("foo" parses), and the full RFC 5322 grammar admits quoted and
# commented forms that AWS Support would refuse; AWS makes the final check anyway. A dot is required in the
# domain: a case contact is never a local host.
_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
)
_EMAIL_SEPARATORS = re.compile(r"[,;\s]+")
_DISPLAY_ID = re.compile(r"\d{1,20}")
_UNKNOWN_OUTCOME = (ReadTimeoutError, ConnectionClosedError)  # the request left; its answer did not arrive


# ---------------------------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    file_name: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class NewCase:
    """A case as the user asked for it, already validated (`validate_new_case`)."""

    subject: str
    description: str
    issue_type: str  # "technical" | "customer-service"
    service_code: str
    category_code: str
    severity_code: str
    language: str
    cc_emails: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class NewMessage:
    """A reply (or the message that reopens a case), already validated (`validate_reply`)."""

    message: str
    cc_emails: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class Communication:
    body: str
    submitted_by: str
    time_created: datetime | None
    attachment_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaseSummary:
    case_id: str
    display_id: str  # "" when AWS has not described the case yet
    subject: str
    status: str
    severity_code: str
    service_code: str
    category_code: str
    submitted_by: str
    time_created: datetime | None
    language: str
    cc_emails: tuple[str, ...]
    account_id: str
    account_shown: str
    recent: tuple[Communication, ...] = ()  # newest first, at most 5
    more_communications: bool = False  # older correspondence exists ("Previous correspondence")

    @property
    def resolved(self) -> bool:
        return self.status == RESOLVED


@dataclass(frozen=True)
class SearchFilter:
    """What to search for. `before` is the last creation day included. With `display_id` the other filters are
    ignored (a case ID names one case, whatever its date or status). `account_id` None: every account."""

    after: date | None = None
    before: date | None = None
    status: CaseStatusFilter = "open"
    language: str | None = None
    display_id: str | None = None
    account_id: str | None = None


@dataclass(frozen=True)
class SearchPage:
    cases: tuple[CaseSummary, ...]
    next_token: str | None
    accounts_failed: dict[str, str] = field(default_factory=dict)  # account shown -> what went wrong
    previous_token: str | None = None
    offset: int = 0  # index of the first case of this page among all results
    total: int = 0
    accounts_truncated: tuple[str, ...] = ()  # accounts with more matches than one search fetches


@dataclass(frozen=True)
class Resolution:
    initial_status: str
    final_status: str


@dataclass(frozen=True)
class Choice:
    code: str
    name: str


@dataclass(frozen=True)
class SupportService:
    code: str
    name: str
    categories: tuple[Choice, ...]


@dataclass(frozen=True)
class SupportedLanguage:
    code: str
    name: str  # "Japanese"
    display: str  # "日本語"


class InvalidInput(UserFacingError):
    """One or more fields are wrong; `errors` maps each block id to its message (a modal shows them all)."""

    def __init__(self, errors: dict[str, str]) -> None:
        first = next(iter(errors))
        super().__init__(" ".join(errors.values()), field=first)
        self.errors = errors


class DuplicateSubmission(UserFacingError):
    """The same submission (idempotency key) arrived again: a retry by Slack or a second click."""


class CaseNotResolved(UserFacingError):
    pass


class CaseAlreadyResolved(UserFacingError):
    pass


# ---------------------------------------------------------------------------------------------------------------
# Validation (pure)
# ---------------------------------------------------------------------------------------------------------------


def signature_line(actor_name: str, channel_name: str) -> str:
    return f"Submitted from Slack by {actor_name} in #{channel_name}"


def signed_body(text: str, actor_name: str, channel_name: str) -> str:
    """The communication body AWS receives: the user's text, a blank line, and who sent it from where."""
    return f"{text}\n\n{signature_line(actor_name, channel_name)}"


def split_emails(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """Addresses separated by commas, semicolons, spaces or new lines; duplicates dropped, order kept."""
    if value is None:
        return ()
    parts = [value] if isinstance(value, str) else list(value)
    seen: dict[str, str] = {}
    for part in parts:
        for address in _EMAIL_SEPARATORS.split(part.strip()):
            if address and address.lower() not in seen:
                seen[address.lower()] = address
    return tuple(seen.values())


def _cc_error(emails: tuple[str, ...]) -> str | None:
    if len(emails) > MAX_CC_EMAILS:
        return (
            f"Additional contacts to notify: at most {MAX_CC_EMAILS} email addresses (you entered "
            f"{len(emails)})."
        )
    bad = [e for e in emails if len(e) > MAX_EMAIL_CHARS or not _EMAIL.fullmatch(e)]
    if bad:
        return f"Additional contacts to notify: {', '.join(bad[:3])} is not an email address."
    return None


def attachment_problem(files: Sequence[tuple[str, int]]) -> str | None:
    """What is wrong with these (file name, size in bytes), if anything. Usable with Slack's file metadata
    before downloading anything."""
    if len(files) > MAX_ATTACHMENTS:
        return f"Attachments: at most {MAX_ATTACHMENTS} files per case or reply (you chose {len(files)})."
    for name, size in files:
        if size > MAX_ATTACHMENT_BYTES:
            return (
                f"Attachments: {name} is {size / (1024 * 1024):.1f} MB; AWS Support accepts files of at most "
                f"{MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB."
            )
        if size == 0:
            return f"Attachments: {name} is empty."
    return None


def _body_error(label: str, text: str, actor_name: str, channel_name: str) -> str | None:
    if not text:
        return f"{label} is required."
    total = len(signed_body(text, actor_name, channel_name))
    if total > MAX_BODY_CHARS:
        return (
            f"{label} is too long: with the line “{signature_line(actor_name, channel_name)}” that the app "
            f"adds, it is {total} characters and AWS Support accepts {MAX_BODY_CHARS}. Shorten it by "
            f"{total - MAX_BODY_CHARS} characters."
        )
    return None


def _message_errors(
    block: str,
    label: str,
    text: str,
    emails: tuple[str, ...],
    attachments: Sequence[Attachment],
    actor_name: str,
    channel_name: str,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    problems = {
        block: _body_error(label, text, actor_name, channel_name),
        CC_BLOCK: _cc_error(emails),
        ATTACHMENTS_BLOCK: attachment_problem([(a.file_name, len(a.data)) for a in attachments]),
    }
    for block_id, problem in problems.items():
        if problem:
            errors[block_id] = problem
    return errors


def new_case_errors(
    *,
    subject: str | None,
    description: str | None,
    issue_type: str | None,
    service_code: str | None,
    category_code: str | None,
    severity_code: str | None,
    language: str | None,
    cc_emails: str | Sequence[str] | None = None,
    attachments: Sequence[Attachment] = (),
    actor_name: str,
    channel_name: str,
) -> dict[str, str]:
    """Every problem of a create-case form at once: block id -> message."""
    errors: dict[str, str] = {}
    subject = (subject or "").strip()
    if not subject:
        errors[SUBJECT_BLOCK] = "Subject is required."
    elif len(subject) > MAX_SUBJECT_CHARS:
        errors[SUBJECT_BLOCK] = (
            f"Subject is {len(subject)} characters; at most {MAX_SUBJECT_CHARS} are allowed."
        )
    errors |= _message_errors(
        DESCRIPTION_BLOCK,
        "Description",
        (description or "").strip(),
        split_emails(cc_emails),
        attachments,
        actor_name,
        channel_name,
    )
    if issue_type not in ISSUE_TYPES:
        errors[ISSUE_TYPE_BLOCK] = "Issue type is required: Technical, or Account and billing."
    required = {
        SERVICE_BLOCK: (service_code, "Service"),
        CATEGORY_BLOCK: (category_code, "Category"),
        SEVERITY_BLOCK: (severity_code, "Severity"),
        LANGUAGE_BLOCK: (language, "Contact language"),
    }
    for block_id, (value, label) in required.items():
        if not value:
            errors[block_id] = f"{label} is required."
    if language and language not in LANGUAGES:
        errors[LANGUAGE_BLOCK] = f"Contact language must be one of {', '.join(LANGUAGES.values())}."
    return dict(sorted(errors.items(), key=lambda kv: _FORM_ORDER.index(kv[0])))


_FORM_ORDER = [
    SUBJECT_BLOCK,
    DESCRIPTION_BLOCK,
    ISSUE_TYPE_BLOCK,
    SERVICE_BLOCK,
    CATEGORY_BLOCK,
    SEVERITY_BLOCK,
    LANGUAGE_BLOCK,
    CC_BLOCK,
    ATTACHMENTS_BLOCK,
]


def validate_new_case(
    *,
    subject: str | None,
    description: str | None,
    issue_type: str | None,
    service_code: str | None,
    category_code: str | None,
    severity_code: str | None,
    language: str | None,
    cc_emails: str | Sequence[str] | None = None,
    attachments: Sequence[Attachment] = (),
    actor_name: str,
    channel_name: str,
) -> NewCase:
    """The form as a `NewCase`, or `InvalidInput` naming every wrong field."""
    errors = new_case_errors(
        subject=subject,
        description=description,
        issue_type=issue_type,
        service_code=service_code,
        category_code=category_code,
        severity_code=severity_code,
        language=language,
        cc_emails=cc_emails,
        attachments=attachments,
        actor_name=actor_name,
        channel_name=channel_name,
    )
    if errors:
        raise InvalidInput(errors)
    return NewCase(
        subject=(subject or "").strip(),
        description=(description or "").strip(),
        issue_type=str(issue_type),
        service_code=str(service_code),
        category_code=str(category_code),
        severity_code=str(severity_code),
        language=str(language),
        cc_emails=split_emails(cc_emails),
        attachments=tuple(attachments),
    )


def reply_errors(
    *,
    message: str | None,
    cc_emails: str | Sequence[str] | None = None,
    attachments: Sequence[Attachment] = (),
    actor_name: str,
    channel_name: str,
) -> dict[str, str]:
    """Every problem of a reply (or reopen) form at once: block id -> message."""
    return _message_errors(
        MESSAGE_BLOCK,
        "Message",
        (message or "").strip(),
        split_emails(cc_emails),
        attachments,
        actor_name,
        channel_name,
    )


def validate_reply(
    *,
    message: str | None,
    cc_emails: str | Sequence[str] | None = None,
    attachments: Sequence[Attachment] = (),
    actor_name: str,
    channel_name: str,
) -> NewMessage:
    errors = reply_errors(
        message=message,
        cc_emails=cc_emails,
        attachments=attachments,
        actor_name=actor_name,
        channel_name=channel_name,
    )
    if errors:
        raise InvalidInput(errors)
    return NewMessage((message or "").strip(), split_emails(cc_emails), tuple(attachments))


def validate_search(search: SearchFilter) -> SearchFilter:
    """The filter, or `InvalidInput` when its dates are reversed or the case ID is not one."""
    errors: dict[str, str] = {}
    if search.after and search.before and search.after > search.before:
        errors[SEARCH_BEFORE_BLOCK] = "The end of the date range is before its start."
    if search.display_id is not None and not _DISPLAY_ID.fullmatch(search.display_id.strip()):
        errors[SEARCH_CASE_ID_BLOCK] = "A case ID is a number, as shown on the case (e.g. 1234567890)."
    if errors:
        raise InvalidInput(errors)
    if search.display_id is not None:
        return SearchFilter(display_id=search.display_id.strip(), account_id=search.account_id)
    return search


# ---------------------------------------------------------------------------------------------------------------
# Parsing AWS answers
# ---------------------------------------------------------------------------------------------------------------


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _communication(raw: dict[str, Any]) -> Communication:
    return Communication(
        body=str(raw.get("body", "")),
        submitted_by=str(raw.get("submittedBy", "")),
        time_created=_parse_time(raw.get("timeCreated")),
        attachment_names=tuple(str(a.get("fileName", "")) for a in raw.get("attachmentSet") or []),
    )


def _summary(raw: dict[str, Any], channel: ChannelAccount) -> CaseSummary:
    recent = raw.get("recentCommunications") or {}
    return CaseSummary(
        case_id=str(raw.get("caseId", "")),
        display_id=str(raw.get("displayId") or ""),
        subject=str(raw.get("subject", "")),
        status=str(raw.get("status", "")),
        severity_code=str(raw.get("severityCode") or ""),
        service_code=str(raw.get("serviceCode") or ""),
        category_code=str(raw.get("categoryCode") or ""),
        submitted_by=str(raw.get("submittedBy") or ""),
        time_created=_parse_time(raw.get("timeCreated")),
        language=str(raw.get("language") or ""),
        cc_emails=tuple(raw.get("ccEmailAddresses") or ()),
        account_id=channel.account_id,
        account_shown=channel.account_shown,
        recent=tuple(_communication(c) for c in recent.get("communications") or []),
        more_communications=bool(recent.get("nextToken")),
    )


_OLDEST = datetime.min.replace(tzinfo=UTC)


def _newest_first(case: CaseSummary) -> tuple[datetime, int]:
    return case.time_created or _OLDEST, int(case.display_id) if case.display_id.isdigit() else 0


def _aws_time(day: date) -> str:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _search_params(search: SearchFilter) -> dict[str, Any]:
    params: dict[str, Any] = {"includeCommunications": False, "maxResults": SEARCH_FETCH_LIMIT}
    if search.display_id:
        return params | {"displayId": search.display_id, "includeResolvedCases": True}
    params["includeResolvedCases"] = search.status in ("resolved", "all")
    if search.after:
        params["afterTime"] = _aws_time(search.after)
    if search.before:
        params["beforeTime"] = _aws_time(search.before + timedelta(days=1))
    if search.language:
        params["language"] = search.language
    return params


def _status_matches(status: str, wanted: CaseStatusFilter) -> bool:
    if wanted == "open":
        return status != RESOLVED
    if wanted == "resolved":
        return status == RESOLVED
    return True


# Paging: a search fetches up to SEARCH_FETCH_LIMIT cases per account (one DescribeCases each), merges them and
# returns one page. Merging several accounts newest-first cannot follow each account's own nextToken honestly,
# so the token only carries the offset (and the filter, so that a "Next 5 results" button is self-contained);
# every page re-runs the search. Cases created meanwhile shift the pages by that many; nothing is kept in memory.


def _filter_doc(search: SearchFilter) -> dict[str, Any]:
    doc = asdict(search)
    for name in ("after", "before"):
        doc[name] = doc[name].isoformat() if doc[name] else None
    return doc


def _page_token(search: SearchFilter, offset: int) -> str:
    doc = {"offset": offset, "filter": _filter_doc(search)}
    return base64.urlsafe_b64encode(json.dumps(doc, separators=(",", ":")).encode()).decode()


_STALE_TOKEN = "These search results are out of date. Search again."


def _decode_token(token: str) -> tuple[int, SearchFilter]:
    try:
        doc = json.loads(base64.urlsafe_b64decode(token.encode()))
        f = doc["filter"]
        search = SearchFilter(
            after=date.fromisoformat(f["after"]) if f["after"] else None,
            before=date.fromisoformat(f["before"]) if f["before"] else None,
            status=f["status"],
            language=f["language"],
            display_id=f["display_id"],
            account_id=f["account_id"],
        )
        offset = int(doc["offset"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise UserFacingError(_STALE_TOKEN) from None
    if offset < 0:
        raise UserFacingError(_STALE_TOKEN)
    return offset, search


def search_filter_of(page_token: str) -> SearchFilter:
    """The filter a page token (a "Next 5 results" button's value) was made for."""
    return _decode_token(page_token)[1]


# ---------------------------------------------------------------------------------------------------------------
# The service
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class _Trail:
    """What the audit row of one operation will say; filled in as the operation goes."""

    action: str
    case_id: str | None = None
    request_id: str | None = None
    detail: str | None = None
    failed_action: str | None = None


@dataclass
class _Claim:
    kept: bool = False  # True once AWS may have acted: the key must then never be released


AUDIT_OUTCOME_CHARS: int = audit_events.c.outcome.type.length or 32  # type: ignore[attr-defined]


def _action(operation: str) -> str:
    return "support:" + "".join(part.capitalize() for part in operation.split("_"))


def _outcome(error: BaseException) -> str:
    """ "denied" or "error: <code>" (storage.audit's format, shared with the quota service). The column is short,
    so a trailing "Exception" is dropped and the rest cut to fit; the whole message is kept in the row's detail."""
    if isinstance(error, AwsError) and error.code == "AccessDenied":
        return "denied"
    code = error.code if isinstance(error, AwsError) else type(error).__name__
    return f"error: {code.removesuffix('Exception')}"[:AUDIT_OUTCOME_CHARS]


class CaseService:
    def __init__(
        self,
        role_sessions: RoleSessions,
        audit: AuditRepository,
        idempotency: IdempotencyKeys,
        *,
        catalogue_ttl_seconds: float = CATALOGUE_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.role_sessions = role_sessions
        self.audit = audit
        self.idempotency = idempotency
        self._catalogue: TTLCache[tuple[str, ...], list[Any]] = TTLCache(
            CATALOGUE_MAX_ENTRIES, catalogue_ttl_seconds, timer=clock
        )

    # ---- plumbing -----------------------------------------------------------------------------------------

    async def _client(
        self, channel: ChannelAccount, actor: SlackActor, *, retries: bool = True
    ) -> BaseClient:
        try:
            return await self.role_sessions.client(
                channel.role_arn,
                channel.external_id,
                session_name(actor.team_for_session, actor.user_id),
                SUPPORT_SERVICE,
                SUPPORT_REGION,
                retries=retries,
            )
        except (ClientError, BotoCoreError) as e:
            raise explain(e, CallContext(channel.role_arn, channel.account_shown, "sts:AssumeRole")) from e

    async def _call(
        self,
        channel: ChannelAccount,
        client: BaseClient,
        operation: str,
        trail: _Trail | None,
        *,
        write: bool = False,
        **params: Any,
    ) -> dict[str, Any]:
        action = _action(operation)
        try:
            response = await (call_write if write else call)(client, operation, **params)
        except (ClientError, BotoCoreError) as e:
            if trail is not None:
                trail.failed_action = action
            raise explain_case_error(e, CallContext(channel.role_arn, channel.account_shown, action)) from e
        if trail is not None:
            trail.request_id = response.get("ResponseMetadata", {}).get("RequestId") or trail.request_id
        return response

    @asynccontextmanager
    async def _audited(
        self, channel: ChannelAccount, actor: SlackActor, action: str, case_id: str | None = None
    ) -> AsyncIterator[_Trail]:
        trail = _Trail(action, case_id)
        try:
            yield trail
        except Exception as e:
            request_id = e.request_id if isinstance(e, AwsError) and e.request_id else trail.request_id
            where = f"{trail.failed_action}: " if trail.failed_action else ""
            trail.detail = f"{where}{getattr(e, 'message', str(e))}"[:2000]
            await self._record(channel, actor, trail, _outcome(e), request_id)
            raise
        await self._record(channel, actor, trail, "ok", trail.request_id)

    async def _record(
        self, channel: ChannelAccount, actor: SlackActor, trail: _Trail, outcome: str, request_id: str | None
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
        )
        try:
            await self.audit.record(event)
        except Exception:
            # AWS has already acted (or refused); failing the user's request now would misreport what happened.
            log.exception("could not write audit event %s", event)

    @asynccontextmanager
    async def _claimed(self, key: str, duplicate: str) -> AsyncIterator[_Claim]:
        """Runs the body once per key. The key is given back when the body fails before AWS could have acted,
        so the same submission may be retried; kept once AWS acted or might have."""
        if not await self.idempotency.claim(key):
            raise DuplicateSubmission(duplicate)
        claim = _Claim()
        try:
            yield claim
        except Exception:
            if not claim.kept:
                await self.idempotency.release(key)
            raise

    async def _write(
        self,
        channel: ChannelAccount,
        client: BaseClient,
        operation: str,
        trail: _Trail,
        claim: _Claim,
        **params: Any,
    ) -> dict[str, Any]:
        """A call that changes a case: once it may have reached AWS, the idempotency key stays claimed."""
        try:
            response = await self._call(channel, client, operation, trail, write=True, **params)
        except AwsError as e:
            if isinstance(e.__cause__, _UNKNOWN_OUTCOME):
                claim.kept = True
                if operation == "create_case":
                    ctx = CallContext(channel.role_arn, channel.account_shown, _action(operation))
                    raise create_outcome_unknown(ctx) from e.__cause__
            raise
        claim.kept = True
        return response

    async def _attachment_set(
        self, channel: ChannelAccount, client: BaseClient, attachments: Sequence[Attachment], trail: _Trail
    ) -> str | None:
        """One attachment set for up to 3 files, made just before it is used: its 1-hour clock starts now."""
        if not attachments:
            return None
        response = await self._call(
            channel,
            client,
            "add_attachments_to_set",
            trail,
            attachments=[{"fileName": a.file_name, "data": a.data} for a in attachments],
        )
        return str(response["attachmentSetId"])

    async def _describe(
        self,
        channel: ChannelAccount,
        client: BaseClient,
        case_id: str,
        trail: _Trail | None,
        *,
        language: str | None,
        communications: bool,
    ) -> CaseSummary:
        """DescribeCases only returns cases of the language asked for (default English), and a case ID alone
        does not say its language: without one, the languages are tried in turn."""
        for lang in [language] if language else list(LANGUAGES):
            response = await self._call(
                channel,
                client,
                "describe_cases",
                trail,
                caseIdList=[case_id],
                includeResolvedCases=True,
                includeCommunications=communications,
                language=lang,
            )
            if response.get("cases"):
                return _summary(response["cases"][0], channel)
        ctx = CallContext(channel.role_arn, channel.account_shown, "support:DescribeCases")
        raise case_not_found(ctx, case_id)

    # ---- create -------------------------------------------------------------------------------------------

    async def create_case(
        self, channel: ChannelAccount, actor: SlackActor, new: NewCase, idempotency_key: str
    ) -> CaseSummary:
        """Opens the case with the channel's role, once per idempotency key (a retried or double-clicked
        submission raises `DuplicateSubmission` instead of opening a second case)."""
        async with self._audited(channel, actor, "support:CreateCase") as trail:
            async with self._claimed(
                idempotency_key,
                "This case was already submitted; it is not created twice. Look for it with "
                "`/aws-support search` before submitting it again.",
            ) as claim:
                client = await self._client(channel, actor)
                set_id = await self._attachment_set(channel, client, new.attachments, trail)
                params: dict[str, Any] = {
                    "subject": new.subject,
                    "communicationBody": signed_body(new.description, actor.name, channel.channel_name),
                    "serviceCode": new.service_code,
                    "categoryCode": new.category_code,
                    "severityCode": new.severity_code,
                    "issueType": new.issue_type,
                    "language": new.language,
                }
                if new.cc_emails:
                    params["ccEmailAddresses"] = list(new.cc_emails)
                if set_id:
                    params["attachmentSetId"] = set_id
                writer = await self._client(channel, actor, retries=False)
                response = await self._write(channel, writer, "create_case", trail, claim, **params)
            trail.case_id = str(response["caseId"])
            return await self._created(channel, actor, client, trail.case_id, new)

    async def _created(
        self, channel: ChannelAccount, actor: SlackActor, client: BaseClient, case_id: str, new: NewCase
    ) -> CaseSummary:
        try:
            return await self._describe(
                channel, client, case_id, None, language=new.language, communications=False
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
        offset = 0
        if page_token:
            offset, token_filter = _decode_token(page_token)
            if token_filter != search:
                raise UserFacingError(_STALE_TOKEN)
        targets = list(
            {c.account_id: c for c in channels if search.account_id in (None, c.account_id)}.values()
        )
        if not targets:
            raise UserFacingError("That AWS account is not configured for this channel.")
        results = await asyncio.gather(
            *(self._search_account(c, actor, search) for c in targets), return_exceptions=True
        )
        found: list[CaseSummary] = []
        failed: dict[str, str] = {}
        truncated: list[str] = []
        for channel, result in zip(targets, results, strict=True):
            if isinstance(result, UserFacingError):
                failed[channel.account_shown] = result.message
            elif isinstance(result, BaseException):
                raise result
            else:
                cases, more = result
                found += cases
                if more:
                    truncated.append(channel.account_shown)
        found.sort(key=_newest_first, reverse=True)
        end = offset + page_size
        return SearchPage(
            cases=tuple(found[offset:end]),
            next_token=_page_token(search, end) if end < len(found) else None,
            accounts_failed=failed,
            previous_token=_page_token(search, max(offset - page_size, 0)) if offset > 0 else None,
            offset=offset,
            total=len(found),
            accounts_truncated=tuple(truncated),
        )

    async def _search_account(
        self, channel: ChannelAccount, actor: SlackActor, search: SearchFilter
    ) -> tuple[list[CaseSummary], bool]:
        async with self._audited(channel, actor, "support:DescribeCases") as trail:
            trail.detail = "search"
            client = await self._client(channel, actor)
            try:
                response = await self._call(
                    channel, client, "describe_cases", trail, **_search_params(search)
                )
            except AwsError as e:
                if search.display_id and e.code == "CaseIdNotFound":
                    return [], False  # not a case of this account: no match, not a failure
                raise
            cases = [_summary(raw, channel) for raw in response.get("cases") or []]
            if not search.display_id:
                cases = [c for c in cases if _status_matches(c.status, search.status)]
            return cases, bool(response.get("nextToken"))

    async def details(
        self, channel: ChannelAccount, actor: SlackActor, case_id: str, language: str | None = None
    ) -> CaseSummary:
        """The case with its 5 most recent communications."""
        async with self._audited(channel, actor, "support:DescribeCases", case_id) as trail:
            client = await self._client(channel, actor)
            return await self._describe(
                channel, client, case_id, trail, language=language, communications=True
            )

    async def communications(
        self, channel: ChannelAccount, actor: SlackActor, case_id: str, next_token: str | None = None
    ) -> tuple[list[Communication], str | None]:
        """One page ("Previous correspondence") of the case's communications, newest first."""
        async with self._audited(channel, actor, "support:DescribeCommunications", case_id) as trail:
            client = await self._client(channel, actor)
            params: dict[str, Any] = {"caseId": case_id, "maxResults": COMMUNICATIONS_PAGE_SIZE}
            if next_token:
                params["nextToken"] = next_token
            response = await self._call(channel, client, "describe_communications", trail, **params)
            items = [_communication(c) for c in response.get("communications") or []]
            return items, response.get("nextToken") or None

    # ---- change -------------------------------------------------------------------------------------------

    async def reply(
        self,
        channel: ChannelAccount,
        actor: SlackActor,
        case_id: str,
        message: str,
        cc_emails: Sequence[str],
        attachments: Sequence[Attachment],
        idempotency_key: str,
    ) -> None:
        """Adds a correspondence to the case (once per idempotency key)."""
        async with (
            self._audited(channel, actor, "support:AddCommunicationToCase", case_id) as trail,
            self._claimed(idempotency_key, "This reply was already sent; it is not sent twice.") as claim,
        ):
            client = await self._client(channel, actor)
            await self._add_communication(
                channel, actor, client, case_id, message, cc_emails, attachments, trail, claim
            )

    async def _add_communication(
        self,
        channel: ChannelAccount,
        actor: SlackActor,
        client: BaseClient,
        case_id: str,
        message: str,
        cc_emails: Sequence[str],
        attachments: Sequence[Attachment],
        trail: _Trail,
        claim: _Claim,
    ) -> None:
        set_id = await self._attachment_set(channel, client, attachments, trail)
        params: dict[str, Any] = {
            "caseId": case_id,
            "communicationBody": signed_body(message, actor.name, channel.channel_name),
        }
        if cc_emails:
            params["ccEmailAddresses"] = list(cc_emails)
        if set_id:
            params["attachmentSetId"] = set_id
        writer = await self._client(channel, actor, retries=False)
        await self._write(channel, writer, "add_communication_to_case", trail, claim, **params)

    async def resolve(self, channel: ChannelAccount, actor: SlackActor, case_id: str) -> Resolution:
        """Resolves the case. Resolving is naturally idempotent; a case that was already resolved is reported."""
        async with self._audited(channel, actor, "support:ResolveCase", case_id) as trail:
            client = await self._client(channel, actor)
            response = await self._call(channel, client, "resolve_case", trail, caseId=case_id)
            resolution = Resolution(
                str(response.get("initialCaseStatus", "")), str(response.get("finalCaseStatus", ""))
            )
            if resolution.initial_status == RESOLVED:
                raise CaseAlreadyResolved(
                    "This case was already resolved; nothing changed. To continue it, use Reopen case."
                )
            return resolution

    async def reopen(
        self,
        channel: ChannelAccount,
        actor: SlackActor,
        case_id: str,
        message: str,
        cc_emails: Sequence[str],
        idempotency_key: str,
        attachments: Sequence[Attachment] = (),
    ) -> None:
        """Reopens a resolved case. AWS has no ReopenCase: a correspondence on a resolved case reopens it."""
        async with (
            self._audited(channel, actor, "support:AddCommunicationToCase", case_id) as trail,
            self._claimed(idempotency_key, "This case was already reopened with this message.") as claim,
        ):
            client = await self._client(channel, actor)
            case = await self._describe(channel, client, case_id, trail, language=None, communications=False)
            if not case.resolved:
                raise CaseNotResolved(
                    f"Case {case.display_id or case_id} is not resolved (its status is {case.status}), so it "
                    "cannot be reopened. Use Reply to add to it."
                )
            trail.detail = "reopen"
            await self._add_communication(
                channel, actor, client, case_id, message, cc_emails, attachments, trail, claim
            )

    # ---- catalogues (cached; they read no case, so they are not audited) ----------------------------------

    async def _catalogue_read(
        self,
        key: tuple[str, ...],
        channel: ChannelAccount,
        actor: SlackActor,
        read: Callable[[BaseClient], Awaitable[list[Any]]],
    ) -> list[Any]:
        cached = self._catalogue.get(key)
        if cached is None:
            cached = await read(await self._client(channel, actor))
            self._catalogue[key] = cached
        return list(cached)  # a copy: callers may sort or filter it

    async def services(
        self, channel: ChannelAccount, actor: SlackActor, language: str = "en"
    ) -> list[SupportService]:
        async def read(client: BaseClient) -> list[Any]:
            response = await self._call(channel, client, "describe_services", None, language=language)
            return [
                SupportService(
                    str(s["code"]),
                    str(s["name"]),
                    tuple(Choice(str(c["code"]), str(c["name"])) for c in s.get("categories") or []),
                )
                for s in response.get("services") or []
            ]

        return await self._catalogue_read(("services", channel.account_id, language), channel, actor, read)

    async def severity_levels(
        self, channel: ChannelAccount, actor: SlackActor, language: str = "en"
    ) -> list[Choice]:
        """The severities the account's support plan offers (they differ by plan, so per account)."""

        async def read(client: BaseClient) -> list[Any]:
            response = await self._call(channel, client, "describe_severity_levels", None, language=language)
            return [Choice(str(s["code"]), str(s["name"])) for s in response.get("severityLevels") or []]

        return await self._catalogue_read(("severity", channel.account_id, language), channel, actor, read)

    async def languages(
        self,
        channel: ChannelAccount,
        actor: SlackActor,
        issue_type: str,
        service_code: str,
        category_code: str,
    ) -> list[SupportedLanguage]:
        async def read(client: BaseClient) -> list[Any]:
            response = await self._call(
                channel,
                client,
                "describe_supported_languages",
                None,
                issueType=issue_type,
                serviceCode=service_code,
                categoryCode=category_code,
            )
            return [
                SupportedLanguage(str(s["code"]), str(s.get("language", "")), str(s.get("display", "")))
                for s in response.get("supportedLanguages") or []
            ]

        key = ("languages", channel.account_id, issue_type, service_code, category_code)
        return await self._catalogue_read(key, channel, actor, read)
