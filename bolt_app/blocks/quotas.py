"""Blocks for service quota increases: the "Increase service quota" modal and the request's channel message."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any

from bolt_app.aws.quota_errors import MAX_DESIRED_VALUE
from bolt_app.blocks.common import NOT_A_CHOICE
from bolt_app.blocks.common import Block
from bolt_app.blocks.common import View
from bolt_app.blocks.common import actions
from bolt_app.blocks.common import button
from bolt_app.blocks.common import context
from bolt_app.blocks.common import cut_options
from bolt_app.blocks.common import escape
from bolt_app.blocks.common import modal
from bolt_app.blocks.common import mrkdwn
from bolt_app.blocks.common import plain
from bolt_app.blocks.common import section
from bolt_app.blocks.common import text_input
from bolt_app.blocks.common import type_ahead
from bolt_app.errors import UserFacingError
from bolt_app.services.choice import Choice
from bolt_app.services.context import ChannelAccount
from bolt_app.services.quotas.fields import ACCOUNT_FIELD
from bolt_app.services.quotas.fields import DEFAULT_REGION
from bolt_app.services.quotas.fields import QUOTA_FIELD
from bolt_app.services.quotas.fields import REGION_FIELD
from bolt_app.services.quotas.fields import REGIONS
from bolt_app.services.quotas.fields import SERVICE_FIELD
from bolt_app.services.quotas.fields import VALUE_FIELD
from bolt_app.services.quotas.models import QuotaDetails
from bolt_app.services.quotas.models import QuotaRequest
from bolt_app.services.quotas.models import format_value
from bolt_app.services.quotas.models import region_name
from bolt_app.services.quotas.models import utc_text
from bolt_app.services.quotas.models import with_unit

QUOTA_INCREASE_VIEW = "quota_increase_view"
# Block ids are the service's field names, so a UserFacingError's `field` points at its block.
ACCOUNT_BLOCK = ACCOUNT_FIELD
REGION_BLOCK = REGION_FIELD
SERVICE_BLOCK = SERVICE_FIELD
VALUE_BLOCK = VALUE_FIELD
DETAILS_BLOCK = "quota_details"
# Action ids: the selects dispatch on change, so the listener can refresh the modal.
ACCOUNT_ACTION = "quota_account"
REGION_ACTION = "quota_region"
SERVICE_ACTION = "quota_service"
QUOTA_ACTION = "quota_code"
CHECK_QUOTA_STATUS_ACTION = "quota_check_status"
REQUEST_BLOCK = "quota_request"

OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
TYPE_TO_NARROW = "type more of the name or code"


def quota_block_id(service_code: str | None) -> str:
    """The Quota block's id carries the service: a new id makes Slack drop the old pick when the service changes."""
    return f"{QUOTA_FIELD}.{service_code}" if service_code else QUOTA_FIELD


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(_fit(text, OPTION_TEXT_MAX)), "value": value[:OPTION_VALUE_MAX]}


# --- options for the selects --------------------------------------------------------------------------------


def region_options() -> list[dict[str, Any]]:
    """Every commercial Region: fewer than Slack's 100 options (a test holds it to that)."""
    return [_option(f"{name} · {code}", code) for code, name in REGIONS.items()]


def account_options(accounts: Sequence[ChannelAccount]) -> list[dict[str, Any]]:
    """Every account of the channel: a channel holds at most 100 (services.channels.ACCOUNTS_PER_CHANNEL, held
    to Slack's 100 options by a test)."""
    return [_option(a.account_shown, a.account_id) for a in accounts]


def service_options(services: Sequence[Choice]) -> list[dict[str, Any]]:
    return cut_options([_option(s.name, s.code) for s in services], TYPE_TO_NARROW)


def quota_options(quotas: Sequence[Choice]) -> list[dict[str, Any]]:
    return cut_options([_option(q.name, q.code) for q in quotas], TYPE_TO_NARROW)


# --- the modal ----------------------------------------------------------------------------------------------


def _select(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    dispatch: bool = True,
    hint: str | None = None,
) -> Block:
    block: Block = {"type": "input", "block_id": block_id, "label": plain(label), "element": element}
    if dispatch:
        block["dispatch_action"] = True
    if hint:
        block["hint"] = plain(hint)
    return block


def _static_select(action_id: str, options: list[dict[str, Any]], initial: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "static_select", "action_id": action_id, "options": options}
    chosen = next((o for o in options if o["value"] == initial), None)
    if chosen:
        element["initial_option"] = chosen
    return element


