"""Small Block Kit pieces shared by the builders. Views are plain dicts: that is what the Web API takes."""

from __future__ import annotations

import json
from collections.abc import Callable
from collections.abc import Sequence
from typing import Any
from typing import TypeVar

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
MAX_OPTIONS = 100  # options of a select (static, or one answer to an external select's options request)
NOT_A_CHOICE = "not_a_choice"  # the value of an option that only says something (a cut list, a reason)


def more_line(hidden: int, where: str) -> Block:
    """Says that a list was cut, by how much, and where the rest is."""
    return context(f"… and {hidden} more: {where}")


def rows_that_fit(count: int, per_row: int, room: int) -> int:
    """How many rows of `per_row` blocks fit in `room` blocks, keeping one for "… and N more" when cut."""
    if count * per_row <= room:
        return count
    return max(room - 1, 0) // per_row


Row = TypeVar("Row")


def home_list_blocks(
    title: str,
    empty: str,
    rows: Sequence[Row],
    row_section: Callable[[Row], Block],
    elsewhere: str,
    max_blocks: int,
) -> list[Block]:
    """An App Home list: a heading with the count, one section per row, cut to fit with where the rest is."""
    if not rows:
        return [section(f"*{title}*\n{empty}")]
    shown = rows_that_fit(len(rows), 1, max_blocks - 1)  # below the heading
    blocks = [section(f"*{title}* ({len(rows)})"), *(row_section(row) for row in rows[:shown])]
    if shown < len(rows):
        blocks.append(more_line(len(rows) - shown, elsewhere))
    return blocks


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


def confirm_dialog(
    title: str, text: str, confirm: str, deny: str = "Cancel", *, style: str | None = None
) -> dict[str, Any]:
    dialog: dict[str, Any] = {
        "title": plain(title[:100]),
        "text": mrkdwn(text[:300]),
        "confirm": plain(confirm),
        "deny": plain(deny),
    }
    if style:
        dialog["style"] = style  # the dialog's confirm button: "danger" (red) or "primary"
    return dialog


def link_button(text: str, action_id: str, url: str) -> dict[str, Any]:
    """A button that opens `url` (Slack still sends the click, so `action_id` needs a listener that acks)."""
    return {"type": "button", "text": plain(text[:75]), "action_id": action_id, "url": url[:3000]}


def overflow(action_id: str, *choices: tuple[str, str]) -> dict[str, Any]:
    """An overflow menu ("…") of (text, value) choices: the quiet place for Edit and Remove."""
    return {"type": "overflow", "action_id": action_id, "options": [option(t, v) for t, v in choices][:5]}


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


def option(text: str, value: str, description: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"text": plain(text[:75]), "value": value[:150]}
    if description:
        element["description"] = plain(description[:75])
    return element


def note_option(text: str) -> dict[str, Any]:
    """An option that only says something: an options answer has no other place for text. Readers treat its
    value as nothing chosen."""
    return option(text, NOT_A_CHOICE)


def cut_options(
    options: list[dict[str, Any]], where: str = "type more to narrow the list"
) -> list[dict[str, Any]]:
    """At most Slack's 100 options; past that the last one says how many more there are and how to reach them."""
    if len(options) <= MAX_OPTIONS:
        return options
    shown = options[: MAX_OPTIONS - 1]
    return [*shown, note_option(f"… and {len(options) - len(shown)} more: {where}")]


def type_ahead(action_id: str, placeholder: str, initial: dict[str, Any] | None = None) -> dict[str, Any]:
    """An external select: its options come from the app's options listener as the user types (every list is
    offered at once, so nothing needs typing to start)."""
    element: dict[str, Any] = {
        "type": "external_select",
        "action_id": action_id,
        "placeholder": plain(placeholder[:150]),
        "min_query_length": 0,
    }
    if initial:
        element["initial_option"] = initial
    return element


def static_select(
    block_id: str, label: str, options: list[dict[str, Any]], initial_value: str | None = None
) -> Block:
    """A select of at most 100 options: a longer list is a caller's bug (page it or use `type_ahead`)."""
    if len(options) > MAX_OPTIONS:
        raise ValueError(f"{len(options)} options: a static select holds {MAX_OPTIONS}")
    element: dict[str, Any] = {"type": "static_select", "action_id": "value", "options": options}
    initial = next((o for o in options if o["value"] == initial_value), None)
    if initial:
        element["initial_option"] = initial
    return input_block(block_id, label, element)


def input_block(block_id: str, label: str, element: dict[str, Any]) -> Block:
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
        return selected["value"] if selected and selected["value"] != NOT_A_CHOICE else None
    return element.get("value")


def input_values(state: dict[str, Any], block_id: str) -> list[str]:
    """The values of the checked options of a checkbox group (or a multi-select)."""
    element = _element(state, block_id, None)
    return [o["value"] for o in element.get("selected_options") or []]
