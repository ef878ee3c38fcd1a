"""The audit trail's "Next 20": the same query, the page after the one shown, in its place."""

from __future__ import annotations

from bolt_app.blocks.audit import audit_page_blocks
from bolt_app.blocks.audit import audit_page_text
from bolt_app.blocks.audit import query_of_cursor
from bolt_app.errors import UserFacingError
from bolt_app.services.audit_log import AuditLog
from listeners.case_flow import message_click
from listeners.errors import BELOW_MESSAGE
from listeners.requests import Click
from listeners.requests import on_click


@on_click(BELOW_MESSAGE)
async def audit_next_page_clicked(click: Click, audit_log: AuditLog) -> None:
    """The workspace is the click's installation and the channel the click's own, whatever the value says."""
    await click.ack()
    query = query_of_cursor(click.value)
    if query is None:
        raise UserFacingError("This button is out of date: run `/aws-support audit` again.")
    page = await audit_log.channel_page(await click.actor(), message_click(click.body).channel_id, query)
    await click.respond(
        text=audit_page_text(page),
        blocks=audit_page_blocks(page, query),
        response_type="ephemeral",
        replace_original=True,
    )
