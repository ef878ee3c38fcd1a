"""The values of quota increases that cross layers: a request as AWS reports it, a quota's details, and how
their numbers and times read in messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import NamedTuple

from bolt_app.aws.errors import AwsError
from bolt_app.services.quotas.fields import REGIONS

OPEN_STATUSES = ("PENDING", "CASE_OPENED")

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
