"""Blocks for support cases: `forms` (the create, search, reply and reopen modals and their readers), `messages`
(case summaries, details, correspondence, search results) and `parts` (ids, limits, references, text pieces).
Labels follow the original product. What the notification messages build on is handed on here."""

from bolt_app.blocks.cases.messages import case_summary_blocks
from bolt_app.blocks.cases.parts import REPLY_ACTION
from bolt_app.blocks.cases.parts import SHOW_FULL_MESSAGE_ACTION
from bolt_app.blocks.cases.parts import CaseRef
from bolt_app.blocks.cases.parts import opened_by
from bolt_app.blocks.cases.parts import severity_name
from bolt_app.blocks.cases.parts import status_name
from bolt_app.blocks.cases.parts import when

__all__ = [
    "REPLY_ACTION",
    "SHOW_FULL_MESSAGE_ACTION",
    "CaseRef",
    "case_summary_blocks",
    "opened_by",
    "severity_name",
    "status_name",
    "when",
]
