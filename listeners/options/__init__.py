from slack_bolt.async_app import AsyncApp

from bolt_app.blocks.accounts import ORGANIZATION_ACCOUNT_ACTION
from bolt_app.blocks.cases.parts import CATEGORY_ACTION as CASE_CATEGORY_ACTION
from bolt_app.blocks.cases.parts import SERVICE_ACTION as CASE_SERVICE_ACTION
from bolt_app.blocks.cases.parts import SEVERITY_ACTION as CASE_SEVERITY_ACTION
from bolt_app.blocks.members import GROUPS_ACTION
from bolt_app.blocks.quotas import QUOTA_ACTION
from bolt_app.blocks.quotas import SERVICE_ACTION
from listeners.options.accounts import organization_account_options_listener
from listeners.options.cases import case_category_options
from listeners.options.cases import case_service_options
from listeners.options.cases import case_severity_options
from listeners.options.channels import member_groups_options
from listeners.options.quotas import quota_code_options
from listeners.options.quotas import quota_service_options


def register(app: AsyncApp) -> None:
    app.options(SERVICE_ACTION)(quota_service_options)
    app.options(QUOTA_ACTION)(quota_code_options)
    app.options(ORGANIZATION_ACCOUNT_ACTION)(organization_account_options_listener)
    app.options(CASE_SERVICE_ACTION)(case_service_options)
    app.options(CASE_CATEGORY_ACTION)(case_category_options)
    app.options(CASE_SEVERITY_ACTION)(case_severity_options)
    app.options(GROUPS_ACTION)(member_groups_options)
