from slack_bolt.async_app import AsyncApp

from bolt_app.blocks.quotas import QUOTA_ACTION, SERVICE_ACTION
from listeners.options.quotas import quota_code_options, quota_service_options


def register(app: AsyncApp) -> None:
    app.options(SERVICE_ACTION)(quota_service_options)
    app.options(QUOTA_ACTION)(quota_code_options)
