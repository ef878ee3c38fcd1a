"""Every surface the app shows in Slack, built by the app's own builders from realistic values: the pictures in
the README are what the code draws."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from bolt_app.blocks.accounts import authorize_account_modal
from bolt_app.blocks.accounts import metadata
from bolt_app.blocks.accounts import policies_modal
from bolt_app.blocks.cases.forms import create_case_modal
from bolt_app.blocks.cases.messages import case_details_blocks
from bolt_app.blocks.cases.messages import case_summary_blocks
from bolt_app.blocks.cases.messages import case_text
from bolt_app.blocks.cases.messages import search_results_blocks
from bolt_app.blocks.channels import configure_channel_modal
from bolt_app.blocks.help import help_blocks
from bolt_app.blocks.help import help_text
from bolt_app.blocks.home import home_view
from bolt_app.blocks.notifications import correspondence_message
from bolt_app.blocks.notifications import lifecycle_message
from bolt_app.blocks.notifications import root_message
from bolt_app.blocks.quotas import quota_modal
from bolt_app.services.accounts import RoleSetup
from bolt_app.services.cases.models import CaseSummary
from bolt_app.services.cases.models import Communication
from bolt_app.services.cases.models import SearchFilter
from bolt_app.services.cases.models import SearchPage
from bolt_app.services.choice import Choice
from bolt_app.services.context import ChannelAccount
from bolt_app.services.home import WorkspaceOverview
from bolt_app.services.quotas.models import QuotaDetails
from storage.accounts import AccountRow
from storage.accounts import AuthorizationRow
from storage.case_openers import OpenedCase
from storage.channels import ChannelConfigRow
from storage.channels import Notifications
from storage.workspaces import WorkspaceKey
from tests.helpers import values


@dataclass(frozen=True)
class Surface:
    name: str  # the PNG's name
    payload: dict[str, Any]  # what the preview tool draws: a modal, a home tab, a message or a thread
    options: tuple[str, ...] = field(default=())  # extra preview options (--show-options, --width …)


WORKSPACE = WorkspaceKey("", "T0001")
PROD_ID, DEV_ID = "210987654321", "310987654321"
ROLE = "arn:aws:iam::{}:role/AWSSupportSlackRole"
PROD = ChannelAccount(
    WORKSPACE, "C1", "aws-support-ops", PROD_ID, f"Prod ({PROD_ID})", ROLE.format(PROD_ID), "x"
)
DEV = ChannelAccount(
    WORKSPACE, "C1", "aws-support-ops", DEV_ID, f"Staging ({DEV_ID})", ROLE.format(DEV_ID), "x"
)
CREATED = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
JANE, SAM = "U042JANE", "U077SAM"
NAMES = ("C1=aws-support-ops", "C2=dev-support", f"{JANE}=jane.doe", f"{SAM}=sam.lee")
EC2 = "Amazon Elastic Compute Cloud (EC2 - Linux)"

AWS_REPLY = Communication(
    "Hello,\n\nThank you for contacting AWS Support. Instance i-0abc123def4567890 in eu-west-1 fails its status "
    "check since 08:55 UTC because its root volume is full.\n\nPlease send the output of `df -h` from the EC2 "
    "serial console, or attach it to this case.\n\nBest regards,\nMaria S.\nAmazon Web Services",
    "Amazon Web Services",
    CREATED + timedelta(hours=1, minutes=12),
    ("ec2-status-checks.pdf",),
)
DESCRIPTION = Communication(
    "Our production instance i-0abc123def4567890 stopped answering on SSH and HTTP at about 08:55 UTC. A reboot "
    "did not help.\n\nSubmitted from Slack by Jane Doe in #aws-support-ops",
    f"AWSSupportSlackRole (Role) <T0001.{JANE}>",
    CREATED,
)
SEVERITIES = [
    Choice("low", "General guidance"),
    Choice("normal", "System impaired"),
    Choice("high", "Production system impaired"),
    Choice("urgent", "Production system down"),
    Choice("critical", "Business-critical system down"),
]


def a_case(**changes: Any) -> CaseSummary:
    """The tests' case (tests/helpers/values.py) as a reader would meet it: urgent, opened by Jane, two messages."""
    shown: dict[str, Any] = {
        "subject": "EC2 instance unreachable after reboot",
        "severity_code": "urgent",
        "submitted_by": DESCRIPTION.submitted_by,
        "cc_emails": ("ops@example.com", "oncall@example.com"),
        "account_shown": PROD.account_shown,
        "recent": (AWS_REPLY, DESCRIPTION),
        "opened_by": JANE,
        "service_name": EC2,
    }
    return values.a_case(**(shown | changes))


def message(blocks: list[dict[str, Any]], text: str, minutes: int = 75, **more: Any) -> dict[str, Any]:
    """A message as posted `minutes` after the case was opened (a fixed time: the PNGs change only with the code)."""
    ts = f"{(CREATED + timedelta(minutes=minutes)).timestamp():.6f}"
    return {"text": text, "blocks": blocks, "ts": ts, **more}


def authorizations() -> list[AuthorizationRow]:
    return [
        AuthorizationRow(
            AccountRow(PROD_ID, "Prod", None, None), WORKSPACE, "authorized", "role", ROLE.format(PROD_ID), JANE,
            CREATED,
        ),
        AuthorizationRow(
            AccountRow(DEV_ID, "Staging", None, None), WORKSPACE, "authorized", "organization",
            ROLE.format(DEV_ID), JANE, CREATED,
        ),
    ]  # fmt: skip


