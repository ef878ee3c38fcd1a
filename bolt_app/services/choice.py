"""A choice offered in a picker (a support service's category, a severity, a Service Quotas service or quota)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Choice:
    """Its code (the option's value) and the name shown."""

    code: str
    name: str
