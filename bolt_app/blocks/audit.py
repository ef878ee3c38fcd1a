"""The audit trail in Slack: a channel's entries for `/aws-support audit`, and App Home's "Recent activity"."""

from __future__ import annotations

import json
from datetime import datetime

from bolt_app.blocks.cases.parts import cut
from bolt_app.blocks.common import Block
from bolt_app.blocks.common import actions
from bolt_app.blocks.common import button
from bolt_app.blocks.common import context
from bolt_app.blocks.common import escape
from bolt_app.blocks.common import section
from bolt_app.services.audit_log import AuditPage
from bolt_app.services.audit_log import AuditQuery
from storage.audit import AuditEntry
from storage.clock import as_utc

AUDIT_NEXT_ACTION = "audit_next_page"
_SLACK_USER = ("U", "W")
_REASON_CHARS = 200


def when(at: datetime) -> str:
    """Slack shows the moment in the reader's own time zone; the fallback is UTC."""
    moment = as_utc(at)
    assert moment is not None
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def who(entry: AuditEntry) -> str:
    user = entry.user_id or ""
    if user.startswith(_SLACK_USER) and user.isalnum():
        return f"<@{user}>"
    return escape(user or "the app")  # the notifier, or an operator at the command line


def entry_line(entry: AuditEntry) -> str:
    """when · who · action · case · outcome (with the reason of a refusal or failure)."""
    outcome = escape(entry.outcome)
    if entry.outcome != "ok" and entry.detail:
        outcome += f" ({escape(cut(entry.detail, _REASON_CHARS))})"
    case = escape(entry.case_id) if entry.case_id else "–"
    return " · ".join([when(entry.at), who(entry), f"`{escape(entry.action)}`", case, outcome])


def cursor_value(query: AuditQuery, before_id: int) -> str:
    """The "Next 20" button's value: the filter and where the next page starts (never the workspace or
    channel, which the click's own payload says)."""
    shown = {"b": before_id, "u": query.user_id, "n": query.user_name, "k": query.case_id}
    return json.dumps({k: v for k, v in shown.items() if v is not None}, separators=(",", ":"))


def query_of_cursor(value: str) -> AuditQuery | None:
    """The query a "Next 20" value stands for; None when it is not one the app made."""
    try:
        data = json.loads(value)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("b"), int) or isinstance(data["b"], bool):
        return None
    texts = {k: data.get(k) for k in ("u", "n", "k")}
    if any(v is not None and not isinstance(v, str) for v in texts.values()):
        return None
    return AuditQuery(user_id=texts["u"], user_name=texts["n"], case_id=texts["k"], before_id=data["b"])


def describe(query: AuditQuery) -> str:
    if query.case_id:
        return f" for case {escape(query.case_id)}"
    if query.user_id:
        return f" by <@{escape(query.user_id)}>"
    if query.user_name:
        return f" by @{escape(query.user_name)}"
    return ""


def audit_page_blocks(page: AuditPage, query: AuditQuery) -> list[Block]:
    title = f"*Audit trail of this channel{describe(query)}*"
    if query.before_id is not None:
        title += " (older entries)"
    if not page.entries:
        return [section(title), context("No entries" + (" further back." if query.before_id else " yet."))]
    blocks: list[Block] = [section(title), *(section(entry_line(e)) for e in page.entries)]
    if page.next_before is not None:
        next_button = button("Next 20", AUDIT_NEXT_ACTION, cursor_value(query, page.next_before))
        blocks.append(actions(next_button))
    blocks.append(context("Times are in your time zone. `aws-support-slack audit list` exports every field."))
    return blocks


def audit_page_text(page: AuditPage) -> str:
    return f"{len(page.entries)} audit entries of this channel"


def recent_activity_blocks(entries: list[AuditEntry]) -> list[Block]:
    """App Home's section for admins: the workspace's latest entries, one block each, with their channel."""
    heading = section("*Recent activity*")
    if not entries:
        return [heading, context("Nothing yet: actions taken in configured channels show here.")]
    lines = [entry_line(e) + (f" · <#{escape(e.channel_id)}>" if e.channel_id else "") for e in entries]
    return [heading, *(section(line) for line in lines), context(RECENT_HINT)]


RECENT_HINT = "`/aws-support audit` in a channel shows its whole trail."
