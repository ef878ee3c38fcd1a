"""The shapes of the identifiers the app accepts from outside (Slack, AWS events, links, files, the command line).

All ASCII, and always checked with `fullmatch`: `\\d` would accept Unicode digits such as "١٢٣", and `$` a
trailing newline.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable

ACCOUNT_ID = re.compile(r"[0-9]{12}", re.ASCII)
ROLE_ARN = re.compile(
    r"arn:aws:iam::(?P<account>[0-9]{12}):role/(?P<name>[A-Za-z0-9_+=,.@/-]{1,512})", re.ASCII
)
TEAM_ID = re.compile(r"[TE][A-Z0-9]{2,30}", re.ASCII)  # a workspace, or an org for an org-wide install
ENTERPRISE_ID = re.compile(r"E[A-Z0-9]{2,30}", re.ASCII)
CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,30}", re.ASCII)
CASE_ID = re.compile(r"case-[A-Za-z0-9-]{1,59}", re.ASCII)
USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}", re.ASCII)  # a Slack user (W… on Enterprise Grid)


def is_account_id(value: object) -> bool:
    return isinstance(value, str) and ACCOUNT_ID.fullmatch(value) is not None


def is_case_id(value: object) -> bool:
    return isinstance(value, str) and CASE_ID.fullmatch(value) is not None


def identifier_argument(pattern: re.Pattern[str], what: str, empty_ok: bool = False) -> Callable[[str], str]:
    """An argparse `type=`: the value if it matches `pattern` whole, else the error "'x' is not <what>"."""

    def parse(value: str) -> str:
        if (empty_ok and value == "") or pattern.fullmatch(value):
            return value
        raise argparse.ArgumentTypeError(f"{value!r} is not {what}")

    return parse
