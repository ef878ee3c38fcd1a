"""Service Quotas increase requests: catalogues for the pickers, the value rule, requests and their status."""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from botocore.client import BaseClient
from botocore.exceptions import ClientError, ReadTimeoutError
from cachetools import TTLCache

from bolt_app.aws.errors import AwsError, CallContext, explain, is_access_denied
from bolt_app.aws.quota_errors import (
    MAX_DESIRED_VALUE,
    QuotaTarget,
    already_open_error,
    explain_quota_error,
    request_outcome_unknown,
)
from bolt_app.aws.sessions import RoleSessions, call, call_write, session_name
from bolt_app.errors import UserFacingError
from bolt_app.services.context import ChannelAccount, SlackActor
from storage.audit import AuditEvent, AuditRepository, IdempotencyKeys

SERVICE = "service-quotas"
DEFAULT_REGION = "us-east-1"
MAX_OPTIONS = 100  # Slack's limit on the options of a select
OPEN_STATUSES = ("PENDING", "CASE_OPENED")
CODE = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]{1,127}$")
REQUEST_ID = re.compile(r"^[0-9a-zA-Z][a-zA-Z0-9-]{1,128}$")

# Modal fields (block ids); errors name them so the modal can show the message beside the field.
ACCOUNT_FIELD = "quota_account"
REGION_FIELD = "quota_region"
SERVICE_FIELD = "quota_service"
QUOTA_FIELD = "quota_code"
VALUE_FIELD = "quota_value"

# The commercial (aws partition) Regions. Static on purpose: the modal must open within Slack's 3-second
# trigger window without an AWS call, listing Regions (ec2:DescribeRegions) would need a permission the channel
# role is not asked for, and botocore's bundled endpoint data depends on the installed version. It matches
# botocore's aws partition (a test checks every entry is known there); add a Region here when AWS opens one.
REGIONS: dict[str, str] = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "af-south-1": "Africa (Cape Town)",
    "ap-east-1": "Asia Pacific (Hong Kong)",
    "ap-east-2": "Asia Pacific (Taipei)",
    "ap-south-1": "Asia Pacific (Mumbai)",
    "ap-south-2": "Asia Pacific (Hyderabad)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
    "ap-southeast-3": "Asia Pacific (Jakarta)",
    "ap-southeast-4": "Asia Pacific (Melbourne)",
    "ap-southeast-5": "Asia Pacific (Malaysia)",
    "ap-southeast-6": "Asia Pacific (New Zealand)",
    "ap-southeast-7": "Asia Pacific (Thailand)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-northeast-2": "Asia Pacific (Seoul)",
    "ap-northeast-3": "Asia Pacific (Osaka)",
    "ca-central-1": "Canada (Central)",
    "ca-west-1": "Canada West (Calgary)",
    "eu-central-1": "Europe (Frankfurt)",
    "eu-central-2": "Europe (Zurich)",
    "eu-west-1": "Europe (Ireland)",
    "eu-west-2": "Europe (London)",
    "eu-west-3": "Europe (Paris)",
    "eu-south-1": "Europe (Milan)",
    "eu-south-2": "Europe (Spain)",
    "eu-north-1": "Europe (Stockholm)",
    "il-central-1": "Israel (Tel Aviv)",
    "me-central-1": "Middle East (UAE)",
    "me-south-1": "Middle East (Bahrain)",
    "mx-central-1": "Mexico (Central)",
    "sa-east-1": "South America (São Paulo)",
}

STATUS_LABELS = {
    "PENDING": "Pending",
    "CASE_OPENED": "Case opened",
    "APPROVED": "Approved",
    "DENIED": "Denied",
    "CASE_CLOSED": "Case closed",
    "NOT_APPROVED": "Not approved",
    "INVALID_REQUEST": "Invalid request",
}


class Region(NamedTuple):
    code: str
    name: str


class Choice(NamedTuple):
    """A service or a quota in a picker: its code (the option value) and its name."""

    code: str
    name: str


