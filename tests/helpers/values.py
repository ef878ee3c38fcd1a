"""Values the tests build again and again: who clicks, the accounts a channel has, a case to render."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from typing import Any

from bolt_app.services.cases.models import CaseSummary
from bolt_app.services.cases.models import Communication
from bolt_app.services.context import ChannelAccount
from bolt_app.services.quotas.models import QuotaDetails
from bolt_app.services.quotas.models import QuotaRequest
from storage.workspaces import WorkspaceKey

# Slack users of the installing workspace T0001: a workspace admin and a member who is not.
ADMIN, MEMBER = "U0001", "U0002"
WORKSPACE = WorkspaceKey("", "T0001")
ACCOUNT_ID = "210987654321"
CREATED = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def channel_account(
    account_id: str = ACCOUNT_ID, shown: str | None = None, channel_name: str = "ops", external_id: str = "x"
) -> ChannelAccount:
    """`account_id` configured in channel C1 of T0001, assumed through role R."""
    role = f"arn:aws:iam::{account_id}:role/R"
    return ChannelAccount(
        WORKSPACE, "C1", channel_name, account_id, account_id if shown is None else shown, role, external_id
    )


PROD = channel_account(shown=f"Prod ({ACCOUNT_ID})")
DEV = channel_account("310987654321")


def a_case(**changes: Any) -> CaseSummary:
    """An open high-severity EC2 case of ACCOUNT_ID with one reply from AWS; `changes` replace fields."""
    values: dict[str, Any] = {
        "case_id": f"case-{ACCOUNT_ID}-2026-0123456789abcdef",
        "display_id": "1700000001",
        "subject": "EC2 instance unreachable",
        "status": "opened",
        "severity_code": "high",
        "service_code": "amazon-elastic-compute-cloud-linux",
        "category_code": "instance-issue",
        "submitted_by": "AWSSupportSlackRole (Role) <T0001.U42>",
        "time_created": CREATED,
        "language": "en",
        "cc_emails": ("ops@example.com",),
        "account_id": ACCOUNT_ID,
        "account_shown": f"Prod ({ACCOUNT_ID})",
        "recent": (Communication("Please send logs.", "Amazon Web Services", CREATED, ("howto.pdf",)),),
    }
    return CaseSummary(**(values | changes))


def quota_request(**changes: Any) -> QuotaRequest:
    """A pending request of PROD for 1,500 concurrent Lambda executions in eu-west-1."""
    values: dict[str, Any] = {
        "id": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
        "case_id": None,
        "status": "PENDING",
        "service_code": "lambda",
        "service_name": "AWS Lambda",
        "quota_code": "L-B99A9384",
        "quota_name": "Concurrent executions",
        "desired_value": 1500.0,
        "unit": "None",
        "region": "eu-west-1",
        "account_id": PROD.account_id,
        "account_shown": PROD.account_shown,
        "created": CREATED,
    }
    return QuotaRequest(**(values | changes))


def quota_details(**changes: Any) -> QuotaDetails:
    """PROD's adjustable Lambda concurrency in us-east-1 at its default of 1,000, no request pending."""
    values: dict[str, Any] = {
        "account_id": PROD.account_id,
        "region": "us-east-1",
        "service_code": "lambda",
        "service_name": "AWS Lambda",
        "quota_code": "L-B99A9384",
        "quota_name": "Concurrent executions",
        "applied_value": 1000,
        "default_value": 1000,
        "unit": "None",
        "adjustable": True,
        "global_quota": False,
        "pending": None,
        "pending_checked": True,
    }
    return QuotaDetails(**(values | changes))
