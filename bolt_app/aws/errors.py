"""One translation from AWS errors to messages a Slack user can act on."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError
from botocore.exceptions import ClientError
from botocore.exceptions import ConnectTimeoutError
from botocore.exceptions import EndpointConnectionError
from botocore.exceptions import NoCredentialsError
from botocore.exceptions import ReadTimeoutError

from bolt_app.errors import UserFacingError
from bolt_app.mrkdwn import escape

_DENIED_CODES = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "403"}
_THROTTLED_CODES = {"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"}
_ACTION_IN_MESSAGE = re.compile(r"perform:? ?([a-z0-9-]+:[A-Za-z0-9]+)")


@dataclass(frozen=True)
class CallContext:
    """What the user was doing, for the words of an error: the role, the account as shown, the IAM action."""

    role_arn: str
    account: str  # "Name (123456789012)" or the ID
    action: str  # e.g. "support:CreateCase"
    trust_policy: dict[str, object] | None = None


class AwsError(UserFacingError):
    def __init__(self, message: str, *, code: str, request_id: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.request_id = request_id


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def is_access_denied(error: ClientError) -> bool:
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return error_code(error) in _DENIED_CODES or status == 403


def request_id(error: ClientError) -> str | None:
    return error.response.get("ResponseMetadata", {}).get("RequestId")


def _denied_action(error: ClientError, default: str) -> str:
    m = _ACTION_IN_MESSAGE.search(str(error.response.get("Error", {}).get("Message", "")))
    return m.group(1) if m else default


def explain(error: Exception, ctx: CallContext) -> AwsError:
    """The message for `error`, raised while doing `ctx` (an AwsError is a UserFacingError)."""
    if isinstance(error, AwsError):
        return error
    if isinstance(error, ClientError):
        return _explain_client_error(error, ctx)
    if isinstance(error, ConnectTimeoutError | ReadTimeoutError | EndpointConnectionError):
        return AwsError(
            f"AWS did not answer in time for {ctx.action} in account {ctx.account}. Nothing was changed; "
            "try again in a minute.",
            code="Timeout",
        )
    if isinstance(error, NoCredentialsError):
        return AwsError(
            "This app has no AWS credentials of its own, so it cannot assume any role. The app's operator must "
            "give it an AWS identity (environment, instance profile or task role).",
            code="NoCredentials",
        )
    if isinstance(error, BotoCoreError):
        return AwsError(
            f"Calling AWS failed ({type(error).__name__}); try again in a minute.", code="BotoCore"
        )
    raise error


def _explain_client_error(error: ClientError, ctx: CallContext) -> AwsError:
    code = error_code(error)
    rid = request_id(error)
    if is_access_denied(error) and ctx.action == "sts:AssumeRole":
        policy = json.dumps(ctx.trust_policy, indent=2) if ctx.trust_policy else ""
        return AwsError(
            f"The app could not assume the IAM role {ctx.role_arn} in account {ctx.account}: its trust policy "
            "does not allow this app with this workspace's External ID (or the role does not exist). "
            + (f"Set the role's trust policy to:\n```\n{policy}\n```" if policy else ""),
            code=code or "AccessDenied",
            request_id=rid,
        )
    if is_access_denied(error):
        action = _denied_action(error, ctx.action)
        return AwsError(
            f"The IAM role {ctx.role_arn} of account {ctx.account} is not allowed to perform {action}. "
            f"Nothing was changed. An AWS admin of that account can add `{action}` to the role's permissions "
            "policy; until then this channel cannot do this.",
            code="AccessDenied",
            request_id=rid,
        )
    if code in _THROTTLED_CODES:
        return AwsError(
            f"AWS is throttling requests from account {ctx.account} ({code}), even after retries. "
            "Nothing was changed; try again in a minute.",
            code=code,
            request_id=rid,
        )
    if code == "SubscriptionRequiredException":
        return AwsError(
            f"Account {ctx.account} has no support plan that includes the AWS Support API (Business, "
            "Enterprise On-Ramp or Enterprise Support, or their successors). An account admin can change the "
            "plan in the AWS Support Center.",
            code=code,
            request_id=rid,
        )
    message = escape(str(error.response.get("Error", {}).get("Message", "")) or code)
    return AwsError(
        f"AWS refused {ctx.action} in account {ctx.account}: {message} ({escape(code)}).",
        code=code,
        request_id=rid,
    )
