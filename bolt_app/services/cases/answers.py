"""Support API answers as values: a described case, a communication."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from typing import Any

from bolt_app.services.cases.models import CaseSummary
from bolt_app.services.cases.models import Communication
from bolt_app.services.context import ChannelAccount


def parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def communication_of(raw: dict[str, Any]) -> Communication:
    return Communication(
        body=str(raw.get("body", "")),
        submitted_by=str(raw.get("submittedBy", "")),
        time_created=parse_time(raw.get("timeCreated")),
        attachment_names=tuple(str(a.get("fileName", "")) for a in raw.get("attachmentSet") or []),
    )


def summary_of(raw: dict[str, Any], channel: ChannelAccount) -> CaseSummary:
    recent = raw.get("recentCommunications") or {}
    return CaseSummary(
        case_id=str(raw.get("caseId", "")),
        display_id=str(raw.get("displayId") or ""),
        subject=str(raw.get("subject", "")),
        status=str(raw.get("status", "")),
        severity_code=str(raw.get("severityCode") or ""),
        service_code=str(raw.get("serviceCode") or ""),
        category_code=str(raw.get("categoryCode") or ""),
        submitted_by=str(raw.get("submittedBy") or ""),
        time_created=parse_time(raw.get("timeCreated")),
        language=str(raw.get("language") or ""),
        cc_emails=tuple(raw.get("ccEmailAddresses") or ()),
        account_id=channel.account_id,
        account_shown=channel.account_shown,
        recent=tuple(communication_of(c) for c in recent.get("communications") or []),
        more_communications=bool(recent.get("nextToken")),
    )
