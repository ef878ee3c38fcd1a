"""Escaping for Slack's mrkdwn, below every layer that writes it (builders, and the messages of errors)."""

from __future__ import annotations


def escape(text: str) -> str:
    """Text from users or AWS inside mrkdwn: `<`, `>` and `&` would otherwise form links and mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
