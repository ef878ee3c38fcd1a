"""Type-ahead options of "Authorize organization" in a workspace with more accounts than a select holds."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bolt_app.blocks.accounts import organization_account_options
from bolt_app.services.accounts import AccountService
from listeners.common import acting_user
from listeners.errors import Options, answers_options


@answers_options
async def organization_account_options_listener(
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    accounts: AccountService,
) -> Options:
    rows = await accounts.organization_candidates(await acting_user(client, context))
    return organization_account_options(rows, body.get("value"))
