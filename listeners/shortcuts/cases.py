"""The message shortcut "Create AWS support case": the create modal, prefilled from the message."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from listeners.case_flow import ephemeral, open_create_case_modal
from listeners.common import explain_errors

CREATE_CASE_FROM_MESSAGE = "create_case_from_message"  # manifest.yml's callback id


async def create_case_from_message_shortcut(
    ack: AsyncAck,
    shortcut: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    respond: AsyncRespond,
) -> None:
    await ack()
    channel_id = str((shortcut.get("channel") or {}).get("id") or "")
    message = shortcut.get("message") or {}
    message = message | {"ts": message.get("ts") or shortcut.get("message_ts")}

    async def work() -> None:
        await open_create_case_modal(client, context, shortcut["trigger_id"], channel_id, message=message)

    await explain_errors(ephemeral(respond), work)
