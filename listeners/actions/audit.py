"""The audit trail's "Next 20": the same query, the page after the one shown, in its place."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bolt_app.blocks.audit import audit_page_blocks, audit_page_text, query_of_cursor
from bolt_app.errors import UserFacingError
from bolt_app.services.audit_log import AuditLog
from listeners.case_flow import message_click
from listeners.common import acting_user
from listeners.errors import BELOW_MESSAGE, shows_errors


@shows_errors(BELOW_MESSAGE)
async def audit_next_page_clicked(
    ack: AsyncAck,
    action: dict[str, Any],
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    respond: AsyncRespond,
    audit_log: AuditLog,
) -> None:
    """The workspace is the click's installation and the channel the click's own, whatever the value says."""
    await ack()
    query = query_of_cursor(str(action.get("value", "")))
    if query is None:
        raise UserFacingError("This button is out of date: run `/aws-support audit` again.")
    viewer = await acting_user(client, context)
    page = await audit_log.channel_page(viewer, message_click(body).channel_id, query)
    await respond(
        text=audit_page_text(page),
        blocks=audit_page_blocks(page, query),
        response_type="ephemeral",
        replace_original=True,
    )
