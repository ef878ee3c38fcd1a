"""What a channel is told about a case, as values: the Slack adapter renders them (bolt_app/blocks/notifications.py)."""

from __future__ import annotations

from dataclasses import dataclass

from bolt_app.services.cases import CaseSummary
from bolt_app.services.cases import Communication

AWS_AUTHOR = "Amazon Web Services"  # how AWS Support signs its own correspondence


def is_from_aws(communication: Communication) -> bool:
    return communication.submitted_by.strip() == AWS_AUTHOR


@dataclass(frozen=True)
class CaseMessage:
    """One message about a case: its root (`root`, also what an update of the root shows), a new correspondence
    (`correspondence`, with `communication`), or a lifecycle change (`resolved`, `reopened`)."""

    kind: str
    case: CaseSummary
    communication: Communication | None = None
    by: str = ""  # the Slack user who resolved or reopened the case through the app, when it was one
