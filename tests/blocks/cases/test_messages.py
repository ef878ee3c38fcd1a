"""Case messages: summaries, details, correspondence and search results, with their buttons and limits."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import date
from datetime import datetime

from bolt_app.blocks.cases import parts
from bolt_app.blocks.cases.messages import case_details_blocks
from bolt_app.blocks.cases.messages import case_summary_blocks
from bolt_app.blocks.cases.messages import full_message_modal
from bolt_app.blocks.cases.messages import previous_correspondence_blocks
from bolt_app.blocks.cases.messages import resolve_confirm
from bolt_app.blocks.cases.messages import search_results_blocks
from bolt_app.services.cases.models import Communication
from bolt_app.services.cases.models import SearchFilter
from bolt_app.services.cases.models import SearchPage
from tests.blocks.cases.kit import CREATED
from tests.blocks.cases.kit import a_case
from tests.blocks.cases.kit import assert_view_within_limits
from tests.blocks.cases.kit import assert_within_slack_limits
from tests.blocks.cases.kit import buttons
from tests.blocks.cases.kit import text_of
from tests.blocks.cases.kit import walk


def test_case_summary_shows_the_case_and_its_buttons() -> None:
    blocks = case_summary_blocks(a_case())
    text = text_of(blocks)
    for words in ("1700000001", "EC2 instance unreachable", "Production system impaired", "Opened"):
        assert words in text
    assert "Prod (210987654321)" in text
    found = buttons(blocks)
    assert list(found) == ["See details", "Reply", "Resolve case", "View in Support Center"]
    assert {b["action_id"] for b in found.values()} == {
        parts.SEE_DETAILS_ACTION,
        parts.REPLY_ACTION,
        parts.RESOLVE_ACTION,
        parts.SUPPORT_CENTER_ACTION,
    }
    assert parts.CaseRef.decode(found["Reply"]["value"]) == parts.CaseRef(
        "210987654321", a_case().case_id, "en"
    )
    assert found["Resolve case"]["confirm"] == resolve_confirm(a_case())
    assert resolve_confirm(a_case())["title"]["text"] == "Resolve case"
    assert resolve_confirm(a_case())["confirm"]["text"] == "Resolve case"
    assert_within_slack_limits(blocks, 50)


def test_a_case_opened_here_names_its_slack_opener_and_links_to_support_center() -> None:
    blocks = case_summary_blocks(a_case(opened_by="U42", service_name="EC2 - Linux"))
    facts = text_of([b for b in blocks if b["type"] == "context"])
    assert "Opened by <@U42>" in facts and "AWSSupportSlackRole" not in facts
    assert "Service: EC2 - Linux" in facts
    link = buttons(blocks)["View in Support Center"]
    assert link["url"] == "https://support.console.aws.amazon.com/support/home#/case/?displayId=1700000001"
    # Opened elsewhere (console, API): whom AWS names, escaped; without a display ID yet, no link.
    other = case_summary_blocks(a_case(display_id="", submitted_by="Admin (Role) <jane@example.com>"))
    assert "Opened by Admin (Role) &lt;jane@example.com&gt;" in text_of(other)
    assert "View in Support Center" not in buttons(other)


def test_resolve_case_is_a_normal_button_whose_confirmation_is_the_danger() -> None:
    for blocks in (case_summary_blocks(a_case()), case_details_blocks(a_case())):
        resolve = buttons(blocks)["Resolve case"]
        assert "style" not in resolve and resolve["confirm"]["style"] == "danger"
        assert buttons(blocks).get("See details", {}).get("style") in (None, "primary")


def test_a_resolved_case_offers_reopen_instead_of_resolve() -> None:
    found = buttons(case_summary_blocks(a_case(status="resolved")))
    assert "Resolve case" not in found and found["Reopen case"]["action_id"] == parts.REOPEN_ACTION


def test_text_from_users_and_aws_cannot_mention_or_link() -> None:
    blocks = case_details_blocks(
        a_case(subject="<!channel> & <https://evil|click>", recent=(Communication("<@U1>", "x", None),))
    )
    text = text_of(blocks)
    assert "<!channel>" not in text and "&lt;!channel&gt; &amp;" in text and "&lt;@U1&gt;" in text


def test_case_details_show_fields_latest_correspondence_and_actions() -> None:
    created, answered, asked = (datetime(2026, 11, d, 9, 30, tzinfo=UTC) for d in (2, 4, 3))
    case = a_case(
        time_created=created,
        submitted_by="DevOpsRole (Role) <T0009.U77>",
        cc_emails=("a@example.com", "b@example.com"),
        account_shown="Staging (310987654321)",
        recent=(
            Communication("Please send logs.", "Amazon Web Services", answered, ("howto.pdf",)),
            Communication("Original", "me", asked),
        ),
    )
    blocks = case_details_blocks(
        case,
        service_names={case.service_code: "EC2 - Linux"},
        category_names={case.category_code: "Instance Issue"},
    )
    text = text_of(blocks)
    for words in (
        "*Status*\nOpened",
        "*Severity*\nProduction system impaired",
        "*Service*\nEC2 - Linux",
        "*Category*\nInstance Issue",
        f"*Created*\n<!date^{int(created.timestamp())}^",
        "*Opened by*\nDevOpsRole (Role) &lt;T0009.U77&gt;",  # opened elsewhere: whom AWS names
        "*Additional contacts*\na@example.com, b@example.com",
        "*AWS account*\nStaging (310987654321)",
        f"*Latest correspondence* from Amazon Web Services, <!date^{int(answered.timestamp())}^",
        "Please send logs.",
        "Attachments: howto.pdf",
    ):
        assert words in text
    assert "Original" not in text and str(int(asked.timestamp())) not in text
    assert list(buttons(blocks)) == [
        "Reply",
        "Resolve case",
        "Previous correspondence",
        "Share to channel",
        "View in Support Center",
    ]
    assert buttons(blocks)["Share to channel"]["action_id"] == parts.SHARE_ACTION
    assert_within_slack_limits(blocks, 50)


def test_a_long_correspondence_is_cut_with_show_full_message() -> None:
    body = "word " * 1600  # 8000 characters, AWS's maximum
    case = a_case(recent=(Communication(body, "Amazon Web Services", CREATED),))
    blocks = case_details_blocks(case)
    assert buttons(blocks)["Show full message"]["action_id"] == parts.SHOW_FULL_MESSAGE_ACTION
    assert_within_slack_limits(blocks, 50)
    full = full_message_modal(case, case.recent[0])
    assert "".join(b["text"]["text"] for b in full["blocks"][1:]) == body
    assert_view_within_limits(full)


def test_resolved_case_details_offer_reopen() -> None:
    found = buttons(case_details_blocks(a_case(status="resolved", recent=())))
    assert list(found) == ["Reply", "Reopen case", "Share to channel", "View in Support Center"]


def test_previous_correspondence_pages_with_a_button() -> None:
    comms = [Communication(f"message {i}", "Amazon Web Services", CREATED) for i in range(10)]
    blocks = previous_correspondence_blocks(a_case(), comms, "token-2")
    found = buttons(blocks)["Previous correspondence"]
    assert found["action_id"] == parts.PREVIOUS_CORRESPONDENCE_ACTION
    assert json.loads(found["value"])["next"] == "token-2"
    assert_within_slack_limits(blocks, 50)


def test_search_results_page_has_five_cases_paging_and_failed_accounts() -> None:
    cases = tuple(a_case(case_id=f"case-{i}", display_id=str(1700000010 + i)) for i in range(5))
    failed = {
        f"Account {i} ({i:012d})": "The IAM role … is not allowed to perform support:DescribeCases. " * 3
        for i in range(100)
    }
    page = SearchPage(cases, "next-token", failed, previous_token="previous-token", offset=5, total=12)
    blocks = search_results_blocks(page, 2)
    found = buttons(blocks)
    assert (
        found["Next 5 results"]["action_id"] == parts.NEXT_RESULTS_ACTION
        and found["Next 5 results"]["value"] == "next-token"
    )
    assert found["Previous 5 results"]["action_id"] == parts.PREVIOUS_RESULTS_ACTION
    assert found["Edit Search"]["action_id"] == parts.EDIT_SEARCH_ACTION
    see_details = [n for n in walk(blocks) if n.get("action_id") == parts.SEE_DETAILS_ACTION]
    shares = [n for n in walk(blocks) if n.get("action_id") == parts.SHARE_ACTION]
    assert len(see_details) == len(shares) == 5
    text = text_of(blocks)
    assert "6–10 of 12" in text and text.count("AWS account: Prod (210987654321)") == 5
    assert "could not be searched" in text and "Account 0 (000000000000)" in text and "more accounts." in text
    assert_within_slack_limits(blocks, 50)


def test_an_empty_first_page_says_so_without_paging() -> None:
    blocks = search_results_blocks(SearchPage((), None, {}), 1)
    assert "no case matches" in text_of(blocks)
    assert list(buttons(blocks)) == ["Edit Search"]


def test_search_results_say_what_was_searched_for_and_each_cases_service() -> None:
    cases = (a_case(service_name="EC2 - Linux", opened_by="U42"), a_case(case_id="case-2", display_id="2"))
    search = SearchFilter(
        after=date(2026, 11, 1), status="resolved", language="ja", account_id="210987654321"
    )
    blocks = search_results_blocks(SearchPage(cases, None, total=2, search=search), 1)
    text = text_of(blocks)
    assert "Searched for: Resolved · created from 1 Nov 2026 · in Japanese · account 210987654321" in text
    assert "Service: EC2 - Linux · Opened by <@U42>" in text
    assert "Service: amazon-elastic-compute-cloud-linux" in text  # no catalogue at hand: the code
    by_id = search_results_blocks(SearchPage((), None, search=SearchFilter(display_id="1700000001")), 1)
    assert "Searched for: case ID 1700000001" in text_of(by_id)
