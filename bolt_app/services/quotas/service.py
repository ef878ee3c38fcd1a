"""Service Quotas increase requests with the channel's role: catalogues for the pickers, a quota's details, the
request (once per submission, audited) and its status."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from collections.abc import Callable
from typing import Any
from typing import TypeVar

from botocore.exceptions import ClientError
from botocore.exceptions import ConnectionClosedError
from botocore.exceptions import ReadTimeoutError
from cachetools import TTLCache

from bolt_app.aws.errors import AwsError
from bolt_app.aws.errors import CallContext
from bolt_app.aws.errors import error_code
from bolt_app.aws.errors import is_access_denied
from bolt_app.aws.quota_errors import MAX_DESIRED_VALUE
from bolt_app.aws.quota_errors import QuotaTarget
from bolt_app.aws.quota_errors import already_open_error
from bolt_app.aws.quota_errors import explain_quota_error
from bolt_app.aws.quota_errors import request_outcome_unknown
from bolt_app.aws.service_quotas import ServiceQuotasClient
from bolt_app.aws.sessions import RoleSessions
from bolt_app.errors import UserFacingError
from bolt_app.services.audited import AuditedActions
from bolt_app.services.audited import outcome_of
from bolt_app.services.choice import Choice
from bolt_app.services.choice import filter_choices
from bolt_app.services.context import ChannelAccount
from bolt_app.services.context import SlackActor
from bolt_app.services.member_rules import MemberRules
from bolt_app.services.membership import require_member
from bolt_app.services.quotas.fields import QUOTA_FIELD
from bolt_app.services.quotas.fields import REGIONS
from bolt_app.services.quotas.fields import SERVICE_FIELD
from bolt_app.services.quotas.fields import VALUE_FIELD
from bolt_app.services.quotas.models import OPEN_STATUSES
from bolt_app.services.quotas.models import PendingRequestExists
from bolt_app.services.quotas.models import QuotaDetails
from bolt_app.services.quotas.models import QuotaRequest
from bolt_app.services.quotas.models import Region
from bolt_app.services.quotas.models import format_value
from bolt_app.services.quotas.rules import REQUEST_ID
from bolt_app.services.quotas.rules import check_code
from bolt_app.services.quotas.rules import check_region
from bolt_app.services.role_target import role_target
from storage.audit import AuditRepository
from storage.audit import IdempotencyKeys

_CacheKey = tuple[str, ...]
_T = TypeVar("_T")
INCREASE_ACTION = "servicequotas:RequestServiceQuotaIncrease"


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
        members: MemberRules | None = None,
        catalogue_ttl_seconds: float = 3600.0,
        max_cached: int = 2_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.role_sessions = role_sessions
        self.audit = audit
        self._actions = AuditedActions(audit, idempotency, members)
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
        """Services of `region` whose name or code matches `query`."""
        require_member(channel, actor)  # the cached lists are the channel's too
        check_region(region)
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
        require_member(channel, actor)  # the cached lists are the channel's too
        check_region(region)
        check_code(service_code, SERVICE_FIELD, "service")
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
        check_region(region)
        check_code(service_code, SERVICE_FIELD, "service")
        check_code(quota_code, QUOTA_FIELD, "quota")
        client = await self._client(channel, actor, region)
        target = QuotaTarget(region, service_code, quota_code)
        applied, default, pending = await asyncio.gather(
            _read(client, target, "get_service_quota", client.get_service_quota(service_code, quota_code)),
            _read(
                client,
                target,
                "get_aws_default_service_quota",
                client.get_aws_default_service_quota(service_code, quota_code),
            ),
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
        check_region(region)
        check_code(service_code, SERVICE_FIELD, "service")
        check_code(quota_code, QUOTA_FIELD, "quota")
        if not 0 <= desired_value <= MAX_DESIRED_VALUE:
            raise UserFacingError(f"Enter a value from 0 to {MAX_DESIRED_VALUE:,}.", field=VALUE_FIELD)
        target = QuotaTarget(region, service_code, quota_code)
        detail = f"{service_code}/{quota_code} to {format_value(desired_value)} in {region}"
        async with (
            self._actions.claimed(
                f"quota-increase:{idempotency_key}",
                "This quota increase request was already submitted; its result is shown in the channel.",
            ) as claim,
            self._actions.audited(channel, actor, INCREASE_ACTION, rule="quota") as trail,
        ):
            trail.detail = detail
            try:
                client = await self._client(channel, actor, region)
                response = await client.request_increase(service_code, quota_code, desired_value)
            except Exception as e:
                claim.kept = isinstance(e, ReadTimeoutError | ConnectionClosedError)  # AWS may have taken it
                error = (
                    request_outcome_unknown(
                        CallContext(channel.role_arn, channel.account_shown, INCREASE_ACTION), target
                    )
                    if claim.kept
                    else await self._request_error(e, channel, actor, target)
                )
                trail.outcome = outcome_of(e)
                trail.case_id = _case_of(error)
                raise error from e
            claim.kept = True
            request = _request(response["RequestedQuota"], channel, region)
            trail.case_id = request.case_id
            trail.detail = f"{detail}: request {request.id}, {request.status}"
            trail.answered(_response_request_id(response))
            return request

    async def request_status(
        self, channel: ChannelAccount, actor: SlackActor, region: str, request_id: str
    ) -> QuotaRequest:
        """The request as AWS reports it now (GetRequestedServiceQuotaChange); audited."""
        check_region(region)
        action = "servicequotas:GetRequestedServiceQuotaChange"
        target = QuotaTarget(region, request_id=request_id)
        if not REQUEST_ID.match(request_id):
            raise UserFacingError(f"“{request_id[:64]}” is not a quota request ID.")
        async with self._actions.audited(channel, actor, action) as trail:
            trail.detail = request_id
            try:
                client = await self._client(channel, actor, region)
                response = await client.get_requested_change(request_id)
            except Exception as e:
                trail.outcome = outcome_of(e)
                raise _quota_error(e, channel, action, target) from e
            request = _request(response["RequestedQuota"], channel, region)
            trail.case_id = request.case_id
            trail.detail = f"request {request.id}: {request.status}"
            trail.answered(_response_request_id(response))
            return request

    # --- AWS calls ------------------------------------------------------------------------------------------

    async def _client(self, channel: ChannelAccount, actor: SlackActor, region: str) -> ServiceQuotasClient:
        return await ServiceQuotasClient.open(self.role_sessions, role_target(channel, actor), region)

    async def _list_services(self, channel: ChannelAccount, actor: SlackActor, region: str) -> list[Choice]:
        client = await self._client(channel, actor, region)
        rows = await _read(client, QuotaTarget(region), "list_services", client.list_services())
        choices = {
            r["ServiceCode"]: Choice(r["ServiceCode"], r.get("ServiceName") or r["ServiceCode"]) for r in rows
        }
        return sorted(choices.values(), key=lambda c: c.name.casefold())

    async def _list_quotas(
        self, channel: ChannelAccount, actor: SlackActor, region: str, service_code: str
    ) -> list[Choice]:
        client = await self._client(channel, actor, region)
        target = QuotaTarget(region, service_code)
        rows = await _read(client, target, "list_service_quotas", client.list_service_quotas(service_code))
        choices = {
            r["QuotaCode"]: Choice(r["QuotaCode"], r.get("QuotaName") or r["QuotaCode"])
            for r in rows
            if r.get("Adjustable")
        }
        return sorted(choices.values(), key=lambda c: c.name.casefold())

    async def _open_request(
        self, client: ServiceQuotasClient, channel: ChannelAccount, target: QuotaTarget
    ) -> tuple[QuotaRequest | None, bool]:
        """(the open request for the quota or None, whether the history could be read at all)."""
        found: list[dict[str, Any]] = []
        for status in OPEN_STATUSES:  # AWS allows one open request per quota: one page each is enough
            try:
                found += await client.requests_by_quota(target.service_code, target.quota_code, status)
            except Exception as e:
                if isinstance(e, ClientError) and is_access_denied(e):
                    return None, False  # optional: the modal says it could not check
                action = client.iam_action("list_requested_service_quota_change_history_by_quota")
                raise _quota_error(e, channel, action, target) from e
        if not found:
            return None, True
        newest = max(found, key=lambda r: r["Created"].timestamp() if r.get("Created") else 0.0)
        return _request(newest, channel, target.region), True

    async def _request_error(
        self, error: Exception, channel: ChannelAccount, actor: SlackActor, target: QuotaTarget
    ) -> AwsError:
        if not (isinstance(error, ClientError) and error_code(error) == "ResourceAlreadyExistsException"):
            return _quota_error(error, channel, INCREASE_ACTION, target)
        pending: QuotaRequest | None = None
        try:
            client = await self._client(channel, actor, target.region)
            pending, _ = await self._open_request(client, channel, target)
        except UserFacingError:
            pass  # the conflict is what matters; its details are a courtesy
        ctx = CallContext(channel.role_arn, channel.account_shown, INCREASE_ACTION)
        words = already_open_error(ctx, target, pending.describe() if pending else None, error)
        return PendingRequestExists(words, pending)


# --- helpers ------------------------------------------------------------------------------------------------


async def _read(
    client: ServiceQuotasClient, target: QuotaTarget, operation: str, answer: Awaitable[_T]
) -> _T:
    """A read whose errors are told in the words of the quota asked about."""
    try:
        return await answer
    except Exception as e:
        raise explain_quota_error(
            e, client.target.context(client.iam_action(operation)), target, value_field=VALUE_FIELD
        ) from e


def _quota_error(error: Exception, channel: ChannelAccount, action: str, target: QuotaTarget) -> AwsError:
    ctx = CallContext(channel.role_arn, channel.account_shown, action)
    return explain_quota_error(error, ctx, target, value_field=VALUE_FIELD)


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
