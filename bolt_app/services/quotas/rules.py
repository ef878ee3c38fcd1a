"""The rules of a quota increase request (pure): the value asked for, the codes and the Region it names."""

from __future__ import annotations

import math
import re

from bolt_app.aws.quota_errors import MAX_DESIRED_VALUE
from bolt_app.errors import UserFacingError
from bolt_app.services.quotas.fields import REGION_FIELD
from bolt_app.services.quotas.fields import REGIONS
from bolt_app.services.quotas.fields import VALUE_FIELD
from bolt_app.services.quotas.models import QuotaDetails
from bolt_app.services.quotas.models import with_unit

CODE = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]{1,127}$")
REQUEST_ID = re.compile(r"^[0-9a-zA-Z][a-zA-Z0-9-]{1,128}$")


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


def check_region(region: str) -> None:
    if region not in REGIONS:
        raise UserFacingError(
            f"“{region[:64]}” is not a commercial AWS Region this app knows; choose one from the list.",
            field=REGION_FIELD,
        )


def check_code(code: str, field: str, what: str) -> None:
    if not CODE.match(code or ""):
        raise UserFacingError(
            f"“{(code or '')[:64]}” is not a {what} code; choose one from the list.", field=field
        )
