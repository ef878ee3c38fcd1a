"""The message shortcut "Create AWS support case": the create modal, prefilled from the message."""

from __future__ import annotations

from bolt_app.services.cases.service import CaseService
from bolt_app.services.channels import ChannelService
from listeners.case_flow import open_create_case_modal
from listeners.errors import BELOW_MESSAGE
from listeners.requests import Shortcut
from listeners.requests import on_shortcut

CREATE_CASE_FROM_MESSAGE = "create_case_from_message"  # manifest.yml's callback id


@on_shortcut(BELOW_MESSAGE)
async def create_case_from_message_shortcut(
    shortcut: Shortcut, channels: ChannelService, cases: CaseService
) -> None:
    await shortcut.ack()
    await open_create_case_modal(
        shortcut.client,
        shortcut.context,
        channels,
        cases,
        shortcut.trigger_id,
        shortcut.channel_id,
        message=shortcut.message,
    )
