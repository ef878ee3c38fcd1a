"""Case values to render and ways to look into Block Kit (walk, buttons, inputs, text, Slack's limits)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.helpers.values import CREATED
from tests.helpers.values import DEV
from tests.helpers.values import PROD
from tests.helpers.values import WORKSPACE
from tests.helpers.values import a_case

__all__ = ["CREATED", "DEV", "PROD", "WORKSPACE", "a_case"]


# ---- walking Block Kit ----------------------------------------------------------------------------------------


def walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def buttons(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {n["text"]["text"]: n for n in walk(blocks) if n.get("type") == "button"}


def inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}


def text_of(blocks: list[dict[str, Any]]) -> str:
    return "\n".join(n["text"] for n in walk(blocks) if n.get("type") in ("mrkdwn", "plain_text"))


def assert_within_slack_limits(blocks: list[dict[str, Any]], max_blocks: int) -> None:
    assert len(blocks) <= max_blocks
    for node in walk(blocks):
        if node.get("type") == "section" and "text" in node:
            assert len(node["text"]["text"]) <= 3000
        if node.get("type") == "button":
            assert len(node["text"]["text"]) <= 75 and len(node.get("value", "")) <= 2000
        if "options" in node:
            assert len(node["options"]) <= 100
            for o in node["options"]:
                assert len(o["text"]["text"]) <= 75 and len(o["value"]) <= 150
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))


def assert_view_within_limits(view: dict[str, Any]) -> None:
    for key in ("title", "submit", "close"):
        if key in view:
            assert len(view[key]["text"]) <= 24
    assert len(view["private_metadata"]) <= 3000
    assert_within_slack_limits(view["blocks"], 100)
