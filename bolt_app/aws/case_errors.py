"""Words for the AWS Support API's own error codes; everything else goes to the shared `explain`.

`explain` already covers access denied (role, account, action), throttling, timeouts and the support plan
(SubscriptionRequiredException); this module only adds the codes that belong to support cases.
"""

from __future__ import annotations

from collections.abc import Callable

from botocore.exceptions import BotoCoreError
from botocore.exceptions import ClientError

from bolt_app.aws.errors import AwsError
from bolt_app.aws.errors import CallContext
from bolt_app.aws.errors import error_code
from bolt_app.aws.errors import explain
from bolt_app.aws.errors import request_id

_Words = Callable[[CallContext], str]

ATTACH_AGAIN = "Attach the files again and submit once more."

SUPPORT_ERRORS: dict[str, _Words] = {
    "CaseCreationLimitExceeded": lambda c: (
        f"Account {c.account} has reached the number of support cases AWS accepts through the API in a short "
        "time (about 10 per hour). Nothing was created. Try again later, or open the case in the AWS Support "
        "Center."
    ),
    "CaseIdNotFound": lambda c: (
        f"AWS Support has no such case in account {c.account}. The case may belong to another AWS account of "
        "this channel, or be older than the 24 months AWS Support keeps case data for."
    ),
    "AttachmentSetIdNotFound": lambda c: (
        f"AWS Support could not find the uploaded attachments in account {c.account}, so nothing was sent. "
        + ATTACH_AGAIN
    ),
    "AttachmentSetExpired": lambda c: (
        "The attachments were uploaded to AWS Support more than an hour ago and have expired, so nothing was "
        "sent. " + ATTACH_AGAIN
    ),
    "AttachmentSetSizeLimitExceeded": lambda c: (
        "AWS Support accepts at most 3 attachments of at most 5 MB each per case or reply. Nothing was sent; "
        "remove or shrink files and submit again."
    ),
    "AttachmentLimitExceeded": lambda c: (
        f"Account {c.account} uploaded too many attachments to AWS Support in a short time. Nothing was sent; "
        "wait a few minutes and submit again."
    ),
    "DescribeAttachmentLimitExceeded": lambda c: (
        f"Account {c.account} downloaded too many attachments from AWS Support in a short time. Wait a few "
        "minutes and try again."
    ),
    "InternalServerError": lambda c: (
        f"AWS Support had an internal error during {c.action} in account {c.account}. Try again in a minute."
    ),
}


def explain_case_error(error: Exception, ctx: CallContext) -> AwsError:
    """The message for an error of a Support API call (an AwsError, which is a UserFacingError)."""
    if isinstance(error, ClientError):
        code = error_code(error)
        words = SUPPORT_ERRORS.get(code)
        if words is not None:
            return AwsError(words(ctx), code=code, request_id=request_id(error))
    if isinstance(error, ClientError | BotoCoreError | AwsError):
        return explain(error, ctx)
    raise error


def case_not_found(ctx: CallContext, case_id: str) -> AwsError:
    """DescribeCases answers an unknown case ID with an empty list (or CaseIdNotFound): one message for both."""
    return AwsError(f"{SUPPORT_ERRORS['CaseIdNotFound'](ctx)} (Case ID: {case_id})", code="CaseIdNotFound")


def create_outcome_unknown(ctx: CallContext) -> AwsError:
    """CreateCase was sent but no answer came back: the case may exist, so a blind retry could duplicate it."""
    return AwsError(
        f"AWS did not answer in time when creating the case in account {ctx.account}, so the case may or may "
        "not have been created. Search for it (`/aws-support search`) before submitting it again.",
        code="Timeout",
    )
