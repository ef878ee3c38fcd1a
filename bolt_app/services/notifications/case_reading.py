"""Reading a case for a notification, with the role of the channel being told."""

from __future__ import annotations

from datetime import datetime

from bolt_app.aws.budget import background
from bolt_app.aws.errors import AwsError
from bolt_app.errors import UserFacingError
from bolt_app.services.cases import CaseService
from bolt_app.services.cases import CaseSummary
from bolt_app.services.cases import Communication
from bolt_app.services.context import ChannelAccount
from bolt_app.services.context import SlackActor
from bolt_app.services.notifications.outcomes import RetryDelivery
from bolt_app.services.notifications.outcomes import SkipDelivery

NOTIFIER_USER = "notifications"  # the "user" of role sessions and audit rows of notification work


def _outcome_of(error: AwsError) -> Exception:
    if error.code == "AccessDenied":
        return SkipDelivery("denied", audit=False)  # the case service audited the refusal
    if error.code == "CaseIdNotFound":
        return SkipDelivery("case_not_found", audit=False)
    if error.code == "SubscriptionRequiredException":
        return SkipDelivery("no_support_plan", audit=False)
    return RetryDelivery(f"aws:{error.code}")


class CaseReader:
    """The case and its new correspondence; AWS refusals become SkipDelivery, passing failures RetryDelivery."""

    def __init__(self, cases: CaseService) -> None:
        self.cases = cases

    async def describe(self, channel: ChannelAccount, case_id: str, language: str | None) -> CaseSummary:
        actor = SlackActor.member(channel.workspace, NOTIFIER_USER, "AWS Support notifications")
        try:
            with background():  # a notification waits behind every user's call of the account
                return await self.cases.details(channel, actor, case_id, language)
        except AwsError as e:  # CaseService has written the audit row
            raise _outcome_of(e) from e
        except UserFacingError as e:
            raise SkipDelivery("aws_refused", e.message, audit=False) from e

    async def communications_since(
        self, channel: ChannelAccount, case: CaseSummary, floor: datetime
    ) -> list[Communication]:
        """The case's recent correspondence, reaching further back than DescribeCases' five when all of those
        are new (a burst, or a channel that missed several)."""
        recent = list(case.recent)
        oldest = recent[-1].time_created if recent else None
        if not case.more_communications or oldest is None or oldest <= floor:
            return recent
        actor = SlackActor.member(channel.workspace, NOTIFIER_USER, "AWS Support notifications")
        found: list[Communication] = []
        token: str | None = None
        for _ in range(5):
            try:
                with background():
                    page, token = await self.cases.communications(channel, actor, case.case_id, token)
            except AwsError as e:
                raise _outcome_of(e) from e
            found += page
            if not token or not page or (page[-1].time_created and page[-1].time_created <= floor):
                break
        return found or recent
