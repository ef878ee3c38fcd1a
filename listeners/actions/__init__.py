from slack_bolt.async_app import AsyncApp

from bolt_app.blocks.accounts import EDIT_ACCOUNT_NAME_ACTION, REMOVE_ACCOUNT_ACTION
from bolt_app.blocks.cases.parts import CATEGORY_ACTION as CASE_CATEGORY_ACTION
from bolt_app.blocks.cases.parts import (
    EDIT_SEARCH_ACTION,
    NEXT_RESULTS_ACTION,
    PREVIOUS_CORRESPONDENCE_ACTION,
    PREVIOUS_RESULTS_ACTION,
    REOPEN_ACTION,
    REPLY_ACTION,
    RESOLVE_ACTION,
    SEE_DETAILS_ACTION,
    SHARE_ACTION,
    SHOW_FULL_MESSAGE_ACTION,
)
from bolt_app.blocks.cases.parts import SERVICE_ACTION as CASE_SERVICE_ACTION
from bolt_app.blocks.channels import (
    ADD_CHANNEL_ACCOUNT_ACTION,
    CONFIGURE_ACCOUNT_ACTION,
    EDIT_CHANNEL_ACTION,
    REMOVE_CHANNEL_ACTION,
)
from bolt_app.blocks.members import WHO_ACTION
from bolt_app.blocks.quotas import (
    ACCOUNT_ACTION as QUOTA_ACCOUNT_ACTION,
)
from bolt_app.blocks.quotas import (
    CHECK_QUOTA_STATUS_ACTION,
    QUOTA_ACTION,
    REGION_ACTION,
    SERVICE_ACTION,
)
from bolt_app.services.cases.fields import CASE_ACCOUNT_BLOCK, ISSUE_TYPE_BLOCK
from listeners.actions.accounts import edit_account_name_clicked, remove_account_clicked
from listeners.actions.cases import (
    case_form_changed,
    edit_search_clicked,
    previous_correspondence_clicked,
    reopen_clicked,
    reply_clicked,
    resolve_clicked,
    search_results_page_clicked,
    see_details_clicked,
    share_clicked,
    show_full_message_clicked,
)
from listeners.actions.channels import (
    channel_form_clicked,
    configure_account_selected,
    remove_channel_clicked,
)
from listeners.actions.quotas import check_quota_status_clicked, quota_form_changed


def register(app: AsyncApp) -> None:
    app.action(EDIT_ACCOUNT_NAME_ACTION)(edit_account_name_clicked)
    app.action(REMOVE_ACCOUNT_ACTION)(remove_account_clicked)
    for action_id in (EDIT_CHANNEL_ACTION, ADD_CHANNEL_ACCOUNT_ACTION):
        app.action(action_id)(channel_form_clicked)
    app.action(REMOVE_CHANNEL_ACTION)(remove_channel_clicked)
    app.action(CONFIGURE_ACCOUNT_ACTION)(configure_account_selected)
    app.action(WHO_ACTION)(configure_account_selected)
    for action_id in (QUOTA_ACCOUNT_ACTION, REGION_ACTION, SERVICE_ACTION, QUOTA_ACTION):
        app.action(action_id)(quota_form_changed)
    app.action(CHECK_QUOTA_STATUS_ACTION)(check_quota_status_clicked)
    # Support cases: the create modal's dispatching choices (the account and issue type selects are inputs whose
    # action id is "value", so their block says which), then the buttons of case messages and search results.
    for constraints in (
        CASE_SERVICE_ACTION,
        CASE_CATEGORY_ACTION,
        {"block_id": CASE_ACCOUNT_BLOCK, "action_id": "value"},
        {"block_id": ISSUE_TYPE_BLOCK, "action_id": "value"},
    ):
        app.action(constraints)(case_form_changed)
    app.action(SEE_DETAILS_ACTION)(see_details_clicked)
    app.action(SHOW_FULL_MESSAGE_ACTION)(show_full_message_clicked)
    app.action(PREVIOUS_CORRESPONDENCE_ACTION)(previous_correspondence_clicked)
    app.action(REPLY_ACTION)(reply_clicked)
    app.action(REOPEN_ACTION)(reopen_clicked)
    app.action(RESOLVE_ACTION)(resolve_clicked)
    app.action(SHARE_ACTION)(share_clicked)
    for action_id in (NEXT_RESULTS_ACTION, PREVIOUS_RESULTS_ACTION):
        app.action(action_id)(search_results_page_clicked)
    app.action(EDIT_SEARCH_ACTION)(edit_search_clicked)