def _external_select(action_id: str, placeholder: str, initial: Choice | None) -> dict[str, Any]:
    return type_ahead(action_id, placeholder, _option(initial.name, initial.code) if initial else None)


def details_text(details: QuotaDetails) -> str:
    """Applied value, AWS default, unit and any open request, for the context block under Quota."""
    unit = details.unit if details.unit and details.unit != "None" else "none"
    lines = [
        f"*Applied value:* {format_value(details.applied_value)}   *AWS default value:* "
        f"{format_value(details.default_value)}   *Unit:* {unit}"
    ]
    if details.global_quota:
        lines.append("This quota is global: it counts in every Region.")
    if details.pending:
        lines.append(f":hourglass_flowing_sand: *Open request:* {details.pending.describe()}.")
    elif not details.pending_checked:
        lines.append(
            "Open requests could not be checked: the channel's role may not call "
            "servicequotas:ListRequestedServiceQuotaChangeHistoryByQuota."
        )
    return "\n".join(lines)


def warnings_text(details: QuotaDetails) -> str | None:
    """What would make AWS refuse the request, said before submit."""
    warnings = []
    if not details.adjustable:
        warnings.append(
            f":no_entry: {escape(details.quota_name)} cannot be adjusted: AWS refuses increase requests for it."
        )
    if details.pending:
        warnings.append(
            ":warning: AWS allows one open request per quota: a new request is refused until the open one "
            "is decided."
        )
    if details.applied_below_default:
        warnings.append(
            f":warning: The applied value ({with_unit(details.applied_value, details.unit)}) is below the AWS "
            f"default ({with_unit(details.default_value, details.unit)}). AWS refuses requests that do not "
            f"exceed the default: request more than {format_value(details.default_value)}."
        )
    return "\n".join(warnings) or None


def _value_hint(details: QuotaDetails | None) -> str:
    if details is None:
        return "Choose a quota to see its applied and default values."
    return (
        f"More than {format_value(details.must_exceed)} (the applied value and the AWS default value), "
        f"at most {MAX_DESIRED_VALUE:,}."
    )


def quota_modal(
    accounts: Sequence[ChannelAccount],
    region: str | None,
    service: Choice | None,
    quota: Choice | None,
    details: QuotaDetails | None,
    *,
    account_id: str | None = None,
    requested_value: str | None = None,
    error: str | None = None,
    metadata: str = "",
) -> View:
    """The "Increase service quota" modal; the account select shows only when the channel has several."""
    blocks: list[Block] = []
    if error:
        blocks.append(section(f":warning: {error}"))
    if len(accounts) > 1:
        chosen = account_id or accounts[0].account_id
        blocks.append(
            _select(
                ACCOUNT_BLOCK,
                "AWS account",
                _static_select(ACCOUNT_ACTION, account_options(accounts), chosen),
            )
        )
    blocks.append(
        _select(
            REGION_BLOCK,
            "AWS Region",
            _static_select(REGION_ACTION, region_options(), region or DEFAULT_REGION),
        )
    )
    blocks.append(
        _select(
            SERVICE_BLOCK,
            "Service",
            _external_select(SERVICE_ACTION, "Type to search services", service),
        )
    )
    if service is None:
        blocks.append(context("Choose a service to see its adjustable quotas."))
    else:
        blocks.append(
            _select(
                quota_block_id(service.code),
                "Quota",
                _external_select(QUOTA_ACTION, "Type to search adjustable quotas", quota),
                hint="Only quotas that AWS lets you adjust are listed.",
            )
        )
    if details is not None:
        blocks.append(_details_block(details))
        warning = warnings_text(details)
        if warning:
            blocks.append(context(warning))
    blocks.append(
        text_input(
            VALUE_BLOCK,
            "Requested value",
            initial=requested_value,
            max_length=20,
            placeholder=f"More than {format_value(details.must_exceed)}" if details else "A number",
            hint=_value_hint(details),
        )
    )
    return modal(
        QUOTA_INCREASE_VIEW,
        "Increase service quota",
        blocks,
        submit="Submit",
        close="Cancel",
        private_metadata=metadata,
    )


def _details_block(details: QuotaDetails) -> Block:
    block = context(details_text(details))
    block["block_id"] = DETAILS_BLOCK
    return block


@dataclass(frozen=True)
class QuotaForm:
    """What the user has picked or typed so far, from `view.state.values`."""

    account_id: str | None
    region: str
    service_code: str | None
    quota_code: str | None
    requested_value: str | None


