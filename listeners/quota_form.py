"""State of the "Increase service quota" modal between Slack requests: what is chosen, and the quota's values
(kept in private_metadata so the submission is validated without calling AWS before `ack()`)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from bolt_app.blocks.common import NOT_A_CHOICE
from bolt_app.blocks.quotas import ACCOUNT_ACTION
from bolt_app.blocks.quotas import ACCOUNT_BLOCK
from bolt_app.blocks.quotas import QUOTA_ACTION
from bolt_app.blocks.quotas import SERVICE_ACTION
from bolt_app.blocks.quotas import SERVICE_BLOCK
from bolt_app.blocks.quotas import quota_block_id
from bolt_app.services.choice import Choice
from bolt_app.services.quotas.models import QuotaDetails


def chosen(state: dict[str, Any], block_id: str, action_id: str) -> Choice | None:
    option = state.get("values", {}).get(block_id, {}).get(action_id, {}).get("selected_option")
    if not option or option["value"] == NOT_A_CHOICE:
        return None
    return Choice(option["value"], option.get("text", {}).get("text") or option["value"])


def chosen_service(state: dict[str, Any]) -> Choice | None:
    return chosen(state, SERVICE_BLOCK, SERVICE_ACTION)


def chosen_quota(state: dict[str, Any], service: Choice | None) -> Choice | None:
    return chosen(state, quota_block_id(service.code), QUOTA_ACTION) if service else None


def chosen_account_id(state: dict[str, Any]) -> str | None:
    option = chosen(state, ACCOUNT_BLOCK, ACCOUNT_ACTION)
    return option.code if option else None


def metadata(channel_id: str, details: QuotaDetails | None = None) -> str:
    data: dict[str, Any] = {"channel_id": channel_id}
    if details is not None:
        data["details"] = asdict(details) | {"pending": None, "pending_checked": False}
    return json.dumps(data)


def details_from(meta: dict[str, Any]) -> QuotaDetails | None:
    raw = meta.get("details")
    return QuotaDetails(**raw) if isinstance(raw, dict) else None
