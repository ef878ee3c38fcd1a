"""The message shortcut "Create AWS support case": the create modal, prefilled from the message."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bolt_app.services.cases.service import CaseService
from bolt_app.services.channels import ChannelService
from listeners.case_flow import open_create_case_modal
from listeners.errors import BELOW_MESSAGE, shows_errors

CREATE_CASE_FROM_MESSAGE = "create_case_from_message"  # manifest.yml's callback id


@shows_errors(BELOW_MESSAGE)
async def create_case_from_message_shortcut(
    ack: AsyncAck,
    shortcut: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    respond: AsyncRespond,
    channels: ChannelService,
    cases: CaseService,
) -> None:
    await ack()
    channel_id = str((shortcut.get("channel") or {}).get("id") or "")
    message = shortcut.get("message") or {}
    message = message | {"ts": message.get("ts") or shortcut.get("message_ts")}
    await open_create_case_modal(
        client, context, channels, cases, shortcut["trigger_id"], channel_id, message=message
    )
