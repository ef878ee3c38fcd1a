"""Case messages in a Slack channel (the `CaseMessages` the case use cases need): posted with chat.postMessage,
refreshed with chat.update, with the bot token of the request's workspace."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bolt_app.blocks.cases.messages import case_summary_blocks
from bolt_app.blocks.cases.messages import case_text
from bolt_app.errors import UserFacingError
from bolt_app.services.cases.models import CaseSummary

log = logging.getLogger(__name__)


class SlackCaseMessages:
    def __init__(self, client: AsyncWebClient, token: str | None = None) -> None:
        """`token`: the workspace's bot token, outside a request (a deferred case); else the client's own."""
        self.client = client
        self._auth = {"token": token} if token else {}

    async def post(self, channel_id: str, case: CaseSummary, *, shared_by: str | None = None) -> str | None:
        """Posts the case in the channel for everyone (a 429 is retried after Retry-After); the message's ts.
        UserFacingError saying how to let the app post there when Slack refuses."""
        try:
            response = await self.client.chat_postMessage(
                channel=channel_id,
                text=case_text(case),
                blocks=case_summary_blocks(case, shared_by=shared_by),
                **self._auth,
            )
            return response.get("ts")
        except SlackApiError as e:
            shown = case.display_id or case.case_id
            raise UserFacingError(
                f"Case {shown} (AWS account {case.account_shown}) could not be posted in this channel: Slack "
                f"answered `{e.response.get('error')}`. Add the app to the channel (`/invite` it) and share the "
                f"case again from `/aws-support search-case {shown}`."
            ) from e

    async def refresh(self, channel_id: str, message_ts: str | None, case: CaseSummary) -> None:
        """Shows the case's new state in the channel message it was changed from (its buttons follow the
        status). A message that cannot be updated is left as it is."""
        if not message_ts:
            return
        try:
            await self.client.chat_update(
                channel=channel_id,
                ts=message_ts,
                text=case_text(case),
                blocks=case_summary_blocks(case),
                **self._auth,
            )
        except SlackApiError as e:
            log.info(
                "could not refresh case message %s/%s: %s", channel_id, message_ts, e.response.get("error")
            )
