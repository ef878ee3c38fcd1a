"""Pure pieces of the case listeners: what a message shortcut prefills, where a click happened."""

from __future__ import annotations

from bolt_app.blocks.cases.parts import TEXT_INPUT_CHARS
from listeners.case_flow import MessageClick
from listeners.case_flow import message_click
from listeners.case_flow import prefill_from_message

LINK = "https://test-team.slack.com/archives/C1/p1700000000000100"


def test_the_first_non_empty_line_is_the_subject_and_the_link_follows_the_text() -> None:
    prefill = prefill_from_message("\n  Lambda timeouts  \nsince 09:00", LINK)
    assert prefill.subject == "Lambda timeouts"
    assert prefill.description == f"Lambda timeouts  \nsince 09:00\n\nFrom Slack: {LINK}"


def test_a_long_message_is_cut_so_the_link_back_survives_slacks_input_limit() -> None:
    prefill = prefill_from_message("x" * 5000, LINK)
    assert len(prefill.description) == TEXT_INPUT_CHARS
    assert prefill.description.endswith(f"…\n\nFrom Slack: {LINK}")
    assert prefill_from_message("").subject == "" and prefill_from_message("").description == ""


def test_a_click_says_whether_its_message_can_be_updated_in_place() -> None:
    in_channel = {"channel": {"id": "C1"}, "container": {"message_ts": "1.2", "is_ephemeral": False}}
    assert message_click(in_channel) == MessageClick("C1", "1.2", False)
    ephemeral = {"container": {"channel_id": "C2", "message_ts": "3.4", "is_ephemeral": True}}
    assert message_click(ephemeral) == MessageClick("C2", "3.4", True)
