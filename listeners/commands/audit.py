"""`audit [case ID | @user]`: a channel's audit trail, for the workspace's admins."""

from __future__ import annotations

import re

from bolt_app.blocks.audit import audit_page_blocks
from bolt_app.blocks.audit import audit_page_text
from bolt_app.errors import UserFacingError
from bolt_app.identifiers import CASE_ID
from bolt_app.identifiers import USER_ID
from bolt_app.services.audit_log import AuditLog
from bolt_app.services.audit_log import AuditQuery
from listeners.commands.aws_support import IN_REPLY
from listeners.commands.aws_support import CommandRequest
from listeners.commands.aws_support import subcommand
from listeners.common import acting_user
from listeners.errors import shows_errors

# `<@U123>` or `<@U123|name>`: a mention as Slack escapes it (pasted, or with escaping on)
_MENTION = re.compile(r"<@([UW][A-Z0-9]{2,30})(?:\|[^>]*)?>", re.ASCII)
_NAME = re.compile(
    r"@([^<>@]{1,80})"
)  # as typed, when Slack sends mentions unescaped (the manifest's setting)


def audit_query(args: str) -> AuditQuery:
    """What `audit` was asked for; UserFacingError naming the forms it takes."""
    text = args.strip()
    if not text:
        return AuditQuery()
    if mention := _MENTION.fullmatch(text):
        return AuditQuery(user_id=mention.group(1))
    if USER_ID.fullmatch(text):
        return AuditQuery(user_id=text)
    if CASE_ID.fullmatch(text):
        return AuditQuery(case_id=text)
    if name := _NAME.fullmatch(text):
        return AuditQuery(user_name=name.group(1))
    raise UserFacingError(
        f"`/aws-support audit` takes nothing (this channel's trail), a case ID (case-…) or @user, "
        f"not `{text[:100]}`."
    )


@subcommand("audit [case ID | @user]", "this channel's audit trail, 20 entries at a time", admin=True)
@shows_errors(IN_REPLY)
async def audit_subcommand(request: CommandRequest, audit_log: AuditLog) -> None:
    await request.ack()
    query = audit_query(request.args)
    viewer = await acting_user(request.client, request.context)
    page = await audit_log.channel_page(viewer, request.channel_id, query)
    await request.say_ephemeral(audit_page_text(page), audit_page_blocks(page, query))
