"""Small Block Kit pieces shared by the builders. Views are plain dicts: that is what the Web API takes."""

from __future__ import annotations

import json
from typing import Any

from bolt_app.mrkdwn import escape  # noqa: F401  (re-exported: the builders' one escape)

Block = dict[str, Any]
View = dict[str, Any]


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def section(text: str, accessory: dict[str, Any] | None = None, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text[:3000])}
    if accessory:
        block["accessory"] = accessory
    if block_id:
        block["block_id"] = block_id
    return block


def context(text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text[:3000])]}


MESSAGE_BLOCKS = 50  # Block Kit: at most 50 blocks in a message, 100 in a modal or App Home
VIEW_BLOCKS = 100
MAX_OPTIONS = 100  # options of a static select


def more_line(hidden: int, where: str) -> Block:
    """Says that a list was cut, by how much, and where the rest is."""
    return context(f"… and {hidden} more: {where}")


def divider() -> Block:
    return {"type": "divider"}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text[:150])}


def code(text: str) -> str:
    return f"```{text}```"


def json_code(document: object) -> str:
    return code(json.dumps(document, indent=2))


def button(
    text: str,
    action_id: str,
    value: str = "",
    style: str | None = None,
    confirm: dict[str, Any] | None = None,
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "button", "text": plain(text[:75]), "action_id": action_id}
    if value:
        element["value"] = value[:2000]
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    return element


def confirm_dialog(title: str, text: str, confirm: str, deny: str = "Cancel") -> dict[str, Any]:
    return {
        "title": plain(title[:100]),
        "text": mrkdwn(text[:300]),
        "confirm": plain(confirm),
        "deny": plain(deny),
    }


def actions(*elements: dict[str, Any], block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def text_input(
    block_id: str,
    label: str,
    *,
    initial: str | None = None,
    optional: bool = False,
    multiline: bool = False,
    max_length: int | None = None,
    placeholder: str | None = None,
    hint: str | None = None,
) -> Block:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": "value", "multiline": multiline}
    if initial:
        element["initial_value"] = initial
    if max_length:
        element["max_length"] = max_length
    if placeholder:
        element["placeholder"] = plain(placeholder[:150])
    block: Block = {"type": "input", "block_id": block_id, "label": plain(label), "element": element}
    if optional:
        block["optional"] = True
    if hint:
        block["hint"] = plain(hint[:2000])
    return block


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text[:75]), "value": value[:150]}


def static_select(
    block_id: str, label: str, options: list[dict[str, Any]], initial_value: str | None = None
) -> Block:
    element: dict[str, Any] = {"type": "static_select", "action_id": "value", "options": options[:100]}
    initial = next((o for o in options if o["value"] == initial_value), None)
    if initial:
        element["initial_option"] = initial
    return {"type": "input", "block_id": block_id, "label": plain(label), "element": element}


def modal(
    callback_id: str,
    title: str,
    blocks: list[Block],
    *,
    submit: str | None = None,
    close: str = "Cancel",
    private_metadata: str = "",
) -> View:
    view: View = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title[:24]),
        "close": plain(close[:24]),
        "blocks": blocks[:100],
        "private_metadata": private_metadata[:3000],
    }
    if submit:
        view["submit"] = plain(submit[:24])
    return view


def message_modal(title: str, text: str, *, close: str = "Close") -> View:
    """A modal that only tells something (progress, an outcome)."""
    return modal("message", title, [section(text)], close=close)


def _element(state: dict[str, Any], block_id: str, action_id: str | None) -> dict[str, Any]:
    block = state.get("values", {}).get(block_id, {})
    if action_id is None:  # inputs use "value"; a dispatching select keeps its own action id
        return next(iter(block.values()), {}) if block else {}
    return block.get(action_id, {})


def input_value(state: dict[str, Any], block_id: str, action_id: str | None = None) -> str | None:
    """The text of an input, or the value of the selected option of a select or radio group."""
    element = _element(state, block_id, action_id)
    if "selected_option" in element:
        selected = element.get("selected_option")
        return selected["value"] if selected else None
    return element.get("value")


def input_values(state: dict[str, Any], block_id: str) -> list[str]:
    """The values of the checked options of a checkbox group (or a multi-select)."""
    element = _element(state, block_id, None)
    return [o["value"] for o in element.get("selected_options") or []]
