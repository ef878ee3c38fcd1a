"""The HTML pages of the install flow. Plain string templates: four small pages do not need a template engine."""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape

from bolt_app.aws.policies import RECOMMENDED_POLICY, cloudformation_template, trust_policy

# The pages' only style, allowed by its hash in the Content-Security-Policy (bolt_app/security_headers.py).
STYLE = """body{font-family:system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem;line-height:1.5}
pre{background:#f4f4f4;padding:1rem;overflow-x:auto} code{background:#f4f4f4;padding:0 .2rem}"""
IMAGE_ORIGIN = "https://platform.slack-edge.com"  # the "Add to Slack" button

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{style}</style>
</head><body><h1>{title}</h1>
{body}
</body></html>"""


def page(title: str, body_html: str) -> str:
    return _PAGE.format(title=escape(title), style=STYLE, body=body_html)


def install_page(authorize_url: str, aws_account_id: str | None = None) -> str:
    extra = (
        f"<p>After the install you will see how to let AWS account <code>{escape(aws_account_id)}</code> "
        "authorize this workspace.</p>"
        if aws_account_id
        else ""
    )
    return page(
        "Install AWS Support for Slack",
        f"""<p>Open, follow and answer AWS Support cases from Slack channels.</p>{extra}
<p><a href="{escape(authorize_url)}"><img alt="Add to Slack" height="40" width="139"
 src="{IMAGE_ORIGIN}/img/add_to_slack.png"
 srcset="{IMAGE_ORIGIN}/img/add_to_slack.png 1x,
 {IMAGE_ORIGIN}/img/add_to_slack@2x.png 2x"></a></p>""",
    )


@dataclass(frozen=True)
class InstallOutcome:
    team_name: str
    external_id: str
    app_principal_arn: str | None
    aws_account_id: str | None
    slack_url: str


def success_page(outcome: InstallOutcome) -> str:
    principal = outcome.app_principal_arn
    account = outcome.aws_account_id
    for_account = f" for AWS account <code>{escape(account)}</code>" if account else ""
    if principal:
        policy = json.dumps(trust_policy(principal, outcome.external_id), indent=2)
        role_html = f"""<p>This app's AWS principal: <code>{escape(principal)}</code></p>
<h3>1. Create an IAM role{for_account}</h3>
<p>Trust policy:</p><pre>{escape(policy)}</pre>
<p>Permissions: attach the managed policy <code>AWSSupportAppFullAccess</code> (read and write) or
<code>AWSSupportAppReadOnlyAccess</code> (read only), or this recommended inline policy, which also lets the
pickers list services, severities and quotas:</p><pre>{escape(json.dumps(RECOMMENDED_POLICY, indent=2))}</pre>
<p>Or deploy this CloudFormation template, which creates the role:</p>
<pre>{escape(cloudformation_template(principal, outcome.external_id))}</pre>"""
    else:
        role_html = (
            "<p>The app could not determine its own AWS principal (sts:GetCallerIdentity failed): ask the "
            "operator of this app for the ARN that your role's trust policy must name.</p>"
        )
    status = (
        f"<p>AWS account <code>{escape(account)}</code> is <strong>pending</strong> until you finish step 2.</p>"
        if account
        else ""
    )
    return page(
        "AWS Support is installed",
        f"""<p>The app is installed in <strong>{escape(outcome.team_name)}</strong>.</p>
<h2>Next: authorize an AWS account</h2>{status}
<p>Each AWS account that this workspace uses must consent by creating an IAM role that trusts this app
with this workspace's External ID:</p>
<p>External ID: <code>{escape(outcome.external_id)}</code></p>
{role_html}
<h3>2. Finish in Slack</h3>
<p>A workspace admin runs <code>/aws-support authorize-account</code> and enters the role ARN.</p>
<p><a href="{escape(outcome.slack_url)}">Open Slack</a></p>""",
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
    return page(title, f'<p>{escape(text)}</p><p><a href="/slack/install">Start over</a></p>')
