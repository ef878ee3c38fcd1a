"""Searching cases across a channel's accounts: the DescribeCases parameters of a filter, the merge of every
account's answer into one page, and the page token a "Next 5 results" button carries."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

from bolt_app.errors import UserFacingError
from bolt_app.services.cases.models import RESOLVED
from bolt_app.services.cases.models import CaseStatusFilter
from bolt_app.services.cases.models import CaseSummary
from bolt_app.services.cases.models import SearchFilter
from bolt_app.services.cases.models import SearchPage
from bolt_app.services.context import ChannelAccount

SEARCH_FETCH_LIMIT = 100  # DescribeCases maxResults upper bound: one call per account and search

AccountAnswer = tuple[list[CaseSummary], bool] | BaseException  # the cases found, and whether there were more


_OLDEST = datetime.min.replace(tzinfo=UTC)


def _newest_first(case: CaseSummary) -> tuple[datetime, int]:
    return case.time_created or _OLDEST, int(case.display_id) if case.display_id.isdigit() else 0


def _aws_time(day: date) -> str:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def search_params(search: SearchFilter) -> dict[str, Any]:
    params: dict[str, Any] = {"includeCommunications": False, "maxResults": SEARCH_FETCH_LIMIT}
    if search.display_id:
        return params | {"displayId": search.display_id, "includeResolvedCases": True}
    params["includeResolvedCases"] = search.status in ("resolved", "all")
    if search.after:
        params["afterTime"] = _aws_time(search.after)
    if search.before:
        params["beforeTime"] = _aws_time(search.before + timedelta(days=1))
    if search.language:
        params["language"] = search.language
    return params


def status_matches(status: str, wanted: CaseStatusFilter) -> bool:
    if wanted == "open":
        return status != RESOLVED
    if wanted == "resolved":
        return status == RESOLVED
    return True


# Paging: a search fetches up to SEARCH_FETCH_LIMIT cases per account (one DescribeCases each), merges them and
# returns one page. Merging several accounts newest-first cannot follow each account's own nextToken honestly,
# so the token only carries the offset (and the filter, so that a "Next 5 results" button is self-contained);
# every page re-runs the search. Cases created meanwhile shift the pages by that many; nothing is kept in memory.


def _filter_doc(search: SearchFilter) -> dict[str, Any]:
    doc = asdict(search)
    for name in ("after", "before"):
        doc[name] = doc[name].isoformat() if doc[name] else None
    return doc


def _page_token(search: SearchFilter, offset: int) -> str:
    doc = {"offset": offset, "filter": _filter_doc(search)}
    return base64.urlsafe_b64encode(json.dumps(doc, separators=(",", ":")).encode()).decode()


_STALE_TOKEN = "These search results are out of date. Search again."


def decode_token(token: str) -> tuple[int, SearchFilter]:
    try:
        doc = json.loads(base64.urlsafe_b64decode(token.encode()))
        f = doc["filter"]
        search = SearchFilter(
            after=date.fromisoformat(f["after"]) if f["after"] else None,
            before=date.fromisoformat(f["before"]) if f["before"] else None,
            status=f["status"],
            language=f["language"],
            display_id=f["display_id"],
            account_id=f["account_id"],
        )
        offset = int(doc["offset"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise UserFacingError(_STALE_TOKEN) from None
    if offset < 0:
        raise UserFacingError(_STALE_TOKEN)
    return offset, search


def search_filter_of(page_token: str) -> SearchFilter:
    """The filter a page token (a "Next 5 results" button's value) was made for."""
    return decode_token(page_token)[1]


def targets_of(channels: Sequence[ChannelAccount], search: SearchFilter) -> list[ChannelAccount]:
    """The accounts to search: each account of the channel once, or the one the filter names."""
    targets = list({c.account_id: c for c in channels if search.account_id in (None, c.account_id)}.values())
    if not targets:
        raise UserFacingError("That AWS account is not configured for this channel.")
    return targets


def start_of(search: SearchFilter, page_token: str | None) -> int:
    """The offset a page token asks for; a token made for another filter is out of date."""
    if not page_token:
        return 0
    offset, token_filter = decode_token(page_token)
    if token_filter != search:
        raise UserFacingError(_STALE_TOKEN)
    return offset


def merged_page(
    search: SearchFilter,
    targets: Sequence[ChannelAccount],
    answers: Sequence[AccountAnswer],
    offset: int,
    page_size: int,
) -> SearchPage:
    """One page of every account's cases, newest first. An account that failed in words a user can act on is
    reported in `accounts_failed`; any other failure is a bug and is raised."""
    found: list[CaseSummary] = []
    failed: dict[str, str] = {}
    truncated: list[str] = []
    for channel, result in zip(targets, answers, strict=True):
        if isinstance(result, UserFacingError):
            failed[channel.account_shown] = result.message
        elif isinstance(result, BaseException):
            raise result
        else:
            cases, more = result
            found += cases
            if more:
                truncated.append(channel.account_shown)
    found.sort(key=_newest_first, reverse=True)
    end = offset + page_size
    return SearchPage(
        cases=tuple(found[offset:end]),
        next_token=_page_token(search, end) if end < len(found) else None,
        accounts_failed=failed,
        previous_token=_page_token(search, max(offset - page_size, 0)) if offset > 0 else None,
        offset=offset,
        total=len(found),
        search=search,
        accounts_truncated=tuple(truncated),
    )