@dataclass(frozen=True)
class QuotaRequest:
    """An increase request as AWS reports it, with where it was made."""

    id: str
    case_id: str | None
    status: str
    service_code: str
    service_name: str
    quota_code: str
    quota_name: str
    desired_value: float
    unit: str
    region: str
    account_id: str
    account_shown: str
    created: datetime | None
    last_updated: datetime | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status.replace("_", " ").capitalize())

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def describe(self) -> str:
        """One line for error messages: value, date, status, IDs."""
        when = f" on {utc_text(self.created)}" if self.created else ""
        case = f", support case {self.case_id}" if self.case_id else ""
        return (
            f"{with_unit(self.desired_value, self.unit)} requested{when}, status {self.status_label} "
            f"(request ID {self.id}{case})"
        )


@dataclass(frozen=True)
class QuotaDetails:
    """What the modal shows once a quota is chosen, and what the value rule checks against."""

    account_id: str
    region: str
    service_code: str
    service_name: str
    quota_code: str
    quota_name: str
    applied_value: float
    default_value: float
    unit: str
    adjustable: bool
    global_quota: bool
    pending: QuotaRequest | None
    pending_checked: bool  # False when the role may not read the request history

    @property
    def applied_below_default(self) -> bool:
        return self.applied_value < self.default_value

    @property
    def must_exceed(self) -> float:
        return max(self.applied_value, self.default_value)


class DuplicateSubmission(UserFacingError):
    """The same submission (idempotency key) was already handled: nothing new was requested."""


class PendingRequestExists(AwsError):
    """AWS refused because a request for the quota is still open; `pending` is that request when readable."""

    def __init__(self, error: AwsError, pending: QuotaRequest | None) -> None:
        super().__init__(error.message, code=error.code, request_id=error.request_id)
        self.pending = pending


def format_value(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.6f}".rstrip("0").rstrip(".")


def with_unit(value: float, unit: str) -> str:
    return f"{format_value(value)} {unit}" if unit and unit != "None" else format_value(value)


