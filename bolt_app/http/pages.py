"""The HTML pages of the install flow, rendered with Jinja2 (autoescaped) from bolt_app/templates/."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from importlib import resources

from jinja2 import Environment
from jinja2 import PackageLoader
from jinja2 import StrictUndefined
from markupsafe import Markup

from bolt_app.aws.policies import RECOMMENDED_POLICY
from bolt_app.aws.policies import trust_policy

IMAGE_ORIGIN = "https://platform.slack-edge.com"  # the "Add to Slack" button


def _asset(name: str) -> str:
    return resources.files("bolt_app").joinpath("templates", name).read_text(encoding="utf-8")


# The pages' only style and script, inline and allowed by their hashes in the Content-Security-Policy
# (bolt_app/http/security_headers.py).
STYLE = _asset("pages.css")
SCRIPT = _asset("copy.js")

_env = Environment(
    loader=PackageLoader("bolt_app", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

# Where the console's create-stack page is, by the partition of the app's principal.
_CONSOLE = {
    "aws": "https://console.aws.amazon.com",
    "aws-us-gov": "https://console.amazonaws-us-gov.com",
    "aws-cn": "https://console.amazonaws.cn",
}


def _render(template: str, title: str, *, script: bool = False, **values: object) -> str:
    return _env.get_template(template).render(
        title=title, style=Markup(STYLE), script=Markup(SCRIPT) if script else None, **values
    )


def notice_page(
    title: str, text: str, link_href: str = "/slack/install", link_label: str = "Start over"
) -> str:
    return _render("notice.html", title, text=text, link_href=link_href, link_label=link_label)


@dataclass(frozen=True)
class Scope:
    name: str
    why: str


def install_page(authorize_url: str, scopes: list[Scope], aws_account_id: str | None = None) -> str:
    return _render(
        "install.html",
        "Install AWS Support for Slack",
        authorize_url=authorize_url,
        aws_account_id=aws_account_id,
        image_origin=IMAGE_ORIGIN,
        scopes=scopes,
    )


@dataclass(frozen=True)
class RoleTemplateLink:
    url: str
    filename: str
    hours: int
    stack_name: str
    role_name: str


@dataclass(frozen=True)
class InstallOutcome:
    team_name: str
    external_id: str
    app_principal_arn: str | None
    aws_account_id: str | None
    slack_url: str
    template: RoleTemplateLink | None = None


def deploy_command(template_filename: str, stack_name: str) -> str:
    # The template names the role (RoleName), which CloudFormation accepts only with CAPABILITY_NAMED_IAM.
    return " \\\n  ".join(
        [
            "aws cloudformation deploy",
            f"--stack-name {shlex.quote(stack_name)}",
            f"--template-file {shlex.quote(template_filename)}",
            "--capabilities CAPABILITY_NAMED_IAM",
        ]
    )


def _partition(arn: str) -> str:
    parts = arn.split(":")
    return parts[1] if len(parts) > 1 else "aws"


def success_page(outcome: InstallOutcome) -> str:
    principal = outcome.app_principal_arn
    values: dict[str, object] = {}
    if principal:
        partition = _partition(principal)
        template = outcome.template
        values = {
            "trust_policy": json.dumps(trust_policy(principal, outcome.external_id), indent=2),
            "permissions_policy": json.dumps(RECOMMENDED_POLICY, indent=2),
            "template_url": template.url if template else "",
            "template_filename": template.filename if template else "",
            "link_hours": template.hours if template else 0,
            "deploy_command": deploy_command(
                template.filename if template else "role.yml",
                template.stack_name if template else "aws-support-slack-role",
            ),
            "console_url": f"{_CONSOLE.get(partition, _CONSOLE['aws'])}/cloudformation/home#/stacks/create",
            "role_arn_example": (
                f"arn:{partition}:iam::{outcome.aws_account_id or '123456789012'}:role/"
                + (template.role_name if template else "AWSSupportSlackRole")
            ),
        }
    return _render(
        "installed.html",
        "AWS Support is installed",
        script=True,
        team_name=outcome.team_name,
        external_id=outcome.external_id,
        principal=principal,
        aws_account_id=outcome.aws_account_id,
        slack_url=outcome.slack_url,
        **values,
    )


_FAILURES: dict[str, tuple[str, str]] = {
    "access_denied": (
        "The install was cancelled",
        "You (or Slack) declined the permissions the app asked for, so nothing was installed. "
        "To try again, start over from the install link. If your workspace requires approval for apps, ask a "
        "workspace admin to approve AWS Support first.",
    ),
    "invalid_browser": (
        "This browser did not start the install",
        "The install has to finish in the same browser, on the same address, that started it, and that browser "
        "must keep the install cookie. Start over from the install link (over https, in one browser).",
    ),
    "invalid_state": (
        "This install link has expired or was already used",
        "Each install link works once and for ten minutes. Nothing was installed. Start over from the install "
        "link.",
    ),
    "missing_code": (
        "Slack did not send an authorization code",
        "Nothing was installed. Start over from the install link.",
    ),
    "invalid_code": (
        "Slack refused the authorization code",
        "The code was wrong, already used or expired, or the app's client ID and secret do not match the Slack "
        "app. Nothing was installed. Start over from the install link; if it happens again, the app's operator "
        "should check SLACK_CLIENT_ID and SLACK_CLIENT_SECRET.",
    ),
    "storage_error": (
        "The install could not be saved",
        "Slack approved the install but the app could not store it. Nothing was saved. Try again in a few "
        "minutes; if it keeps failing, the app's operator should check the database.",
    ),
}


def failure_page(reason: str) -> str:
    title, text = _FAILURES.get(
        reason,
        (
            "The install did not finish",
            f"Slack reported: {reason}. Nothing was installed. Start over from the install link.",
        ),
    )
    return notice_page(title, text)
