"""A Service Quotas model grafted onto moto's ``service-quotas`` service.

moto only has ``GetServiceQuota``/``ListAWSDefaultServiceQuotas`` for ``vpc`` and no applied values.
:func:`install` adds the operations this project uses to ``ServiceQuotasResponse`` (IAM enforcement still
applies, it runs before the method lookup):

``ListServices``, ``ListServiceQuotas`` (applied values), ``ListAWSDefaultServiceQuotas``, ``GetServiceQuota``
(applied value, may differ from the default), ``GetAWSDefaultServiceQuota``, ``RequestServiceQuotaIncrease``,
``GetRequestedServiceQuotaChange``, ``ListRequestedServiceQuotaChangeHistory(ByQuota)``.

Data: ``ec2``, ``lambda``, ``vpc`` (moto's 25 real VPC quotas) and a few more services, for ``us-east-1``,
``us-west-2`` and ``eu-west-1`` (a quota can be limited to some Regions; any other Region answers like
``us-east-1``). Quota codes named in the project docs are real; a few others are illustrative.

Errors (``JsonRESTError``, HTTP 400 unless noted, ``Error.Code`` as listed):

* unknown service or quota, unknown request ID → ``NoSuchResourceException``;
* ``DesiredValue`` not above the **default** value, or not above the **applied** value, or the quota is not
  adjustable → ``IllegalArgumentException``;
* a ``PENDING``/``CASE_OPENED`` request for the same quota → ``ResourceAlreadyExistsException``;
* missing service-linked role ``AWSServiceRoleForServiceQuotas`` (simulated per account with
  :meth:`QuotasWorld.remove_service_linked_role`) and a caller that may not
  ``iam:CreateServiceLinkedRole`` → ``DependencyAccessDeniedException`` (the botocore model's "a dependency
  does not have access"); if the caller may create it, the role is "created" and the request proceeds;
* bad ``NextToken`` → ``InvalidPaginationTokenException``.

A new request is ``CASE_OPENED`` with a ``CaseId`` when ``DesiredValue`` is more than twice the applied value
(no Support case object is created), else ``PENDING`` without one. Tests move requests on with
:meth:`QuotasWorld.set_request_status` (``APPROVED`` also raises the applied value).
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

import pytest
from moto.iam.access_control import CreateAccessKeyFailure
from moto.iam.access_control import IAMPolicy
from moto.iam.access_control import PermissionResult
from moto.iam.access_control import create_access_key
from moto.servicequotas.resources.default_quotas.vpc import VPC_DEFAULT_QUOTAS
from moto.servicequotas.responses import ServiceQuotasResponse

from tests.fakes.extension import InstalledWorld
from tests.fakes.moto_support import ApiError
from tests.fakes.moto_support import caller_of
from tests.fakes.moto_support import json_params
from tests.fakes.moto_support import paginate

CATALOGUE_REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
FALLBACK_REGION = "us-east-1"
OPEN_STATUSES = frozenset({"PENDING", "CASE_OPENED"})
REQUEST_STATUSES = frozenset(
    {"PENDING", "CASE_OPENED", "APPROVED", "DENIED", "CASE_CLOSED", "NOT_APPROVED", "INVALID_REQUEST"}
)
MAX_DESIRED_VALUE = 10_000_000_000
SERVICE_LINKED_ROLE_ACTION = "iam:CreateServiceLinkedRole"

SERVICE_NAMES: dict[str, str] = {
    "dynamodb": "Amazon DynamoDB",
    "ebs": "Amazon Elastic Block Store (Amazon EBS)",
    "ec2": "Amazon Elastic Compute Cloud (Amazon EC2)",
    "elasticloadbalancing": "Elastic Load Balancing (ELB)",
    "lambda": "AWS Lambda",
    "rds": "Amazon Relational Database Service (Amazon RDS)",
    "s3": "Amazon Simple Storage Service (Amazon S3)",
    "vpc": "Amazon Virtual Private Cloud (Amazon VPC)",
}


def _page(key: str, items: list[Any], p: dict[str, Any]) -> dict[str, Any]:
    """One page of `items` under `key` as Service Quotas answers a List… call (100 by default), and its token."""
    page, token = paginate(
        items,
        p.get("MaxResults"),
        p.get("NextToken"),
        default=100,
        error_code="InvalidPaginationTokenException",
    )
    return {key: page, **({"NextToken": token} if token else {})}


@dataclass(frozen=True)
class QuotaSpec:
    service_code: str
    quota_code: str
    name: str
    default: float
    adjustable: bool = True
    unit: str = "None"
    global_quota: bool = False
    usage_resource: str | None = None  # e.g. "vCPU": the UsageMetric dimension the value counts
    regions: frozenset[str] | None = None  # None: every Region
    regional_defaults: Mapping[str, float] = field(default_factory=dict)

    def default_in(self, region: str) -> float:
        return self.regional_defaults.get(region, self.default)

    def arn(self, account_id: str, region: str) -> str:
        return f"arn:aws:servicequotas:{region}:{account_id}:{self.service_code}/{self.quota_code}"

    def to_api(self, account_id: str, region: str, value: float) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ServiceCode": self.service_code,
            "ServiceName": SERVICE_NAMES[self.service_code],
            "QuotaArn": self.arn(account_id, region),
            "QuotaCode": self.quota_code,
            "QuotaName": self.name,
            "Value": float(value),
            "Unit": self.unit,
            "Adjustable": self.adjustable,
            "GlobalQuota": self.global_quota,
            "QuotaAppliedAtLevel": "ACCOUNT",
        }
        if self.usage_resource:
            out["UsageMetric"] = {
                "MetricNamespace": "AWS/Usage",
                "MetricName": "ResourceCount",
                "MetricDimensions": {
                    "Service": self.service_code.upper(),
                    "Type": "Resource",
                    "Resource": self.usage_resource,
                },
                "MetricStatisticRecommendation": "Maximum",
            }
        return out


_US = frozenset({"us-east-1", "us-west-2"})
QUOTAS: list[QuotaSpec] = [
    QuotaSpec(
        "ec2",
        "L-1216C47A",
        "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances",
        5,
        usage_resource="vCPU",
    ),
    QuotaSpec(
        "ec2",
        "L-34B43A08",
        "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests",
        5,
        usage_resource="vCPU",
    ),
    QuotaSpec("ec2", "L-DB2E81BA", "Running On-Demand G and VT instances", 0, usage_resource="vCPU"),
    QuotaSpec("ec2", "L-417A185B", "Running On-Demand P instances", 0, usage_resource="vCPU"),
    QuotaSpec("ec2", "L-2C3B7624", "Running On-Demand Trn instances", 0, usage_resource="vCPU", regions=_US),
    QuotaSpec("ec2", "L-0263D0A3", "EC2-VPC Elastic IPs", 5),
    QuotaSpec("ec2", "L-0E3CBAB9", "Public AMIs", 5, adjustable=False),  # illustrative code
    QuotaSpec("lambda", "L-B99A9384", "Concurrent executions", 1000),
    QuotaSpec("lambda", "L-2ACBD22F", "Function and layer storage", 75, unit="Gigabytes"),
    QuotaSpec("lambda", "L-9FEE3D26", "Elastic network interfaces per VPC", 500),
    QuotaSpec(
        "lambda",
        "L-6581F036",
        "Deployment package size (direct upload)",
        50,
        adjustable=False,
        unit="Megabytes",
    ),  # illustrative code
    QuotaSpec("ebs", "L-D18FCD1D", "Storage for General Purpose SSD (gp2) volumes, in TiB", 50),
    QuotaSpec("ebs", "L-7A658B76", "Storage for General Purpose SSD (gp3) volumes, in TiB", 50),
    QuotaSpec("dynamodb", "L-F98FE922", "Maximum number of tables", 2500),
    QuotaSpec("s3", "L-DC2B2D3D", "General purpose buckets", 10000, global_quota=True),
    QuotaSpec("elasticloadbalancing", "L-53DA6B97", "Application Load Balancers per Region", 50),
    QuotaSpec("rds", "L-7B6409FD", "DB instances", 40, regional_defaults={"eu-west-1": 20}),  # illustrative
    *[
        QuotaSpec(
            "vpc",
            q["QuotaCode"],
            q["QuotaName"],
            float(q["Value"]),
            adjustable=bool(q["Adjustable"]),
            global_quota=bool(q["GlobalQuota"]),
        )
        for q in VPC_DEFAULT_QUOTAS
    ],
]


def _epoch(dt: datetime) -> float:
    return dt.timestamp()


@dataclass
class QuotaRequest:
    request_id: str
    case_id: str | None
    spec: QuotaSpec
    account_id: str
    region: str
    desired_value: float
    status: str
    created: datetime
    last_updated: datetime
    requester: str

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Id": self.request_id,
            "CaseId": self.case_id,
            "ServiceCode": self.spec.service_code,
            "ServiceName": SERVICE_NAMES[self.spec.service_code],
            "QuotaCode": self.spec.quota_code,
            "QuotaName": self.spec.name,
            "DesiredValue": float(self.desired_value),
            "Status": self.status,
            "Created": _epoch(self.created),
            "LastUpdated": _epoch(self.last_updated),
            "Requester": self.requester,
            "QuotaArn": self.spec.arn(self.account_id, self.region),
            "GlobalQuota": self.spec.global_quota,
            "Unit": self.spec.unit,
            "QuotaRequestedAtLevel": "ACCOUNT",
        }
        return {k: v for k, v in out.items() if v is not None}


@dataclass
class QuotasAccountRegion:
    applied: dict[tuple[str, str], float] = field(default_factory=dict)
    requests: list[QuotaRequest] = field(default_factory=list)


class QuotasWorld:
    """All Service Quotas state of one test, per (account, Region)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.state: dict[tuple[str, str], QuotasAccountRegion] = {}
        self.accounts_without_slr: set[str] = set()
        self.clock_offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.clock_offset

    def _at(self, account_id: str, region: str) -> QuotasAccountRegion:
        with self.lock:
            return self.state.setdefault((account_id, region), QuotasAccountRegion())

    @staticmethod
    def _catalogue_region(region: str) -> str:
        return region if region in CATALOGUE_REGIONS else FALLBACK_REGION

    def quotas_in(self, region: str, service_code: str) -> list[QuotaSpec]:
        cat_region = self._catalogue_region(region)
        if service_code not in SERVICE_NAMES:
            raise ApiError(
                "NoSuchResourceException",
                "This service is not available in the current Region. "
                "Choose a different Region or a different service.",
            )
        return [
            q
            for q in QUOTAS
            if q.service_code == service_code and (q.regions is None or cat_region in q.regions)
        ]

    def spec(self, region: str, service_code: str, quota_code: str) -> QuotaSpec:
        for q in self.quotas_in(region, service_code):
            if q.quota_code == quota_code:
                return q
        raise ApiError(
            "NoSuchResourceException",
            f"The request failed because the specified quota {quota_code} "
            f"of service {service_code} doesn't exist.",
        )

    def applied_value(self, account_id: str, region: str, spec: QuotaSpec) -> float:
        return self._at(account_id, region).applied.get(
            (spec.service_code, spec.quota_code), spec.default_in(self._catalogue_region(region))
        )

    # --- operations ---
    def list_services(self, p: dict[str, Any]) -> dict[str, Any]:
        services = [{"ServiceCode": c, "ServiceName": n} for c, n in sorted(SERVICE_NAMES.items())]
        return _page("Services", services, p)

    def list_quotas(
        self, account_id: str, region: str, p: dict[str, Any], *, applied: bool
    ) -> dict[str, Any]:
        specs = self.quotas_in(region, p.get("ServiceCode", ""))
        if applied and p.get("QuotaCode"):
            specs = [s for s in specs if s.quota_code == p["QuotaCode"]]
        quotas = [
            s.to_api(
                account_id,
                region,
                self.applied_value(account_id, region, s)
                if applied
                else s.default_in(self._catalogue_region(region)),
            )
            for s in specs
        ]
        return _page("Quotas", quotas, p)

    def get_quota(self, account_id: str, region: str, p: dict[str, Any], *, applied: bool) -> dict[str, Any]:
        spec = self.spec(region, p.get("ServiceCode", ""), p.get("QuotaCode", ""))
        value = (
            self.applied_value(account_id, region, spec)
            if applied
            else spec.default_in(self._catalogue_region(region))
        )
        return {"Quota": spec.to_api(account_id, region, value)}

    def request_increase(
        self, account_id: str, region: str, caller_arn: str, may_create_slr: bool, p: dict[str, Any]
    ) -> dict[str, Any]:
        with self.lock:
            spec = self.spec(region, p.get("ServiceCode", ""), p.get("QuotaCode", ""))
            desired = float(p.get("DesiredValue", 0))
            default = spec.default_in(self._catalogue_region(region))
            applied = self.applied_value(account_id, region, spec)
            if not spec.adjustable:
                raise ApiError("IllegalArgumentException", f"The quota {spec.quota_code} isn't adjustable.")
            if desired > MAX_DESIRED_VALUE:
                raise ApiError("IllegalArgumentException", f"The value {desired} is too large.")
            if desired <= default:
                raise ApiError(
                    "IllegalArgumentException",
                    "You must provide a quota value greater than the default quota value of "
                    f"{float(default)}.",
                )
            if desired <= applied:
                raise ApiError(
                    "IllegalArgumentException",
                    "You must provide a quota value greater than the current quota value of "
                    f"{float(applied)}.",
                )
            state = self._at(account_id, region)
            if any(r.spec == spec and r.status in OPEN_STATUSES for r in state.requests):
                raise ApiError(
                    "ResourceAlreadyExistsException",
                    "Only one open service quota increase request is allowed per quota.",
                )
            if account_id in self.accounts_without_slr:
                if not may_create_slr:
                    raise ApiError(
                        "DependencyAccessDeniedException",
                        "You can't perform this action because the service-linked role "
                        "AWSServiceRoleForServiceQuotas doesn't exist and you aren't allowed to create it.",
                    )
                self.accounts_without_slr.discard(account_id)
            now = self.now()
            case_opened = desired > 2 * applied
            request = QuotaRequest(
                request_id=secrets.token_hex(16),
                case_id=f"case-{account_id}-{now.year}-{secrets.token_hex(8)}" if case_opened else None,
                spec=spec,
                account_id=account_id,
                region=region,
                desired_value=desired,
                status="CASE_OPENED" if case_opened else "PENDING",
                created=now,
                last_updated=now,
                requester=json.dumps({"accountId": account_id, "callerArn": caller_arn}),
            )
            state.requests.append(request)
            return {"RequestedQuota": request.to_api()}

    def _request(self, account_id: str, region: str, request_id: str) -> QuotaRequest:
        for r in self._at(account_id, region).requests:
            if r.request_id == request_id:
                return r
        raise ApiError("NoSuchResourceException", f"The request {request_id} doesn't exist.")

    def get_requested_change(self, account_id: str, region: str, p: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            return {"RequestedQuota": self._request(account_id, region, p.get("RequestId", "")).to_api()}

    def history(self, account_id: str, region: str, p: dict[str, Any], *, by_quota: bool) -> dict[str, Any]:
        with self.lock:
            requests = list(self._at(account_id, region).requests)
            if by_quota:
                spec = self.spec(region, p.get("ServiceCode", ""), p.get("QuotaCode", ""))
                requests = [r for r in requests if r.spec == spec]
            elif p.get("ServiceCode"):
                requests = [r for r in requests if r.spec.service_code == p["ServiceCode"]]
            if p.get("Status"):
                requests = [r for r in requests if r.status == p["Status"]]
            requests.sort(key=lambda r: r.created, reverse=True)
            return _page("RequestedQuotas", [r.to_api() for r in requests], p)

    # --- helpers for tests ---
    def set_applied_value(
        self, account_id: str, region: str, service_code: str, quota_code: str, value: float
    ) -> None:
        spec = self.spec(region, service_code, quota_code)
        with self.lock:
            self._at(account_id, region).applied[(spec.service_code, spec.quota_code)] = float(value)

    def set_request_status(self, account_id: str, region: str, request_id: str, status: str) -> None:
        if status not in REQUEST_STATUSES:
            raise ValueError(f"unknown request status {status!r}")
        with self.lock:
            request = self._request(account_id, region, request_id)
            request.status = status
            request.last_updated = self.now()
            if status == "APPROVED":
                self._at(account_id, region).applied[(request.spec.service_code, request.spec.quota_code)] = (
                    request.desired_value
                )

    def requests(self, account_id: str, region: str) -> list[QuotaRequest]:
        with self.lock:
            return list(self._at(account_id, region).requests)

    def remove_service_linked_role(self, account_id: str) -> None:
        with self.lock:
            self.accounts_without_slr.add(account_id)


# ------------------------------------------------------------------------------------------------------------
# moto grafting
# ------------------------------------------------------------------------------------------------------------

_installed: InstalledWorld[QuotasWorld] = InstalledWorld("Service Quotas")


def world() -> QuotasWorld:
    return _installed.get()


def _may_create_slr(response: ServiceQuotasResponse) -> bool:
    try:
        key = create_access_key(response.current_account, "aws", response.get_access_key(), response.headers)
    except CreateAccessKeyFailure:
        return True  # not an IAM principal of this account: the double's admin
    results = [IAMPolicy(p).is_action_permitted(SERVICE_LINKED_ROLE_ACTION) for p in key.collect_policies()]
    return PermissionResult.PERMITTED in results and PermissionResult.DENIED not in results


def _handler(name: str, fn: Callable[[ServiceQuotasResponse, dict[str, Any]], dict[str, Any]]) -> Any:
    def handler(self: ServiceQuotasResponse) -> str:
        return json.dumps(fn(self, json_params(self)))

    handler.__name__ = name
    return handler


_OPS: dict[str, Callable[[ServiceQuotasResponse, dict[str, Any]], dict[str, Any]]] = {
    "list_services": lambda r, p: world().list_services(p),
    "list_service_quotas": lambda r, p: world().list_quotas(r.current_account, r.region, p, applied=True),
    "list_aws_default_service_quotas": lambda r, p: world().list_quotas(
        r.current_account, r.region, p, applied=False
    ),
    "get_service_quota": lambda r, p: world().get_quota(r.current_account, r.region, p, applied=True),
    "get_aws_default_service_quota": lambda r, p: world().get_quota(
        r.current_account, r.region, p, applied=False
    ),
    "request_service_quota_increase": lambda r, p: world().request_increase(
        r.current_account,
        r.region,
        caller_of(r.current_account, r.get_access_key()).arn,
        _may_create_slr(r),
        p,
    ),
    "get_requested_service_quota_change": lambda r, p: world().get_requested_change(
        r.current_account, r.region, p
    ),
    "list_requested_service_quota_change_history_by_quota": lambda r, p: world().history(
        r.current_account, r.region, p, by_quota=True
    ),
    "list_requested_service_quota_change_history": lambda r, p: world().history(
        r.current_account, r.region, p, by_quota=False
    ),
}


def install(mp: pytest.MonkeyPatch, quotas_world: QuotasWorld) -> None:
    """Graft the model onto moto for the duration of ``mp``."""
    mp.setattr(_installed, "world", quotas_world)
    for name, fn in _OPS.items():
        mp.setattr(ServiceQuotasResponse, name, _handler(name, fn), raising=False)
