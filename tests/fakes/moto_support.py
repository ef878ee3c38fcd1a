"""A small, faithful AWS Support model grafted onto moto's ``support`` service.

moto implements only ``CreateCase``, ``DescribeCases`` (cycling status and severity on every read) and a
``ResolveCase`` that does not resolve. :func:`install` replaces those and adds the missing operations as
methods of ``moto.support.models.SupportBackend`` and ``moto.support.responses.SupportResponse``. IAM
enforcement runs in ``BaseResponse.call_action()`` before the method lookup, so the added operations are
permission-checked like native ones.

The state lives in a :class:`SupportWorld` (one per test), keyed by account: moto routes each request to the
account of its credentials (an assumed role's credentials belong to the role's account), so a role in account
A cannot see account B's cases. Support is a global service: every request uses the ``us-east-1`` backend,
whatever Region the client signed for (moto alone answers HTTP 500 for other Regions).

Modelling choices where AWS is not explicit: ``DescribeCases`` returns only cases whose ``language`` equals
the request's (default ``en``) and applies ``includeResolvedCases`` (default false) to ``caseIdList`` and
``displayId`` look-ups too, newest first; an unknown ``displayId`` is ``CaseIdNotFound``. A customer reply
moves ``resolved`` to ``reopened`` and ``pending-customer-action`` to ``customer-action-completed``.
``submittedBy`` is ``<role> (Role) <<session name>>`` for an assumed role, ``<user> (User)`` for an IAM user.

Errors are ``JsonRESTError`` (HTTP 400, ``__type`` + ``X-Amzn-ErrorType``), so botocore sets ``Error.Code``:
``CaseIdNotFound``, ``AttachmentSetIdNotFound``, ``AttachmentSetExpired``, ``AttachmentSetSizeLimitExceeded``,
``AttachmentIdNotFound``, ``InvalidParameterValueException`` (bad ``nextToken``/time; not modelled by AWS).
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any
from typing import TypeVar

import pytest
from moto.core.exceptions import JsonRESTError
from moto.iam.models import iam_backends
from moto.sts.models import sts_backends
from moto.support.models import SupportBackend
from moto.support.models import support_backends
from moto.support.responses import SupportResponse

from tests.fakes.extension import InstalledWorld

SUPPORT_REGION = "us-east-1"
MAX_ATTACHMENTS_PER_SET = 3
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
ATTACHMENT_SET_LIFETIME = timedelta(hours=1)
RECENT_COMMUNICATIONS = 5
AWS_SUBMITTER = "Amazon Web Services"
FIRST_DISPLAY_ID = 1_700_000_000  # display IDs: ten digits, increasing
_T = TypeVar("_T")
_Timed = TypeVar("_Timed", "Case", "Communication")

# ------------------------------------------------------------------------------------------------------------
# Catalogue data (DescribeServices, DescribeSeverityLevels, DescribeSupportedLanguages)
# ------------------------------------------------------------------------------------------------------------

SEVERITY_LEVELS: list[tuple[str, str, str]] = [
    ("low", "General guidance", "一般的なガイダンス"),
    ("normal", "System impaired", "システムの障害"),
    ("high", "Production system impaired", "本番システムの障害"),
    ("urgent", "Production system down", "本番システムのダウン"),
    ("critical", "Business-critical system down", "ビジネスクリティカルなシステムのダウン"),
]

# Each service: (code, name, its categories as (code, name)), as DescribeServices lists them; data, so in JSON.
SERVICES: list[tuple[str, str, list[tuple[str, str]]]] = [
    (code, name, [(c, n) for c, n in categories])
    for code, name, categories in json.loads(Path(__file__).with_name("support_services.json").read_text())
]

LANGUAGES: dict[str, tuple[str, str]] = {
    "en": ("English", "English"),
    "ja": ("Japanese", "日本語"),
    "zh": ("Chinese", "中文"),
    "ko": ("Korean", "한국어"),
}
TECHNICAL_LANGUAGES = ["en", "ja", "zh", "ko"]
CUSTOMER_SERVICE_LANGUAGES = ["en", "ja"]
CASE_STATUSES = (
    "opened",
    "pending-customer-action",
    "reopened",
    "resolved",
    "unassigned",
    "work-in-progress",
    "customer-action-completed",
)

# ------------------------------------------------------------------------------------------------------------
# Shared helpers (also used by moto_quotas)
# ------------------------------------------------------------------------------------------------------------


class ApiError(JsonRESTError):
    """A JSON-protocol error: HTTP ``status`` with ``__type`` and ``X-Amzn-ErrorType`` = ``code``."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(code, message)
        self.code = status


