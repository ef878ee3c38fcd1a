"""Text from users and AWS cannot mention, ping or link in any message or view the app builds.

Every builder of bolt_app/blocks gets the same hostile text in every field a user or AWS supplies; no mrkdwn text
and no top-level message `text` (Slack parses both as mrkdwn) may then hold a mention, a link or a bare `&`.
plain_text is shown literally by Slack and is not checked. Builders that show such text only in plain_text (the
rename and register-organization modals, select options) or none at all (role setup, quota details_text, the
search modal) are not listed."""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from typing import Any

import pytest

from bolt_app.blocks.accounts import accounts_blocks
from bolt_app.blocks.accounts import remove_account_modal
from bolt_app.blocks.cases.forms import create_case_modal
from bolt_app.blocks.cases.forms import reopen_modal
from bolt_app.blocks.cases.forms import reply_modal
from bolt_app.blocks.cases.messages import case_details_blocks
from bolt_app.blocks.cases.messages import case_summary_blocks
from bolt_app.blocks.cases.messages import case_text
from bolt_app.blocks.cases.messages import correspondence_blocks
from bolt_app.blocks.cases.messages import full_message_modal
from bolt_app.blocks.cases.messages import previous_correspondence_blocks
from bolt_app.blocks.cases.messages import resolve_confirm
from bolt_app.blocks.cases.messages import search_results_blocks
from bolt_app.blocks.channels import channel_configurations_blocks
from bolt_app.blocks.channels import configure_channel_modal
from bolt_app.blocks.channels import remove_channel_modal
from bolt_app.blocks.channels import workspace_channels_blocks
from bolt_app.blocks.help import CommandHelp
from bolt_app.blocks.help import help_blocks
from bolt_app.blocks.home import home_view
from bolt_app.blocks.notifications import correspondence_message
from bolt_app.blocks.notifications import lifecycle_message
from bolt_app.blocks.notifications import root_message
from bolt_app.blocks.quotas import quota_modal
from bolt_app.blocks.quotas import quota_request_blocks
from bolt_app.blocks.quotas import quota_request_text
from bolt_app.blocks.quotas import warnings_text
from bolt_app.services.cases.models import Communication
from bolt_app.services.cases.models import SearchFilter
from bolt_app.services.cases.models import SearchPage
from bolt_app.services.choice import Choice
from bolt_app.services.home import WorkspaceOverview
from storage.accounts import AccountRow
from storage.accounts import AuthorizationRow
from storage.case_openers import OpenedCase
from storage.channels import ChannelConfigRow
from storage.channels import Notifications
from storage.workspaces import WorkspaceKey
from tests.helpers.values import a_case
from tests.helpers.values import channel_account
from tests.helpers.values import quota_details
from tests.helpers.values import quota_request

HOSTILE = "<!channel> <!here> <@U123> <#C123> <https://x|y> & co"
RAW = ("<!channel>", "<!here>", "<@U123>", "<#C123>", "<https://x|y>")
SHOWN_ESCAPED = "&lt;!channel&gt;"
BARE_AMPERSAND = re.compile(r"&(?!amp;|lt;|gt;)")

WORKSPACE = WorkspaceKey("", "T0001")
AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
ACCOUNT = channel_account(shown=HOSTILE, channel_name=HOSTILE)
OTHER = channel_account("310987654321", shown=HOSTILE, channel_name=HOSTILE)
COMMUNICATION = Communication(HOSTILE, HOSTILE, AT, (HOSTILE,))
CASE = a_case(
    subject=HOSTILE,
    service_code="svc",
    category_code="cat",
    submitted_by=HOSTILE,
    cc_emails=(HOSTILE,),
    account_shown=HOSTILE,
    recent=(COMMUNICATION, COMMUNICATION),
)
NAMES = {"high": HOSTILE, "svc": HOSTILE, "cat": HOSTILE}
AUTHORIZATION = AuthorizationRow(
    AccountRow("210987654321", HOSTILE, None, None),
    WORKSPACE,
    "authorized",
    "role",
    "arn:aws:iam::1:role/R",
    "U1",
    AT,
)
CONFIGURATION = ChannelConfigRow(
    WORKSPACE,
    "C1",
    HOSTILE,
    "210987654321",
    HOSTILE,
    "arn:aws:iam::210987654321:role/R",
    Notifications(),
    "U1",
)
QUOTA = {"service_code": "ec2", "service_name": HOSTILE, "quota_code": "L-1", "quota_name": HOSTILE}
REQUEST = quota_request(id="req-1", region="us-east-1", account_shown=HOSTILE, created=AT, **QUOTA)
DETAILS = quota_details(applied_value=1, default_value=5, adjustable=False, pending=REQUEST, **QUOTA)

