from slack_bolt.async_app import AsyncApp

from bolt_app.blocks.accounts import EDIT_ACCOUNT_NAME_ACTION, REMOVE_ACCOUNT_ACTION
from bolt_app.blocks.channels import (
    ADD_CHANNEL_ACCOUNT_ACTION,
    CONFIGURE_ACCOUNT_ACTION,
    EDIT_CHANNEL_ACTION,
    REMOVE_CHANNEL_ACTION,
)
from bolt_app.blocks.quotas import (
    ACCOUNT_ACTION as QUOTA_ACCOUNT_ACTION,
)
from bolt_app.blocks.quotas import (
    CHECK_QUOTA_STATUS_ACTION,
    QUOTA_ACTION,
    REGION_ACTION,
    SERVICE_ACTION,
)
from listeners.actions.accounts import edit_account_name_clicked, remove_account_clicked
from listeners.actions.channels import (
    add_channel_account_clicked,
    configure_account_selected,
    edit_channel_clicked,
    remove_channel_clicked,
)
from listeners.actions.quotas import check_quota_status_clicked, quota_form_changed


def register(app: AsyncApp) -> None:
    app.action(EDIT_ACCOUNT_NAME_ACTION)(edit_account_name_clicked)
    app.action(REMOVE_ACCOUNT_ACTION)(remove_account_clicked)
    app.action(EDIT_CHANNEL_ACTION)(edit_channel_clicked)
    app.action(REMOVE_CHANNEL_ACTION)(remove_channel_clicked)
    app.action(ADD_CHANNEL_ACCOUNT_ACTION)(add_channel_account_clicked)
    app.action(CONFIGURE_ACCOUNT_ACTION)(configure_account_selected)
    for action_id in (QUOTA_ACCOUNT_ACTION, REGION_ACTION, SERVICE_ACTION, QUOTA_ACTION):
        app.action(action_id)(quota_form_changed)
    app.action(CHECK_QUOTA_STATUS_ACTION)(check_quota_status_clicked)