def iso(dt: datetime) -> str:
    """AWS Support's timestamp format: ``2024-01-25T15:31:05.123Z``."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_time(value: str, name: str) -> datetime:
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError("InvalidParameterValueException", f"Invalid {name}: {value}") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def json_params(response: Any) -> dict[str, Any]:
    body = response.body
    if not body:
        return {}
    return dict(json.loads(body.decode() if isinstance(body, bytes) else body))


def _between_times(items: list[_Timed], p: dict[str, Any]) -> list[_Timed]:
    """The items created within the request's afterTime and beforeTime (both included, either optional)."""
    if p.get("afterTime"):
        after = parse_time(p["afterTime"], "afterTime")
        items = [x for x in items if x.time_created >= after]
    if p.get("beforeTime"):
        before = parse_time(p["beforeTime"], "beforeTime")
        items = [x for x in items if x.time_created <= before]
    return items


def paginate(
    items: Sequence[_T], max_results: int | None, token: str | None, *, default: int, error_code: str
) -> tuple[list[_T], str | None]:
    """Offset pagination with an opaque token; ``max_results`` is clamped to the API's range elsewhere."""
    start = 0
    if token:
        try:
            start = int(json.loads(base64.b64decode(token))["offset"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise ApiError(error_code, f"Invalid pagination token: {token}") from None
    size = max_results or default
    page = list(items[start : start + size])
    end = start + size
    next_token = base64.b64encode(json.dumps({"offset": end}).encode()).decode() if end < len(items) else None
    return page, next_token


def _listing(
    items: Sequence[_T], p: dict[str, Any], key: str, shown: Callable[[_T], dict[str, Any]]
) -> dict[str, Any]:
    """One page of a Support listing as the API answers it: the page under `key`, nextToken when more follow."""
    page, token = paginate(
        items,
        _clamp(p.get("maxResults")),
        p.get("nextToken"),
        default=100,
        error_code="InvalidParameterValueException",
    )
    out: dict[str, Any] = {key: [shown(x) for x in page]}
    if token:
        out["nextToken"] = token
    return out


@dataclass(frozen=True)
class Caller:
    arn: str
    display: str  # what AWS Support shows as ``submittedBy``


def caller_of(account_id: str, access_key_id: str) -> Caller:
    """The principal behind an access key, for ``submittedBy`` and quota ``Requester``."""
    assumed = sts_backends[account_id]["aws"].get_assumed_role_from_access_key(access_key_id)
    if assumed is not None:
        role = assumed.role_arn.split("/")[-1]
        return Caller(assumed.arn, f"{role} (Role) <{assumed.session_name}>")
    for user in iam_backends[account_id]["aws"].users.values():
        if any(k.access_key_id == access_key_id for k in user.access_keys):
            return Caller(user.arn, f"{user.name} (User)")
    return Caller(f"arn:aws:iam::{account_id}:root", f"{account_id} (Root)")


# ------------------------------------------------------------------------------------------------------------
# Model
# ------------------------------------------------------------------------------------------------------------


@dataclass
class Attachment:
    attachment_id: str
    file_name: str
    data: bytes


@dataclass
class AttachmentSet:
    attachment_set_id: str
    created: datetime
    expiry: datetime
    attachments: list[Attachment] = field(default_factory=list)


@dataclass
class Communication:
    case_id: str
    body: str
    submitted_by: str
    time_created: datetime
    attachments: list[Attachment] = field(default_factory=list)
    cc_email_addresses: list[str] = field(default_factory=list)

    def to_api(self) -> dict[str, Any]:
        return {
            "caseId": self.case_id,
            "body": self.body,
            "submittedBy": self.submitted_by,
            "timeCreated": iso(self.time_created),
            "attachmentSet": [
                {"attachmentId": a.attachment_id, "fileName": a.file_name} for a in self.attachments
            ],
        }


@dataclass
class Case:
    account_id: str
    case_id: str
    display_id: str
    subject: str
    status: str
    service_code: str | None
    category_code: str | None
    severity_code: str
    submitted_by: str
    time_created: datetime
    language: str
    issue_type: str
    cc_email_addresses: list[str] = field(default_factory=list)
    communications: list[Communication] = field(default_factory=list)  # oldest first
    attachment_set_id: str | None = None

    def newest_first(self) -> list[Communication]:
        return sorted(self.communications, key=lambda c: c.time_created, reverse=True)

    def to_api(self, include_communications: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "caseId": self.case_id,
            "displayId": self.display_id,
            "subject": self.subject,
            "status": self.status,
            "serviceCode": self.service_code,
            "categoryCode": self.category_code,
            "severityCode": self.severity_code,
            "submittedBy": self.submitted_by,
            "timeCreated": iso(self.time_created),
            "ccEmailAddresses": list(self.cc_email_addresses),
            "language": self.language,
        }
        if include_communications:
            recent = self.newest_first()
            comms: dict[str, Any] = {"communications": [c.to_api() for c in recent[:RECENT_COMMUNICATIONS]]}
            if len(recent) > RECENT_COMMUNICATIONS:
                comms["nextToken"] = base64.b64encode(
                    json.dumps({"offset": RECENT_COMMUNICATIONS}).encode()
                ).decode()
            out["recentCommunications"] = comms
        return {k: v for k, v in out.items() if v is not None}


@dataclass
class SupportAccount:
    cases: dict[str, Case] = field(default_factory=dict)
    attachment_sets: dict[str, AttachmentSet] = field(default_factory=dict)
    attachments: dict[str, Attachment] = field(default_factory=dict)


class SupportWorld:
    """All Support state of one test: cases and attachment sets per account, display-ID counter, clock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.accounts: dict[str, SupportAccount] = {}
        self._next_display_id = FIRST_DISPLAY_ID
        self.clock_offset = timedelta()

    # --- plumbing ---
    def now(self) -> datetime:
        return datetime.now(UTC) + self.clock_offset

    def account(self, account_id: str) -> SupportAccount:
        with self.lock:
            return self.accounts.setdefault(account_id, SupportAccount())

    def find_case(self, case_id: str) -> Case:
        with self.lock:
            for acct in self.accounts.values():
                if case_id in acct.cases:
                    return acct.cases[case_id]
        raise KeyError(case_id)

    def _case(self, account_id: str, case_id: str | None) -> Case:
        case = self.account(account_id).cases.get(case_id or "")
        if case is None:
            raise ApiError("CaseIdNotFound", f"The requested caseId couldn't be located: {case_id}")
        return case

    def _usable_attachment_set(self, account_id: str, set_id: str | None) -> AttachmentSet | None:
        if not set_id:
            return None
        att_set = self.account(account_id).attachment_sets.get(set_id)
        if att_set is None:
            raise ApiError(
                "AttachmentSetIdNotFound", f"An attachment set with the ID {set_id} was not found."
            )
        if self.now() >= att_set.expiry:
            raise ApiError("AttachmentSetExpired", f"The attachment set {set_id} has expired.")
        return att_set

    def new_case_id(self, account_id: str) -> str:
        return f"case-{account_id}-{self.now().year}-{secrets.token_hex(8)}"

    def new_display_id(self) -> str:
        with self.lock:
            self._next_display_id += 1
            return str(self._next_display_id)

    # --- operations ---
    def create_case(self, account_id: str, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            att_set = self._usable_attachment_set(account_id, p.get("attachmentSetId"))
            now = self.now()
            case = Case(
                account_id=account_id,
                case_id=self.new_case_id(account_id),
                display_id=self.new_display_id(),
                subject=p.get("subject", ""),
                status="opened",
                service_code=p.get("serviceCode"),
                category_code=p.get("categoryCode"),
                severity_code=p.get("severityCode") or "low",
                submitted_by=caller.display,
                time_created=now,
                language=p.get("language") or "en",
                issue_type=p.get("issueType") or "technical",
                cc_email_addresses=list(p.get("ccEmailAddresses") or []),
                attachment_set_id=att_set.attachment_set_id if att_set else None,
            )
            case.communications.append(
                Communication(
                    case_id=case.case_id,
                    body=p.get("communicationBody", ""),
                    submitted_by=caller.display,
                    time_created=now,
                    attachments=list(att_set.attachments) if att_set else [],
                    cc_email_addresses=list(case.cc_email_addresses),
                )
            )
            self.account(account_id).cases[case.case_id] = case
            return {"caseId": case.case_id}

    def describe_cases(self, account_id: str, p: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            cases = self.account(account_id).cases
            if p.get("caseIdList"):
                selected = [self._case(account_id, cid) for cid in p["caseIdList"]]
            else:
                selected = list(cases.values())
            if p.get("displayId"):
                selected = [c for c in selected if c.display_id == p["displayId"]]
                if not selected:
                    raise ApiError(
                        "CaseIdNotFound", f"The requested displayId couldn't be located: {p['displayId']}"
                    )
            selected = _between_times(selected, p)
            if not p.get("includeResolvedCases", False):
                selected = [c for c in selected if c.status != "resolved"]
            language = p.get("language") or "en"
            selected = [c for c in selected if c.language == language]
            selected.sort(key=lambda c: (c.time_created, int(c.display_id)), reverse=True)
            include = p.get("includeCommunications", True)
            return _listing(selected, p, "cases", lambda c: c.to_api(include))

    def resolve_case(self, account_id: str, p: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            case = self._case(account_id, p.get("caseId"))
            initial, case.status = case.status, "resolved"
            return {"initialCaseStatus": initial, "finalCaseStatus": "resolved"}

    def add_communication_to_case(self, account_id: str, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            case = self._case(account_id, p.get("caseId"))
            att_set = self._usable_attachment_set(account_id, p.get("attachmentSetId"))
            case.communications.append(
                Communication(
                    case_id=case.case_id,
                    body=p.get("communicationBody", ""),
                    submitted_by=caller.display,
                    time_created=self.now(),
                    attachments=list(att_set.attachments) if att_set else [],
                    cc_email_addresses=list(p.get("ccEmailAddresses") or []),
                )
            )
            if case.status == "resolved":
                case.status = "reopened"
            elif case.status == "pending-customer-action":
                case.status = "customer-action-completed"
            return {"result": True}

    def describe_communications(self, account_id: str, p: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            comms = self._case(account_id, p.get("caseId")).newest_first()
            comms = _between_times(comms, p)
            return _listing(comms, p, "communications", lambda c: c.to_api())

    def add_attachments_to_set(self, account_id: str, p: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            acct = self.account(account_id)
            existing = self._usable_attachment_set(account_id, p.get("attachmentSetId"))
            new: list[Attachment] = []
            for item in p.get("attachments") or []:
                data = base64.b64decode(item.get("data") or "")
                if len(data) > MAX_ATTACHMENT_BYTES:
                    raise ApiError(
                        "AttachmentSetSizeLimitExceeded",
                        f"The attachment {item.get('fileName')} exceeds the 5 MB size limit.",
                    )
                new.append(Attachment(f"attachment-{secrets.token_hex(12)}", item.get("fileName", ""), data))
            already = len(existing.attachments) if existing else 0
            if already + len(new) > MAX_ATTACHMENTS_PER_SET:
                raise ApiError(
                    "AttachmentSetSizeLimitExceeded",
                    f"An attachment set can contain at most {MAX_ATTACHMENTS_PER_SET} attachments.",
                )
            if existing is None:
                now = self.now()
                existing = AttachmentSet(f"as-{secrets.token_hex(16)}", now, now + ATTACHMENT_SET_LIFETIME)
                acct.attachment_sets[existing.attachment_set_id] = existing
            existing.attachments.extend(new)
            for a in new:
                acct.attachments[a.attachment_id] = a
            return {"attachmentSetId": existing.attachment_set_id, "expiryTime": iso(existing.expiry)}

    def describe_attachment(self, account_id: str, p: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            att = self.account(account_id).attachments.get(p.get("attachmentId", ""))
            if att is None:
                raise ApiError(
                    "AttachmentIdNotFound",
                    f"An attachment with the ID {p.get('attachmentId')} was not found.",
                )
            return {"attachment": {"fileName": att.file_name, "data": base64.b64encode(att.data).decode()}}

    # --- helpers for tests (AWS-side events) ---
    def put_case(
        self,
        account_id: str,
        *,
        subject: str = "Seeded case",
        body: str = "Seeded case body",
        status: str = "opened",
        service_code: str = "general-info",
        category_code: str = "using-aws",
        severity_code: str = "low",
        language: str = "en",
        issue_type: str = "technical",
        submitted_by: str = "seeded (Role) <tester>",
        time_created: datetime | None = None,
        cc_email_addresses: Sequence[str] = (),
    ) -> Case:
        with self.lock:
            created = time_created or self.now()
            case = Case(
                account_id=account_id,
                case_id=self.new_case_id(account_id),
                display_id=self.new_display_id(),
                subject=subject,
                status=status,
                service_code=service_code,
                category_code=category_code,
                severity_code=severity_code,
                submitted_by=submitted_by,
                time_created=created,
                language=language,
                issue_type=issue_type,
                cc_email_addresses=list(cc_email_addresses),
            )
            case.communications.append(Communication(case.case_id, body, submitted_by, created))
            self.account(account_id).cases[case.case_id] = case
            return case

    def add_aws_reply(self, case_id: str, body: str, status: str | None = "pending-customer-action") -> None:
        with self.lock:
            case = self.find_case(case_id)
            case.communications.append(Communication(case_id, body, AWS_SUBMITTER, self.now()))
            if status is not None:
                case.status = status

    def set_case_status(self, case_id: str, status: str) -> None:
        if status not in CASE_STATUSES:
            raise ValueError(f"unknown case status {status!r}")
        with self.lock:
            self.find_case(case_id).status = status


def _clamp(max_results: Any) -> int | None:
    return None if max_results is None else max(1, min(int(max_results), 100))


def describe_services(p: dict[str, Any]) -> dict[str, Any]:
    wanted = set(p.get("serviceCodeList") or [])
    services = [
        {"code": code, "name": name, "categories": [{"code": c, "name": n} for c, n in cats]}
        for code, name, cats in SERVICES
        if not wanted or code in wanted
    ]
    return {"services": sorted(services, key=lambda s: s["name"])}


def describe_severity_levels(p: dict[str, Any]) -> dict[str, Any]:
    ja = p.get("language") == "ja"
    return {"severityLevels": [{"code": c, "name": (j if ja else n)} for c, n, j in SEVERITY_LEVELS]}


def describe_supported_languages(p: dict[str, Any]) -> dict[str, Any]:
    codes = CUSTOMER_SERVICE_LANGUAGES if p.get("issueType") == "customer-service" else TECHNICAL_LANGUAGES
    return {
        "supportedLanguages": [
            {"code": c, "language": LANGUAGES[c][0], "display": LANGUAGES[c][1]} for c in codes
        ]
    }


def describe_create_case_options(p: dict[str, Any]) -> dict[str, Any]:
    language = p.get("language") or "en"
    technical = p.get("issueType", "technical") == "technical"
    supported = TECHNICAL_LANGUAGES if technical else CUSTOMER_SERVICE_LANGUAGES
    availability = (
        "available" if language in ("en", "ja") else "best_effort" if language in supported else "unavailable"
    )
    always = [{"startTime": "00:00", "endTime": "23:59"}]
    types = [{"type": "web", "supportedHours": always, "datesWithoutSupport": []}]
    if technical:
        types += [
            {"type": "chat", "supportedHours": always, "datesWithoutSupport": []},
            {"type": "call", "supportedHours": always, "datesWithoutSupport": []},
        ]
    return {"languageAvailability": availability, "communicationTypes": types}


# ------------------------------------------------------------------------------------------------------------
# moto grafting
# ------------------------------------------------------------------------------------------------------------

_installed: InstalledWorld[SupportWorld] = InstalledWorld("Support")


def world() -> SupportWorld:
    return _installed.get()


def _support_backend(self: SupportResponse) -> SupportBackend:
    return support_backends[self.current_account][SUPPORT_REGION]


def _backend_op(name: str, with_caller: bool) -> Callable[..., dict[str, Any]]:
    if with_caller:

        def op_with_caller(self: SupportBackend, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
            return getattr(world(), name)(self.account_id, caller, params)  # type: ignore[no-any-return]

        op_with_caller.__name__ = name
        return op_with_caller

    def op(self: SupportBackend, params: dict[str, Any]) -> dict[str, Any]:
        return getattr(world(), name)(self.account_id, params)  # type: ignore[no-any-return]

    op.__name__ = name
    return op


def _response_op(name: str, with_caller: bool) -> Callable[[SupportResponse], str]:
    def handler(self: SupportResponse) -> str:
        params = json_params(self)
        backend_method = getattr(self.support_backend, name)
        if with_caller:
            result = backend_method(caller_of(self.current_account, self.get_access_key()), params)
        else:
            result = backend_method(params)
        return json.dumps(result)

    handler.__name__ = name
    return handler


def _static_op(fn: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[SupportResponse], str]:
    def handler(self: SupportResponse) -> str:
        return json.dumps(fn(json_params(self)))

    handler.__name__ = fn.__name__
    return handler


_CASE_OPS: dict[str, bool] = {  # operation -> needs the caller
    "create_case": True,
    "add_communication_to_case": True,
    "describe_cases": False,
    "resolve_case": False,
    "describe_communications": False,
    "add_attachments_to_set": False,
    "describe_attachment": False,
}
_CATALOGUE_OPS = [
    describe_services,
    describe_severity_levels,
    describe_supported_languages,
    describe_create_case_options,
]


def install(mp: pytest.MonkeyPatch, support_world: SupportWorld) -> None:
    """Graft the model onto moto for the duration of ``mp``."""
    mp.setattr(_installed, "world", support_world)
    mp.setattr(SupportResponse, "support_backend", property(_support_backend))
    for name, with_caller in _CASE_OPS.items():
        mp.setattr(SupportBackend, name, _backend_op(name, with_caller), raising=False)
        mp.setattr(SupportResponse, name, _response_op(name, with_caller), raising=False)
    for fn in _CATALOGUE_OPS:
        mp.setattr(SupportResponse, fn.__name__, _static_op(fn), raising=False)
