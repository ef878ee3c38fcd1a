"""The fields of the case forms and the limits their values must keep: plain constants, shared by the rules that
check a form (`validation`) and the modals that show it (`bolt_app.blocks.cases`).

A block id is the field's name: a validation error names it, so a modal shows each error under its input.
"""

from __future__ import annotations

CASE_ACCOUNT_BLOCK = "aws_account"
SUBJECT_BLOCK = "subject"
DESCRIPTION_BLOCK = "description"
ISSUE_TYPE_BLOCK = "issue_type"
SERVICE_BLOCK = "service"
CATEGORY_BLOCK = "category"
SEVERITY_BLOCK = "severity"
LANGUAGE_BLOCK = "language"
CC_BLOCK = "cc_emails"
ATTACHMENTS_BLOCK = "attachments"
MESSAGE_BLOCK = "message"
SEARCH_ACCOUNT_BLOCK = "search_account"
SEARCH_AFTER_BLOCK = "search_after"
SEARCH_BEFORE_BLOCK = "search_before"
SEARCH_STATUS_BLOCK = "search_status"
SEARCH_LANGUAGE_BLOCK = "search_language"
SEARCH_CASE_ID_BLOCK = "search_case_id"

MAX_SUBJECT_CHARS = 250  # the API sets none; a subject is one line (reference §3.1 recommends 250)
MAX_BODY_CHARS = 8000  # communicationBody, signature line included
MAX_CC_EMAILS = 10
MAX_EMAIL_CHARS = 254
MAX_ATTACHMENTS = 3
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
SEARCH_PAGE_SIZE = 5

ISSUE_TYPES = {"technical": "Technical", "customer-service": "Account and billing"}
LANGUAGES = {"en": "English", "ja": "Japanese", "zh": "Chinese", "ko": "Korean"}