def configurations() -> list[ChannelConfigRow]:
    return [
        ChannelConfigRow(WORKSPACE, "C1", "aws-support-ops", PROD_ID, "Prod", ROLE.format(PROD_ID),
                         Notifications("all", True, True, True), JANE),
        ChannelConfigRow(WORKSPACE, "C2", "dev-support", DEV_ID, "Staging", ROLE.format(DEV_ID),
                         Notifications("high", True, False, True), JANE),
    ]  # fmt: skip


def recent_cases() -> list[OpenedCase]:
    subjects = [
        "EC2 instance unreachable after reboot",
        "RDS failover took 9 minutes",
        "Invoice shows a duplicate",
    ]
    return [
        OpenedCase(WORKSPACE, PROD_ID, f"case-{i}", f"170000000{1 + i}", s, JANE, "C1" if i != 1 else "C2",
                   CREATED - timedelta(days=3 * i))
        for i, s in enumerate(subjects)
    ]  # fmt: skip


def commands() -> tuple[Any, ...]:
    import listeners.commands  # noqa: F401  (registers the subcommands)
    from listeners.commands.aws_support import _SUBCOMMANDS

    return tuple(s.help for s in _SUBCOMMANDS)


def search_page() -> SearchPage:
    rows = [
        (
            "1700000006",
            "S3 bucket policy denies our CloudFront origin",
            "normal",
            "work-in-progress",
            "Amazon S3",
        ),
        ("1700000007", "Invoice for October shows duplicate charges", "low", "opened", "Billing"),
        ("1700000008", "RDS failover took 9 minutes", "high", "pending-customer-action", "Amazon RDS"),
    ]
    cases = tuple(
        a_case(display_id=d, case_id=f"case-x-{d}", subject=s, severity_code=sev, status=st, service_name=svc,
               time_created=CREATED - timedelta(days=i * 3), opened_by=JANE if i != 1 else "",
               submitted_by="Admin (Role) <sam.lee@example.com>",
               **({"account_id": DEV_ID, "account_shown": DEV.account_shown} if i % 2 else {}))
        for i, (d, s, sev, st, svc) in enumerate(rows)
    )  # fmt: skip
    search = SearchFilter(after=CREATED.date() - timedelta(days=30), status="open", language="en")
    return SearchPage(cases, next_token="tok-next", offset=0, total=8, search=search)


def case_thread() -> dict[str, Any]:
    """A case's thread once it was resolved: the root (kept current), AWS's answer, and who resolved it."""
    case = a_case(status="resolved")
    root = root_message(case)
    reply = correspondence_message(a_case(status="pending-customer-action"), AWS_REPLY)
    resolved = lifecycle_message(case, "resolved", SAM)
    return {
        "thread": True,
        "messages": [message(m.blocks, m.text, at) for m, at in ((root, 1), (reply, 72), (resolved, 190))],
    }


def surfaces() -> list[Surface]:
    setup = RoleSetup("ws-7f3c9a2e41d84b6c", "arn:aws:iam::999988887777:role/aws-support-slack-app")
    template = "https://support-bot.example.com/slack/install/role-template?link=…"
    lam, conc = Choice("lambda", "AWS Lambda"), Choice("L-B99A9384", "Concurrent executions")
    details = QuotaDetails(
        PROD_ID, "eu-west-1", "lambda", "AWS Lambda", "L-B99A9384", "Concurrent executions",
        1000.0, 1000.0, "None", True, False, None, True,
    )  # fmt: skip
    case = a_case()
    services = {case.service_code: EC2}
    categories = {case.category_code: "Instance issue"}
    overview = WorkspaceOverview(
        authorizations(), configurations(), True, my_channels=configurations(), recent=recent_cases()
    )
    member = WorkspaceOverview(
        authorizations(), configurations(), False, my_channels=configurations()[:1], recent=recent_cases()[:1]
    )
    cmds = commands()
    return [
        Surface(
            "create-case", create_case_modal([PROD, DEV], severity_levels=SEVERITIES, private_metadata="{}")
        ),
        Surface(
            "create-case-severities",
            create_case_modal([PROD], severity_levels=SEVERITIES, private_metadata="{}"),
            ("--show-options",),
        ),
        Surface("case-thread", case_thread()),
        Surface("case-summary", message(case_summary_blocks(case, shared_by=SAM), case_text(case))),
        Surface(
            "case-details",
            message(
                case_details_blocks(
                    a_case(status="pending-customer-action", more_communications=True),
                    service_names=services,
                    category_names=categories,
                ),
                case_text(case),
                response_type="ephemeral",
            ),
        ),
        Surface(
            "search-results",
            message(search_results_blocks(search_page(), 1), "Search results", response_type="ephemeral"),
        ),
        Surface("app-home", home_view(overview)),
        Surface("app-home-member", home_view(member)),
        Surface(
            "configure-channel",
            configure_channel_modal(
                authorizations(),
                metadata(channel_id="C1"),
                channel_name="aws-support-ops",
                public=False,
                account_id=PROD_ID,
                verified_role_arn=ROLE.format(PROD_ID),
            ),
        ),
        Surface("authorize-account", authorize_account_modal(setup, metadata(), template_link=template)),
        Surface("role-policies", policies_modal(setup)),
        Surface(
            "quota-increase",
            quota_modal(
                [PROD, DEV], "eu-west-1", lam, conc, details, account_id=PROD_ID, requested_value="3000"
            ),
        ),
        Surface("help", message(help_blocks(cmds), help_text(cmds), response_type="ephemeral")),
    ]
