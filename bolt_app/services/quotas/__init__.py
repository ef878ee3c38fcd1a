"""Service Quotas increase requests: `fields` (modal ids, Regions), `models` (values and how they read), `rules`
(the value rule, codes, type-ahead filter), `service` (the use cases). The names most callers need are
re-exported here."""

from bolt_app.aws.service_quotas import SERVICE_QUOTAS_SERVICE as SERVICE
from bolt_app.services.audited import DuplicateSubmission
from bolt_app.services.choice import Choice
from bolt_app.services.quotas.fields import (
    ACCOUNT_FIELD,
    DEFAULT_REGION,
    MAX_OPTIONS,
    QUOTA_FIELD,
    REGION_FIELD,
    REGIONS,
    SERVICE_FIELD,
    VALUE_FIELD,
)
from bolt_app.services.quotas.models import (
    OPEN_STATUSES,
    STATUS_LABELS,
    PendingRequestExists,
    QuotaDetails,
    QuotaRequest,
    Region,
    format_value,
    region_name,
    utc_text,
    with_unit,
)
from bolt_app.services.quotas.rules import CODE, REQUEST_ID, filter_choices, validate_requested_value
from bolt_app.services.quotas.service import QuotaService

__all__ = [
    "ACCOUNT_FIELD",
    "CODE",
    "DEFAULT_REGION",
    "MAX_OPTIONS",
    "OPEN_STATUSES",
    "QUOTA_FIELD",
    "REGIONS",
    "REGION_FIELD",
    "REQUEST_ID",
    "SERVICE",
    "SERVICE_FIELD",
    "STATUS_LABELS",
    "VALUE_FIELD",
    "Choice",
    "DuplicateSubmission",
    "PendingRequestExists",
    "QuotaDetails",
    "QuotaRequest",
    "QuotaService",
    "Region",
    "filter_choices",
    "format_value",
    "region_name",
    "utc_text",
    "validate_requested_value",
    "with_unit",
]
