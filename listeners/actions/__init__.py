from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bolt_app.blocks.accounts import EDIT_ACCOUNT_NAME_ACTION
from bolt_app.blocks.accounts import HOME_ACCOUNT_MENU_ACTION
from bolt_app.blocks.accounts import REMOVE_ACCOUNT_ACTION
from bolt_app.blocks.accounts import SHOW_POLICIES_ACTION
from bolt_app.blocks.audit import AUDIT_NEXT_ACTION
from bolt_app.blocks.cases import parts
from bolt_app.blocks.channels import ADD_CHANNEL_ACCOUNT_ACTION
from bolt_app.blocks.channels import CONFIGURE_ACCOUNT_ACTION
from bolt_app.blocks.channels import EDIT_CHANNEL_ACTION
from bolt_app.blocks.channels import HOME_CHANNEL_MENU_ACTION
from bolt_app.blocks.channels import REMOVE_CHANNEL_ACTION
from bolt_app.blocks.home import HOME_CHANNEL_ACTION
from bolt_app.blocks.home import HOME_CREATE_CASE_ACTION
from bolt_app.blocks.home import HOME_SEARCH_CASES_ACTION
from bolt_app.blocks.members import WHO_ACTION
from bolt_app.blocks.quotas import ACCOUNT_ACTION as QUOTA_ACCOUNT_ACTION
from bolt_app.blocks.quotas import CHECK_QUOTA_STATUS_ACTION
from bolt_app.blocks.quotas import QUOTA_ACTION
from bolt_app.blocks.quotas import REGION_ACTION
from bolt_app.blocks.quotas import SERVICE_ACTION
from bolt_app.services.cases.fields import CASE_ACCOUNT_BLOCK
from bolt_app.services.cases.fields import ISSUE_TYPE_BLOCK
from listeners.actions.accounts import edit_account_name_clicked
from listeners.actions.accounts import remove_account_clicked
from listeners.actions.accounts import show_policies_clicked
from listeners.actions.audit import audit_next_page_clicked
from listeners.actions.cases import case_form_changed
from listeners.actions.cases import edit_search_clicked
from listeners.actions.cases import previous_correspondence_clicked
from listeners.actions.cases import reopen_clicked
from listeners.actions.cases import reply_clicked
from listeners.actions.cases import resolve_clicked
from listeners.actions.cases import search_results_page_clicked
from listeners.actions.cases import see_details_clicked
from listeners.actions.cases import share_clicked
from listeners.actions.cases import show_full_message_clicked
from listeners.actions.channels import channel_form_clicked
from listeners.actions.channels import configure_account_selected
from listeners.actions.channels import remove_channel_clicked
from listeners.actions.home import home_account_menu
from listeners.actions.home import home_cases_clicked
from listeners.actions.home import home_channel_chosen
from listeners.actions.home import home_channel_menu
from listeners.actions.quotas import check_quota_status_clicked
from listeners.actions.quotas import quota_form_changed


async def link_clicked(ack: AsyncAck) -> None:
    """A link button opens its page in the browser; Slack still reports the click, which only needs an ack."""
    await ack()


def register(app: AsyncApp) -> None:
    app.action(EDIT_ACCOUNT_NAME_ACTION)(edit_account_name_clicked)
    app.action(REMOVE_ACCOUNT_ACTION)(remove_account_clicked)
    app.action(SHOW_POLICIES_ACTION)(show_policies_clicked)
    for action_id in (EDIT_CHANNEL_ACTION, ADD_CHANNEL_ACCOUNT_ACTION):
        app.action(action_id)(channel_form_clicked)
    app.action(REMOVE_CHANNEL_ACTION)(remove_channel_clicked)
    app.action(CONFIGURE_ACCOUNT_ACTION)(configure_account_selected)
    for action_id in (HOME_CREATE_CASE_ACTION, HOME_SEARCH_CASES_ACTION):
        app.action(action_id)(home_cases_clicked)
    app.action(HOME_CHANNEL_ACTION)(home_channel_chosen)
    app.action(HOME_ACCOUNT_MENU_ACTION)(home_account_menu)
    app.action(HOME_CHANNEL_MENU_ACTION)(home_channel_menu)
    app.action(WHO_ACTION)(configure_account_selected)
    for action_id in (QUOTA_ACCOUNT_ACTION, REGION_ACTION, SERVICE_ACTION, QUOTA_ACTION):
        app.action(action_id)(quota_form_changed)
    app.action(CHECK_QUOTA_STATUS_ACTION)(check_quota_status_clicked)
    # Support cases: the create modal's dispatching choices (the account and issue type selects are inputs whose
    # action id is "value", so their block says which), then the buttons of case messages and search results.
    for constraints in (
        parts.SERVICE_ACTION,
        parts.CATEGORY_ACTION,
        {"block_id": CASE_ACCOUNT_BLOCK, "action_id": "value"},
        {"block_id": ISSUE_TYPE_BLOCK, "action_id": "value"},
    ):
        app.action(constraints)(case_form_changed)
    app.action(parts.SEE_DETAILS_ACTION)(see_details_clicked)
    app.action(parts.SHOW_FULL_MESSAGE_ACTION)(show_full_message_clicked)
    app.action(parts.PREVIOUS_CORRESPONDENCE_ACTION)(previous_correspondence_clicked)
    app.action(parts.REPLY_ACTION)(reply_clicked)
    app.action(parts.REOPEN_ACTION)(reopen_clicked)
    app.action(parts.RESOLVE_ACTION)(resolve_clicked)
    app.action(parts.SHARE_ACTION)(share_clicked)
    app.action(parts.SUPPORT_CENTER_ACTION)(link_clicked)
    for action_id in (parts.NEXT_RESULTS_ACTION, parts.PREVIOUS_RESULTS_ACTION):
        app.action(action_id)(search_results_page_clicked)
    app.action(parts.EDIT_SEARCH_ACTION)(edit_search_clicked)
    app.action(AUDIT_NEXT_ACTION)(audit_next_page_clicked)
