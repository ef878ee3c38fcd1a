"""The notification rules, as one table used by the modal tests and the `channels apply` tests."""

from __future__ import annotations

# (severity, new_and_reopened, correspondence, resolved) -> words of the error, or None when allowed
NOTIFICATION_RULES: list[tuple[str, bool, bool, bool, str | None]] = [
    ("all", True, True, True, None),
    ("all", False, True, False, None),
    ("all", False, False, False, "choose at least one"),
    ("high", False, False, True, None),
    ("high", False, False, False, "choose at least one"),
    ("none", False, False, False, None),
    ("none", True, False, False, "leave New and reopened cases"),
    ("none", False, False, True, "leave New and reopened cases"),
]
