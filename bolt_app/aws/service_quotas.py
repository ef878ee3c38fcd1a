"""The Service Quotas API as one channel role in one Region: one method per operation the app uses, each run off
the event loop within the account's budget. Errors come back as botocore raised them: what they mean depends on the
quota asked about, which the quota service knows (see `quota_errors`). The increase request is resent only after
AWS said it throttled."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.client import BaseClient

from bolt_app.aws.role_client import RoleTarget
from bolt_app.aws.role_client import role_client
from bolt_app.aws.sessions import RoleSessions

SERVICE_QUOTAS_SERVICE = "service-quotas"
PAGE_SIZE = 100


@dataclass(eq=False)
class ServiceQuotasClient:
    _role_sessions: RoleSessions
    _client: BaseClient
    target: RoleTarget
    region: str

    @classmethod
    async def open(cls, role_sessions: RoleSessions, target: RoleTarget, region: str) -> ServiceQuotasClient:
        """Assumes the role now (AwsError when it cannot)."""
        client = await role_client(role_sessions, target, SERVICE_QUOTAS_SERVICE, region)
        return cls(role_sessions, client, target, region)

    def iam_action(self, operation: str) -> str:
        """The IAM action of a boto3 method, e.g. "servicequotas:GetServiceQuota", for AccessDenied words."""
        meta = self._client.meta
        return f"{meta.service_model.signing_name}:{meta.method_to_api_mapping[operation]}"

    async def get_service_quota(self, service_code: str, quota_code: str) -> dict[str, Any]:
        return await self._role_sessions.read(
            self._client, "get_service_quota", ServiceCode=service_code, QuotaCode=quota_code
        )

    async def get_aws_default_service_quota(self, service_code: str, quota_code: str) -> dict[str, Any]:
        return await self._role_sessions.read(
            self._client, "get_aws_default_service_quota", ServiceCode=service_code, QuotaCode=quota_code
        )

    async def list_services(self) -> list[dict[str, Any]]:
        return await self._all_pages("list_services", "Services")

    async def list_service_quotas(self, service_code: str) -> list[dict[str, Any]]:
        return await self._all_pages("list_service_quotas", "Quotas", ServiceCode=service_code)

    async def requests_by_quota(
        self, service_code: str, quota_code: str, status: str
    ) -> list[dict[str, Any]]:
        """One page of the quota's request history with this status."""
        page = await self._role_sessions.read(
            self._client,
            "list_requested_service_quota_change_history_by_quota",
            ServiceCode=service_code,
            QuotaCode=quota_code,
            Status=status,
        )
        return list(page.get("RequestedQuotas", []))

    async def request_increase(
        self, service_code: str, quota_code: str, desired_value: float
    ) -> dict[str, Any]:
        return await self._role_sessions.write(
            self._client,
            "request_service_quota_increase",
            ServiceCode=service_code,
            QuotaCode=quota_code,
            DesiredValue=float(desired_value),
        )

    async def get_requested_change(self, request_id: str) -> dict[str, Any]:
        return await self._role_sessions.read(
            self._client, "get_requested_service_quota_change", RequestId=request_id
        )

    async def _all_pages(self, operation: str, items: str, **params: Any) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page_params = {**params, "MaxResults": PAGE_SIZE, **({"NextToken": token} if token else {})}
            page = await self._role_sessions.read(self._client, operation, **page_params)
            rows += page.get(items, [])
            token = page.get("NextToken")
            if not token:
                return rows
