"""Submission of "Increase service quota"."""

from __future__ import annotations

from bolt_app.blocks.quotas import VALUE_BLOCK
from bolt_app.blocks.quotas import field_errors
from bolt_app.blocks.quotas import quota_block_id
from bolt_app.blocks.quotas import quota_request_blocks
from bolt_app.blocks.quotas import quota_request_text
from bolt_app.blocks.quotas import read_form
from bolt_app.errors import UserFacingError
from bolt_app.services.audited import DuplicateSubmission
from bolt_app.services.channels import ChannelService
from bolt_app.services.quotas.models import PendingRequestExists
from bolt_app.services.quotas.rules import validate_requested_value
from bolt_app.services.quotas.service import QuotaService
from listeners.common import account_of
from listeners.common import slack_actor
from listeners.errors import unexpected_error_text
from listeners.quota_form import details_from
from listeners.requests import Submission
from listeners.requests import on_submit


@on_submit()
async def quota_increase_submitted(
    submission: Submission, channels: ChannelService, quotas: QuotaService
) -> None:
    ack, client, context = submission.ack, submission.client, submission.context
    form = read_form(submission.state)
    meta = submission.metadata
    details = details_from(meta)
    if (
        form.service_code is None
        or form.quota_code is None
        or details is None
        or details.quota_code != form.quota_code
    ):
        block = quota_block_id(form.service_code) if form.service_code else "quota_service"
        await ack(response_action="errors", errors={block: "Choose the service and the quota to increase."})
        return
    try:
        value = validate_requested_value(form.requested_value, details)
    except UserFacingError as e:
        await ack(
            response_action="errors", errors=field_errors(e, form.service_code) or {VALUE_BLOCK: e.message}
        )
        return
    await ack()
    channel_id = meta.get("channel_id", "")
    actor = slack_actor(context)
    try:
        account = await account_of(channels, context, channel_id, form.account_id or details.account_id)
        request = await quotas.request_increase(
            account, actor, form.region, form.service_code, form.quota_code, value, submission.view["id"]
        )
    except DuplicateSubmission:
        return  # a retried submission: the first one already answered
    except PendingRequestExists as e:
        blocks = quota_request_blocks(e.pending) if e.pending else None
        await client.chat_postEphemeral(channel=channel_id, user=actor.user_id, text=e.message, blocks=blocks)
        return
    except UserFacingError as e:
        await client.chat_postEphemeral(channel=channel_id, user=actor.user_id, text=f":warning: {e.message}")
        return
    except Exception as e:  # noqa: BLE001
        await client.chat_postEphemeral(channel=channel_id, user=actor.user_id, text=unexpected_error_text(e))
        return
    await client.chat_postMessage(
        channel=channel_id,
        text=quota_request_text(request),
        blocks=quota_request_blocks(request, requested_by=actor.user_id),
    )
