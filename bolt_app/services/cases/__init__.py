"""Support cases: `fields` (form ids and limits), `models` (values), `validation` (form rules), `search` (merge
and page tokens), `answers` (AWS answers as values), `catalogue` (cached pickers), `service` (the use cases on
AWS), `channel_actions` (a channel's change to a case, its note to notifications and its Slack message).

The values other features read are handed on here."""

from bolt_app.aws.support import SUPPORT_REGION
from bolt_app.aws.support import SUPPORT_SERVICE
from bolt_app.services.cases.fields import LANGUAGES
from bolt_app.services.cases.models import RESOLVED
from bolt_app.services.cases.models import CaseSummary
from bolt_app.services.cases.models import Communication
from bolt_app.services.cases.service import CaseService

__all__ = [
    "LANGUAGES",
    "RESOLVED",
    "SUPPORT_REGION",
    "SUPPORT_SERVICE",
    "CaseService",
    "CaseSummary",
    "Communication",
]
