from slack_bolt.async_app import AsyncApp

from bolt_app.blocks.accounts import AUTHORIZE_ACCOUNT_VIEW
from bolt_app.blocks.accounts import REGISTER_ORGANIZATION_VIEW
from bolt_app.blocks.accounts import REMOVE_ACCOUNT_VIEW
from bolt_app.blocks.accounts import RENAME_ACCOUNT_VIEW
from bolt_app.blocks.cases.parts import CREATE_CASE_VIEW
from bolt_app.blocks.cases.parts import REOPEN_CASE_VIEW
from bolt_app.blocks.cases.parts import REPLY_CASE_VIEW
from bolt_app.blocks.cases.parts import SEARCH_CASES_VIEW
from bolt_app.blocks.channels import CONFIGURE_CHANNEL_VIEW
from bolt_app.blocks.channels import REMOVE_CHANNEL_VIEW
from bolt_app.blocks.quotas import QUOTA_INCREASE_VIEW
from listeners.views.accounts import authorize_account_submitted
from listeners.views.accounts import register_organization_submitted
from listeners.views.accounts import rename_account_submitted
from listeners.views.cases import create_case_submitted
from listeners.views.cases import reopen_submitted
from listeners.views.cases import reply_submitted
from listeners.views.cases import search_cases_submitted
from listeners.views.channels import configure_channel_submitted
from listeners.views.home import remove_account_confirmed
from listeners.views.home import remove_channel_confirmed
from listeners.views.quotas import quota_increase_submitted


def register(app: AsyncApp) -> None:
    app.view(AUTHORIZE_ACCOUNT_VIEW)(authorize_account_submitted)
    app.view(RENAME_ACCOUNT_VIEW)(rename_account_submitted)
    app.view(REGISTER_ORGANIZATION_VIEW)(register_organization_submitted)
    app.view(CONFIGURE_CHANNEL_VIEW)(configure_channel_submitted)
    app.view(QUOTA_INCREASE_VIEW)(quota_increase_submitted)
    app.view(CREATE_CASE_VIEW)(create_case_submitted)
    app.view(SEARCH_CASES_VIEW)(search_cases_submitted)
    app.view(REPLY_CASE_VIEW)(reply_submitted)
    app.view(REOPEN_CASE_VIEW)(reopen_submitted)
    app.view(REMOVE_ACCOUNT_VIEW)(remove_account_confirmed)
    app.view(REMOVE_CHANNEL_VIEW)(remove_channel_confirmed)