Built = Any  # blocks, a view, a SlackMessage, or a top-level text


def _message_parts(message: Any) -> list[Any]:
    return [message.text, message.blocks]


BUILDERS: dict[str, Callable[[], Built]] = {
    "case_text (top-level text of case messages)": lambda: case_text(CASE, NAMES),
    "case_summary_blocks": lambda: case_summary_blocks(CASE, severity_names=NAMES),
    "case_details_blocks": lambda: case_details_blocks(
        CASE, severity_names=NAMES, service_names=NAMES, category_names=NAMES
    ),
    "correspondence_blocks": lambda: correspondence_blocks(COMMUNICATION, CASE),
    "previous_correspondence_blocks": lambda: previous_correspondence_blocks(CASE, [COMMUNICATION], None),
    "full_message_modal": lambda: full_message_modal(CASE, COMMUNICATION),
    "reply_modal": lambda: reply_modal(CASE),
    "reopen_modal": lambda: reopen_modal(CASE),
    "resolve_confirm": lambda: resolve_confirm(CASE),
    "create_case_modal": lambda: create_case_modal([ACCOUNT, OTHER], notice=HOSTILE),
    "search_results_blocks": lambda: search_results_blocks(
        SearchPage(
            (CASE,),
            None,
            {HOSTILE: HOSTILE},
            accounts_truncated=(HOSTILE,),
            total=1,
            search=SearchFilter(display_id=HOSTILE),
        ),
        1,
        severity_names=NAMES,
    ),
    "root_message": lambda: _message_parts(root_message(CASE)),
    "correspondence_message": lambda: _message_parts(correspondence_message(CASE, COMMUNICATION)),
    "lifecycle_message": lambda: _message_parts(lifecycle_message(CASE, "resolved")),
    "quota_request_text": lambda: quota_request_text(REQUEST),
    "quota_request_blocks": lambda: quota_request_blocks(REQUEST, requested_by="U1", checked_at=AT),
    "quota warnings_text": lambda: warnings_text(DETAILS),
    "quota_modal": lambda: quota_modal(
        [ACCOUNT, OTHER], "us-east-1", Choice("ec2", HOSTILE), Choice("L-1", HOSTILE), DETAILS
    ),
    "accounts_blocks": lambda: accounts_blocks([AUTHORIZATION], admin=True),
    "home_view": lambda: home_view(
        WorkspaceOverview(
            [AUTHORIZATION],
            [CONFIGURATION],
            True,
            my_channels=[CONFIGURATION, CONFIGURATION],
            recent=[OpenedCase(WORKSPACE, "210987654321", "case-1", HOSTILE, HOSTILE, "U1", "C1", AT)],
        )
    ),
    "remove_account_modal": lambda: remove_account_modal(AUTHORIZATION),
    "remove_channel_modal": lambda: remove_channel_modal(CONFIGURATION),
    "configure_channel_modal": lambda: configure_channel_modal(
        [AUTHORIZATION], "{}", channel_name=HOSTILE, public=True, account_id="210987654321"
    ),
    "channel_configurations_blocks": lambda: channel_configurations_blocks(
        [CONFIGURATION], HOSTILE, admin=True
    ),
    "workspace_channels_blocks": lambda: workspace_channels_blocks([CONFIGURATION], admin=True),
    "help_blocks (unknown subcommand)": lambda: help_blocks(
        (CommandHelp("help", (), "Lists commands."),), HOSTILE
    ),
}


def mrkdwn_texts(node: Any) -> Iterator[str]:
    """Every string Slack parses as mrkdwn: mrkdwn text objects and, at the top, a message's `text`."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            yield str(node["text"])
        for value in node.values():
            if isinstance(value, dict | list):
                yield from mrkdwn_texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from (mrkdwn_texts(item) if isinstance(item, dict | list) else [])


def _top(built: Built) -> list[Any]:
    """Strings at the top level are texts (case_text, a SlackMessage's text); inside blocks only mrkdwn counts."""
    return built if isinstance(built, list) and any(isinstance(b, str) for b in built) else [built]


@pytest.mark.parametrize("builder", list(BUILDERS.values()), ids=list(BUILDERS))
def test_user_and_aws_text_is_escaped_in_every_builder(builder: Callable[[], Built]) -> None:
    texts = [t for part in _top(builder()) for t in mrkdwn_texts(part)]
    for text in texts:
        assert not [raw for raw in RAW if raw in text], text
        assert not BARE_AMPERSAND.search(text), text
    assert any(SHOWN_ESCAPED in t for t in texts), "the hostile text is not shown in any mrkdwn text"
