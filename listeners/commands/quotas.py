"""`service-quota-increase`: opens "Increase service quota" at once; AWS is asked only after."""

from __future__ import annotations

from bolt_app.blocks.quotas import quota_modal
from bolt_app.services.quotas.fields import DEFAULT_REGION
from listeners.commands.aws_support import CommandRequest, subcommand
from listeners.common import configured_accounts, explain_errors, services_of, slack_actor
from listeners.quota_form import metadata


@subcommand("service-quota-increase", "request a service quota increase", ("quota",))
async def service_quota_increase_subcommand(request: CommandRequest) -> None:
    await request.ack()

    async def work() -> None:
        accounts = await configured_accounts(request.context, request.channel_id)
        view = quota_modal(accounts, None, None, None, None, metadata=metadata(request.channel_id))
        await request.client.views_open(trigger_id=request.trigger_id, view=view)
        # Warm the service list of the default Region while the user reads the modal, so the first
        # type-ahead answers from the cache well within Slack's 3 seconds.
        services = services_of(request.context).quotas
        await services.services(accounts[0], slack_actor(request.context), DEFAULT_REGION, None)

    await explain_errors(request.say_ephemeral, work)
