"""Messages that case notifications post: the case's root message, and the replies in its thread."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any

from bolt_app.blocks.cases import REPLY_ACTION
from bolt_app.blocks.cases import SHOW_FULL_MESSAGE_ACTION
from bolt_app.blocks.cases import CaseRef
from bolt_app.blocks.cases import case_summary_blocks
from bolt_app.blocks.cases import opened_by
from bolt_app.blocks.cases import severity_name
from bolt_app.blocks.cases import status_name
from bolt_app.blocks.cases import when
from bolt_app.blocks.common import Block
from bolt_app.blocks.common import actions
from bolt_app.blocks.common import button
from bolt_app.blocks.common import context
from bolt_app.blocks.common import escape
from bolt_app.blocks.common import section
from bolt_app.services.cases import CaseSummary
from bolt_app.services.cases import Communication
from bolt_app.services.notifications.messages import AWS_AUTHOR
from bolt_app.services.notifications.messages import is_from_aws

EXCERPT_CHARS = 600
METADATA_EVENT_TYPE = "aws_support_case_notification"


@dataclass(frozen=True)
class SlackMessage:
    """What one chat.postMessage / chat.update sends: `text` is the notification and screen-reader fallback."""

    text: str
    blocks: list[Block]
    metadata: dict[str, Any] = field(default_factory=dict)


def _metadata(case: CaseSummary, kind: str) -> dict[str, Any]:
    return {
        "event_type": METADATA_EVENT_TYPE,
        "event_payload": {"account_id": case.account_id, "case_id": case.case_id, "kind": kind},
    }


def _case_words(case: CaseSummary) -> str:
    return f"Case {case.display_id or case.case_id}: {escape(case.subject)}"


def author(communication: Communication) -> str:
    """Who wrote a correspondence, as the channel should read it: AWS, or the customer and their identity."""
    if is_from_aws(communication):
        return AWS_AUTHOR
    return f"Customer ({communication.submitted_by or 'unknown'})"


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> tuple[str, bool]:
    """The start of `text`, cut at a word boundary; True when something was left out."""
    text = text.strip()
    if len(text) <= limit:
        return text, False
    cut = text[:limit]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + "…", True


def what_happened(case: CaseSummary) -> str:
    """The root's lead: what the channel is to know of the case as it stands now, and who did it."""
    if case.resolved:
        return f":white_check_mark: *Resolved* · opened by {opened_by(case)}"
    if case.status == "reopened":
        return f":arrows_counterclockwise: *Reopened* · opened by {opened_by(case)}"
    if case.status == "pending-customer-action":
        return f":speech_balloon: *AWS replied* · opened by {opened_by(case)}"
    return f":new: *New case opened by {opened_by(case)}*"


def root_message(case: CaseSummary) -> SlackMessage:
    """The first message about a case in a channel; later notifications are replies in its thread. Kept current
    with chat.update as the case's status changes, its context line saying what happened last."""
    text = (
        f"{_case_words(case)} — {severity_name(case.severity_code)}, {status_name(case.status)} "
        f"(AWS account {escape(case.account_shown)})"
    )
    return SlackMessage(
        text, case_summary_blocks(case, happened=what_happened(case)), _metadata(case, "root")
    )


def _full_message_value(case: CaseSummary, communication: Communication) -> str:
    # The case reference the case listeners decode, plus the correspondence's time (epoch ms) as a fourth part,
    # so "Show full message" can find this correspondence rather than the latest.
    when = int(communication.time_created.timestamp() * 1000) if communication.time_created else 0
    return f"{CaseRef.of(case).encode()}:{when}"


def correspondence_message(case: CaseSummary, communication: Communication) -> SlackMessage:
    """A new correspondence: who wrote it, when, and an excerpt; "Show full message" when it was cut, and Reply
    under AWS's answers, so the channel answers from the thread."""
    from_aws = is_from_aws(communication)
    who = "AWS" if from_aws else escape(communication.submitted_by or "the customer")
    shown, cut = excerpt(communication.body)
    icon = ":speech_balloon:" if from_aws else ":bust_in_silhouette:"
    heading = f"{icon} *{who} replied* · {when(communication.time_created, 'at an unknown time')}"
    body = "\n".join(f"> {line}" if line else ">" for line in escape(shown).splitlines()) or "> (empty)"
    blocks = [section(f"{heading}\n{body}")]
    if communication.attachment_names:
        blocks.append(context("Attachments: " + escape(", ".join(communication.attachment_names))))
    buttons = []
    if from_aws:
        buttons.append(button("Reply", REPLY_ACTION, CaseRef.of(case).encode(), style="primary"))
    if cut:
        buttons.append(
            button("Show full message", SHOW_FULL_MESSAGE_ACTION, _full_message_value(case, communication))
        )
    if buttons:
        blocks.append(actions(*buttons))
    text = f"{_case_words(case)} — {'AWS replied' if from_aws else f'{who} replied'}"
    return SlackMessage(text, blocks, _metadata(case, "correspondence"))


def lifecycle_message(case: CaseSummary, kind: str, by: str = "") -> SlackMessage:
    """ "resolved" or "reopened", and by whom when the app did it (`by`, a Slack user ID)."""
    icon, words = (
        (":white_check_mark:", "resolved")
        if kind == "resolved"
        else (":arrows_counterclockwise:", "reopened")
    )
    who = f" by <@{by}>" if by else ""
    blocks = [
        section(
            f"{icon} *Case {escape(case.display_id or case.case_id)} was {words}{who}.* "
            f"Status: {status_name(case.status)}"
        ),
    ]
    return SlackMessage(f"{_case_words(case)} was {words}{who}", blocks, _metadata(case, kind))