def _selected(values: dict[str, Any], block_id: str, action_id: str) -> str | None:
    element = values.get(block_id, {}).get(action_id, {})
    option = element.get("selected_option")
    value = option.get("value") if option else None
    return None if value == NOT_A_CHOICE else value


def read_form(state: dict[str, Any]) -> QuotaForm:
    values: dict[str, Any] = state.get("values", {})
    service = _selected(values, SERVICE_BLOCK, SERVICE_ACTION)
    quota = _selected(values, quota_block_id(service), QUOTA_ACTION) if service else None
    return QuotaForm(
        account_id=_selected(values, ACCOUNT_BLOCK, ACCOUNT_ACTION),
        region=_selected(values, REGION_BLOCK, REGION_ACTION) or DEFAULT_REGION,
        service_code=service,
        quota_code=quota,
        requested_value=values.get(VALUE_BLOCK, {}).get("value", {}).get("value"),
    )


def field_errors(error: UserFacingError, service_code: str | None) -> dict[str, str] | None:
    """`{"response_action": "errors"}` content for an error about one field; None when it is about the whole."""
    if error.field is None:
        return None
    block_id = quota_block_id(service_code) if error.field == QUOTA_FIELD else error.field
    return {block_id: error.message[:2000]}


# --- the channel message ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusRef:
    """What "Check status" carries: enough to find the channel's role and ask AWS again."""

    account_id: str
    region: str
    request_id: str


def check_status_value(request: QuotaRequest) -> str:
    return json.dumps({"a": request.account_id, "r": request.region, "id": request.id}, separators=(",", ":"))


def parse_check_status_value(value: str) -> StatusRef:
    try:
        data = json.loads(value)
        return StatusRef(str(data["a"]), str(data["r"]), str(data["id"]))
    except (ValueError, KeyError, TypeError):
        raise UserFacingError("This button is from an older message; request the status again.") from None


_STATUS_EMOJI = {
    "PENDING": ":hourglass_flowing_sand:",
    "CASE_OPENED": ":envelope_with_arrow:",
    "APPROVED": ":white_check_mark:",
    "DENIED": ":x:",
    "NOT_APPROVED": ":x:",
    "INVALID_REQUEST": ":x:",
    "CASE_CLOSED": ":file_folder:",
}


def slack_date(moment: datetime) -> str:
    """A date Slack shows in each reader's time zone, with UTC text where it cannot."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return f"<!date^{int(aware.timestamp())}^{{date_short_pretty}} at {{time}}|{utc_text(aware)}>"


def quota_request_text(request: QuotaRequest) -> str:
    """Notification text of the message (and what screen readers say; Slack reads it as mrkdwn)."""
    return escape(
        f"Service quota increase request: {request.quota_name} ({request.service_name}) to "
        f"{with_unit(request.desired_value, request.unit)} in {request.region}, account "
        f"{request.account_shown}: {request.status_label}"
    )


def quota_request_blocks(
    request: QuotaRequest, *, requested_by: str | None = None, checked_at: datetime | None = None
) -> list[Block]:
    """The channel message for a request; "Check status" updates it in place."""
    emoji = _STATUS_EMOJI.get(request.status, ":grey_question:")
    fields = [
        ("AWS account", escape(request.account_shown)),
        ("AWS Region", f"{region_name(request.region)} ({request.region})"),
        ("Service", escape(request.service_name)),
        ("Quota", f"{escape(request.quota_name)} (`{request.quota_code}`)"),
        ("Requested value", with_unit(request.desired_value, request.unit)),
        ("Status", f"{emoji} {request.status_label}"),
        ("Request ID", f"`{request.id}`"),
    ]
    if request.case_id:
        fields.append(("Support case ID", f"`{request.case_id}`"))
    summary: Block = {
        "type": "section",
        "block_id": REQUEST_BLOCK,
        "text": mrkdwn("*Service quota increase request*"),
        "fields": [mrkdwn(f"*{label}*\n{value}"[:2000]) for label, value in fields],
    }
    blocks = [summary]
    notes = []
    if request.created:
        by = f" by <@{requested_by}>" if requested_by else ""
        notes.append(f"Requested{by} on {slack_date(request.created)}")
    if checked_at:
        notes.append(f"status checked {slack_date(checked_at)}")
    if notes:
        blocks.append(context(" · ".join(notes)))
    blocks.append(actions(button("Check status", CHECK_QUOTA_STATUS_ACTION, check_status_value(request))))
    return blocks
