"""Service Quotas errors in words a Slack user can act on; anything not quota-specific goes to `explain`."""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import ClientError

from bolt_app.aws.errors import AwsError
from bolt_app.aws.errors import CallContext
from bolt_app.aws.errors import error_code
from bolt_app.aws.errors import explain
from bolt_app.aws.errors import is_access_denied
from bolt_app.aws.errors import request_id

SERVICE_LINKED_ROLE = "AWSServiceRoleForServiceQuotas"
SERVICE_LINKED_ROLE_ACTION = "iam:CreateServiceLinkedRole"
QUOTAS_SERVICE_PRINCIPAL = "servicequotas.amazonaws.com"
MAX_DESIRED_VALUE = 10_000_000_000
CONSOLE_URL = "https://console.aws.amazon.com/servicequotas/home"

_SLR_HINTS = ("service-linked role", "servicelinkedrole", SERVICE_LINKED_ROLE.lower())
_THROTTLED = {"TooManyRequestsException", "ThrottlingException", "Throttling"}


@dataclass(frozen=True)
class QuotaTarget:
    """What the failed call was about, so the words can name it."""

    region: str
    service_code: str | None = None
    quota_code: str | None = None
    request_id: str | None = None


def _message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", ""))


def _error(message: str, error: ClientError | None, code: str, field: str | None = None) -> AwsError:
    result = AwsError(message, code=code, request_id=request_id(error) if error is not None else None)
    result.field = field
    return result


def explain_quota_error(
    error: Exception, ctx: CallContext, target: QuotaTarget, *, value_field: str | None = None
) -> AwsError:
    """The message for a Service Quotas `error`; `value_field` is the block id the value rule belongs to."""
    if not isinstance(error, ClientError):
        return explain(error, ctx)
    code = error_code(error)
    message = _message(error)
    if code == "DependencyAccessDeniedException" or _mentions_service_linked_role(error):
        return service_linked_role_error(ctx, error)
    if code == "NoSuchResourceException":
        return _unknown_resource(ctx, target, error)
    if code == "IllegalArgumentException":
        return _value_rule(ctx, target, error, value_field)
    if code == "QuotaExceededException":
        return _error(
            f"Account {ctx.account} has reached its Service Quotas limit on open quota increase requests "
            f"(QuotaExceededException). Nothing was requested. Wait until some of its open requests are decided "
            f"(see Quota request history in the Service Quotas console, {CONSOLE_URL}), then try again.",
            error,
            code,
        )
    if code in _THROTTLED:
        return _error(
            f"Service Quotas in {target.region} is throttling requests from account {ctx.account} ({code}), "
            "even after several retries. Nothing was changed; try again in a minute.",
            error,
            code,
        )
    if code == "InvalidResourceStateException":
        return _error(
            f"Service Quotas cannot take this request in account {ctx.account} right now: {message} ({code}). "
            "Nothing was requested.",
            error,
            code,
        )
    return explain(error, ctx)


def _mentions_service_linked_role(error: ClientError) -> bool:
    """A refusal about the service-linked role: its name in the message, or AccessDenied for creating it."""
    text = _message(error).lower().replace(" ", "")
    if any(hint.replace(" ", "") in text for hint in _SLR_HINTS):
        return True
    return is_access_denied(error) and SERVICE_LINKED_ROLE_ACTION.lower() in text


def service_linked_role_error(ctx: CallContext, error: ClientError | None = None) -> AwsError:
    condition = f'"Condition": {{"StringEquals": {{"iam:AWSServiceName": "{QUOTAS_SERVICE_PRINCIPAL}"}}}}'
    return _error(
        f"Account {ctx.account} does not have the Service Quotas service-linked role ({SERVICE_LINKED_ROLE}) "
        f"yet, and this channel's IAM role {ctx.role_arn} is not allowed to create it. Service Quotas uses that "
        "role to act on your quota increase requests, and AWS creates it with the account's first request. "
        "Nothing was requested. An AWS admin of the account can fix this in one of two ways:\n"
        f"1. Make one quota increase request in the Service Quotas console ({CONSOLE_URL}) of that account: "
        "that creates the role, and requests from Slack work from then on.\n"
        f'2. Allow the channel\'s role to create it: add `{SERVICE_LINKED_ROLE_ACTION}` on `"Resource": "*"` '
        f"with the condition `{condition}` to the role's permissions policy "
        "(the AWSSupportAppFullAccess managed policy includes it), then submit again.",
        error,
        error_code(error) if error is not None else "ServiceLinkedRoleMissing",
    )


def _unknown_resource(ctx: CallContext, target: QuotaTarget, error: ClientError) -> AwsError:
    if target.request_id:
        what = f"a quota increase request with ID {target.request_id}"
    elif target.quota_code:
        what = f"quota `{target.quota_code}` of service `{target.service_code}`"
    else:
        what = f"the service `{target.service_code}`"
    return _error(
        f"Service Quotas in {target.region} does not know {what} for account {ctx.account} "
        f"(AWS: {_message(error) or 'NoSuchResourceException'}). It may not exist in this Region: choose "
        "another Region, or pick the service and the quota again from the lists.",
        error,
        error_code(error),
    )


def _value_rule(
    ctx: CallContext, target: QuotaTarget, error: ClientError, value_field: str | None
) -> AwsError:
    return _error(
        f"AWS refused the requested value for this quota in account {ctx.account}: {_message(error)} "
        "The requested value must be greater than the quota's applied value and greater than its AWS default "
        f"value, and at most {MAX_DESIRED_VALUE:,}. AWS refuses a value that does not exceed the default even "
        "when the applied value is lower.",
        error,
        error_code(error),
        value_field,
    )


def already_open_error(
    ctx: CallContext, target: QuotaTarget, pending: str | None, error: ClientError | None = None
) -> AwsError:
    """A request for the same quota is still open; `pending` describes it when it could be read."""
    where = f"quota `{target.quota_code}` of `{target.service_code}` in {target.region}"
    found = f": {pending}" if pending else ", but it could not be read"
    return _error(
        f"Account {ctx.account} already has an open increase request for {where}{found}. AWS allows one open "
        "request per quota: wait until it is decided, or follow it with Check status.",
        error,
        error_code(error) if error is not None else "ResourceAlreadyExistsException",
    )


def request_outcome_unknown(ctx: CallContext, target: QuotaTarget) -> AwsError:
    """RequestServiceQuotaIncrease was sent but no answer came back: the request may exist."""
    return AwsError(
        f"AWS did not answer in time when requesting the increase of quota `{target.quota_code}` of "
        f"`{target.service_code}` in {target.region} for account {ctx.account}, so the request may or may not "
        "have been made. Choose the quota again in a minute: an open request shows under it.",
        code="Timeout",
    )