def utc_text(moment: datetime) -> str:
    """botocore gives timestamps in local time; messages say UTC."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return f"{aware.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def region_name(code: str) -> str:
    return REGIONS.get(code, code)


# --- the value rule (pure) ----------------------------------------------------------------------------------


def validate_requested_value(text: str | None, details: QuotaDetails) -> float:
    """The requested value as a number, or UserFacingError (field VALUE_FIELD) saying which rule it breaks."""
    value = _parse_number(text)
    default = with_unit(details.default_value, details.unit)
    applied = with_unit(details.applied_value, details.unit)
    if not details.adjustable:
        raise UserFacingError(f"The quota {details.quota_name} cannot be adjusted.", field=VALUE_FIELD)
    if value > MAX_DESIRED_VALUE:
        raise UserFacingError(f"Enter at most {MAX_DESIRED_VALUE:,}.", field=VALUE_FIELD)
    if value <= details.default_value:
        below = (
            f" The applied value ({applied}) is below the default, which does not change that rule."
            if details.applied_below_default
            else ""
        )
        raise UserFacingError(
            f"Enter more than the AWS default value of {default}: AWS refuses requests that do not exceed "
            f"the default.{below}",
            field=VALUE_FIELD,
        )
    if value <= details.applied_value:
        raise UserFacingError(
            f"Enter more than the applied value of {applied}: this account already has that much.",
            field=VALUE_FIELD,
        )
    return value


def _parse_number(text: str | None) -> float:
    cleaned = re.sub(r"[\s,_]", "", text or "")
    if not cleaned:
        raise UserFacingError("Enter the value you need, as a number.", field=VALUE_FIELD)
    try:
        value = float(cleaned)
    except ValueError:
        raise UserFacingError(
            f"“{(text or '').strip()[:40]}” is not a number: enter digits only, like 2000.", field=VALUE_FIELD
        ) from None
    if not math.isfinite(value) or value < 0:
        raise UserFacingError("Enter a positive number.", field=VALUE_FIELD)
    return value


def filter_choices(choices: list[Choice], query: str | None, limit: int = MAX_OPTIONS) -> list[Choice]:
    """Choices whose name or code holds every typed word; exact and prefix matches of the code first."""
    words = (query or "").casefold().split()
    found = [c for c in choices if all(w in f"{c.name} {c.code}".casefold() for w in words)]
    if words:
        typed = " ".join(words)

        def rank(c: Choice) -> int:
            code, name = c.code.casefold(), c.name.casefold()
            return 0 if code == typed else 1 if code.startswith(typed) or name.startswith(typed) else 2

        found.sort(key=rank)  # stable: alphabetical within a rank
    return found[:limit]


# --- the service --------------------------------------------------------------------------------------------

_CacheKey = tuple[str, ...]


class QuotaService:
    """Service Quotas with the channel's role, in the Region the user picked.

    Catalogues are cached per (account, role, Region): keyed by the role too, so a channel whose role may not
    list quotas never sees what another channel's role listed.
    """

    def __init__(
        self,
        role_sessions: RoleSessions,
        audit: AuditRepository,
        idempotency: IdempotencyKeys,
        *,
        catalogue_ttl_seconds: float = 3600.0,
        max_cached: int = 2_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.role_sessions = role_sessions
        self.audit = audit
        self.idempotency = idempotency
        self._services: TTLCache[_CacheKey, list[Choice]] = TTLCache(
            max_cached, catalogue_ttl_seconds, timer=clock
        )
        self._quotas: TTLCache[_CacheKey, list[Choice]] = TTLCache(
            max_cached, catalogue_ttl_seconds, timer=clock
        )

    @staticmethod
    def regions() -> list[Region]:
        return [Region(code, name) for code, name in REGIONS.items()]

    async def services(
        self, channel: ChannelAccount, actor: SlackActor, region: str, query: str | None = None
    ) -> list[Choice]:
        """Services of `region` whose name or code matches `query` (at most 100, for a Slack select)."""
        _check_region(region)
        key = (channel.account_id, channel.role_arn, region)
        choices = self._services.get(key)
        if choices is None:
            choices = await self._list_services(channel, actor, region)
            self._services[key] = choices
        return filter_choices(choices, query)

    async def quotas(
        self,
        channel: ChannelAccount,
        actor: SlackActor,
        region: str,
        service_code: str,
        query: str | None = None,
    ) -> list[Choice]:
        """The adjustable quotas of a service (AWS refuses increases of the others), filtered by `query`."""
        _check_region(region)
        _check_code(service_code, SERVICE_FIELD, "service")
        key = (channel.account_id, channel.role_arn, region, service_code)
        choices = self._quotas.get(key)
        if choices is None:
            choices = await self._list_quotas(channel, actor, region, service_code)
            self._quotas[key] = choices
        return filter_choices(choices, query)

    async def quota_details(
        self, channel: ChannelAccount, actor: SlackActor, region: str, service_code: str, quota_code: str
    ) -> QuotaDetails:
        """Applied and default value, unit, and the open request for the quota, read in parallel."""
        _check_region(region)
        _check_code(service_code, SERVICE_FIELD, "service")
        _check_code(quota_code, QUOTA_FIELD, "quota")
        client = await self._client(channel, actor, region)
        target = QuotaTarget(region, service_code, quota_code)
        codes = {"ServiceCode": service_code, "QuotaCode": quota_code}
        applied, default, pending = await asyncio.gather(
            self._read(client, channel, target, "get_service_quota", **codes),
            self._read(client, channel, target, "get_aws_default_service_quota", **codes),
            self._open_request(client, channel, target),
        )
        return _details(channel, region, applied["Quota"], default["Quota"], pending)

    async def request_increase(
        self,
        channel: ChannelAccount,
        actor: SlackActor,
        region: str,
        service_code: str,
        quota_code: str,
        desired_value: float,
        idempotency_key: str,
    ) -> QuotaRequest:
        """Asks AWS for `desired_value`, once per `idempotency_key`; audited whatever the outcome."""
        _check_region(region)
        _check_code(service_code, SERVICE_FIELD, "service")
        _check_code(quota_code, QUOTA_FIELD, "quota")
        if not 0 <= desired_value <= MAX_DESIRED_VALUE:
            raise UserFacingError(f"Enter a value from 0 to {MAX_DESIRED_VALUE:,}.", field=VALUE_FIELD)
        key = f"quota-increase:{idempotency_key}"
        if not await self.idempotency.claim(key):
            raise DuplicateSubmission(
                "This quota increase request was already submitted; its result is shown in the channel."
            )
        target = QuotaTarget(region, service_code, quota_code)
        action = "servicequotas:RequestServiceQuotaIncrease"
        detail = f"{service_code}/{quota_code} to {format_value(desired_value)} in {region}"
        try:
            client = await self._client(channel, actor, region, retries=False)
            response = await call_write(
                client,
                "request_service_quota_increase",
                ServiceCode=service_code,
                QuotaCode=quota_code,
                DesiredValue=float(desired_value),
            )
        except Exception as e:
            ambiguous = isinstance(e, ReadTimeoutError)  # AWS may have taken it: keep the key, no blind retry
            if not ambiguous:
                await self.idempotency.release(key)
            error = (
                request_outcome_unknown(CallContext(channel.role_arn, channel.account_shown, action), target)
                if ambiguous
                else await self._request_error(e, channel, actor, target)
            )
            await self._audit(channel, actor, action, _outcome(e), detail=detail, error=error)
            raise error from e
        request = _request(response["RequestedQuota"], channel, region)
        await self._audit(
            channel,
            actor,
            action,
            "ok",
            case_id=request.case_id,
            detail=f"{detail}: request {request.id}, {request.status}",
            aws_request_id=_response_request_id(response),
        )
        return request

    async def request_status(
        self, channel: ChannelAccount, actor: SlackActor, region: str, request_id: str
    ) -> QuotaRequest:
        """The request as AWS reports it now (GetRequestedServiceQuotaChange); audited."""
        _check_region(region)
        action = "servicequotas:GetRequestedServiceQuotaChange"
        target = QuotaTarget(region, request_id=request_id)
        if not REQUEST_ID.match(request_id):
            raise UserFacingError(f"“{request_id[:64]}” is not a quota request ID.")
        try:
            client = await self._client(channel, actor, region)
            response = await call(client, "get_requested_service_quota_change", RequestId=request_id)
        except Exception as e:
            error = _quota_error(e, channel, action, target)
            await self._audit(channel, actor, action, _outcome(e), detail=request_id, error=error)
            raise error from e
        request = _request(response["RequestedQuota"], channel, region)
        await self._audit(
            channel,
            actor,
            action,
            "ok",
            case_id=request.case_id,
            detail=f"request {request.id}: {request.status}",
            aws_request_id=_response_request_id(response),
        )
        return request

    # --- AWS calls ------------------------------------------------------------------------------------------

    async def _client(
        self, channel: ChannelAccount, actor: SlackActor, region: str, *, retries: bool = True
    ) -> BaseClient:
        try:
            return await self.role_sessions.client(
                channel.role_arn,
                channel.external_id,
                session_name(actor.team_for_session, actor.user_id),
                SERVICE,
                region,
                retries=retries,
            )
        except Exception as e:
            raise explain(e, CallContext(channel.role_arn, channel.account_shown, "sts:AssumeRole")) from e

    async def _read(
        self, client: BaseClient, channel: ChannelAccount, target: QuotaTarget, operation: str, **params: Any
    ) -> dict[str, Any]:
        try:
            return await call(client, operation, **params)
        except Exception as e:
            raise _quota_error(e, channel, _iam_action(client, operation), target) from e

    async def _list_services(self, channel: ChannelAccount, actor: SlackActor, region: str) -> list[Choice]:
        client = await self._client(channel, actor, region)
        target = QuotaTarget(region)
        rows = await self._all_pages(client, channel, target, "list_services", "Services")
        choices = {
            r["ServiceCode"]: Choice(r["ServiceCode"], r.get("ServiceName") or r["ServiceCode"]) for r in rows
        }
        return sorted(choices.values(), key=lambda c: c.name.casefold())

    async def _list_quotas(
        self, channel: ChannelAccount, actor: SlackActor, region: str, service_code: str
    ) -> list[Choice]:
        client = await self._client(channel, actor, region)
        target = QuotaTarget(region, service_code)
        rows = await self._all_pages(
            client, channel, target, "list_service_quotas", "Quotas", ServiceCode=service_code
        )
        choices = {
            r["QuotaCode"]: Choice(r["QuotaCode"], r.get("QuotaName") or r["QuotaCode"])
            for r in rows
            if r.get("Adjustable")
        }
        return sorted(choices.values(), key=lambda c: c.name.casefold())

    async def _all_pages(
        self,
        client: BaseClient,
        channel: ChannelAccount,
        target: QuotaTarget,
        operation: str,
        items: str,
        **params: Any,
    ) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page_params = {**params, "MaxResults": 100, **({"NextToken": token} if token else {})}
            page = await self._read(client, channel, target, operation, **page_params)
            rows += page.get(items, [])
            token = page.get("NextToken")
            if not token:
                return rows

    async def _open_request(
        self, client: BaseClient, channel: ChannelAccount, target: QuotaTarget
    ) -> tuple[QuotaRequest | None, bool]:
        """(the open request for the quota or None, whether the history could be read at all)."""
        operation = "list_requested_service_quota_change_history_by_quota"
        found: list[dict[str, Any]] = []
        for status in OPEN_STATUSES:  # AWS allows one open request per quota: one page each is enough
            try:
                page = await call(
                    client,
                    operation,
                    ServiceCode=target.service_code,
                    QuotaCode=target.quota_code,
                    Status=status,
                )
            except Exception as e:
                if isinstance(e, ClientError) and is_access_denied(e):
                    return None, False  # optional: the modal says it could not check
                raise _quota_error(e, channel, _iam_action(client, operation), target) from e
            found += page.get("RequestedQuotas", [])
        if not found:
            return None, True
        newest = max(found, key=lambda r: r["Created"].timestamp() if r.get("Created") else 0.0)
        return _request(newest, channel, target.region), True

    async def _request_error(
        self, error: Exception, channel: ChannelAccount, actor: SlackActor, target: QuotaTarget
    ) -> AwsError:
        action = "servicequotas:RequestServiceQuotaIncrease"
        ctx = CallContext(channel.role_arn, channel.account_shown, action)
        if not (isinstance(error, ClientError) and _code(error) == "ResourceAlreadyExistsException"):
            return _quota_error(error, channel, action, target)
        pending: QuotaRequest | None = None
        try:
            client = await self._client(channel, actor, target.region)
            pending, _ = await self._open_request(client, channel, target)
        except UserFacingError:
            pass  # the conflict is what matters; its details are a courtesy
        words = already_open_error(ctx, target, pending.describe() if pending else None, error)
        return PendingRequestExists(words, pending)

    async def _audit(
        self,
        channel: ChannelAccount,
        actor: SlackActor,
        action: str,
        outcome: str,
        *,
        case_id: str | None = None,
        detail: str | None = None,
        aws_request_id: str | None = None,
        error: AwsError | None = None,
    ) -> None:
        await self.audit.record(
            AuditEvent(
                action=action,
                outcome=outcome,
                enterprise_id=channel.workspace.enterprise_id,
                team_id=channel.workspace.team_id,
                channel_id=channel.channel_id,
                user_id=actor.user_id,
                account_id=channel.account_id,
                role_arn=channel.role_arn,
                case_id=case_id or _case_of(error),
                detail=detail,
                aws_request_id=aws_request_id or (error.request_id if error else None),
            )
        )


# --- helpers ------------------------------------------------------------------------------------------------


def _check_region(region: str) -> None:
    if region not in REGIONS:
        raise UserFacingError(
            f"“{region[:64]}” is not a commercial AWS Region this app knows; choose one from the list.",
            field=REGION_FIELD,
        )


def _check_code(code: str, field: str, what: str) -> None:
    if not CODE.match(code or ""):
        raise UserFacingError(
            f"“{(code or '')[:64]}” is not a {what} code; choose one from the list.", field=field
        )


def _iam_action(client: BaseClient, operation: str) -> str:
    """The IAM action of a boto3 method, e.g. "servicequotas:GetServiceQuota", for AccessDenied words."""
    return f"{client.meta.service_model.signing_name}:{client.meta.method_to_api_mapping[operation]}"


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _quota_error(error: Exception, channel: ChannelAccount, action: str, target: QuotaTarget) -> AwsError:
    ctx = CallContext(channel.role_arn, channel.account_shown, action)
    return explain_quota_error(error, ctx, target, value_field=VALUE_FIELD)


def _outcome(error: Exception) -> str:
    """ "denied" or "error: <code>"; the audit column holds 32 characters, so "…Exception" is dropped."""
    if isinstance(error, ClientError):
        code = "denied" if is_access_denied(error) else _code(error)
    elif isinstance(error, AwsError):  # AssumeRole refused, or a timeout explained earlier
        code = "denied" if error.code in {"AccessDenied", "403"} else error.code
    else:
        code = type(error).__name__
    return code if code == "denied" else f"error: {code.removesuffix('Exception')}"[:32]


def _case_of(error: AwsError | None) -> str | None:
    if isinstance(error, PendingRequestExists) and error.pending is not None:
        return error.pending.case_id
    return None


def _response_request_id(response: dict[str, Any]) -> str | None:
    return response.get("ResponseMetadata", {}).get("RequestId")


def _request(raw: dict[str, Any], channel: ChannelAccount, region: str) -> QuotaRequest:
    return QuotaRequest(
        id=raw["Id"],
        case_id=raw.get("CaseId") or None,
        status=raw.get("Status", "PENDING"),
        service_code=raw.get("ServiceCode", ""),
        service_name=raw.get("ServiceName") or raw.get("ServiceCode", ""),
        quota_code=raw.get("QuotaCode", ""),
        quota_name=raw.get("QuotaName") or raw.get("QuotaCode", ""),
        desired_value=float(raw.get("DesiredValue", 0.0)),
        unit=raw.get("Unit") or "None",
        region=region,
        account_id=channel.account_id,
        account_shown=channel.account_shown,
        created=raw.get("Created"),
        last_updated=raw.get("LastUpdated"),
    )


def _details(
    channel: ChannelAccount,
    region: str,
    applied: dict[str, Any],
    default: dict[str, Any],
    pending: tuple[QuotaRequest | None, bool],
) -> QuotaDetails:
    default_value = float(default.get("Value", 0.0))
    # A quota AWS reports with an ErrorReason has no applied value: the default is what applies.
    applied_value = float(applied["Value"]) if applied.get("Value") is not None else default_value
    return QuotaDetails(
        account_id=channel.account_id,
        region=region,
        service_code=applied.get("ServiceCode") or default.get("ServiceCode", ""),
        service_name=applied.get("ServiceName") or default.get("ServiceName", ""),
        quota_code=applied.get("QuotaCode") or default.get("QuotaCode", ""),
        quota_name=applied.get("QuotaName") or default.get("QuotaName", ""),
        applied_value=applied_value,
        default_value=default_value,
        unit=applied.get("Unit") or default.get("Unit") or "None",
        adjustable=bool(applied.get("Adjustable", default.get("Adjustable", True))),
        global_quota=bool(applied.get("GlobalQuota", False)),
        pending=pending[0],
        pending_checked=pending[1],
    )
