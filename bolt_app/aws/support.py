"""The AWS Support API as one channel role: one method per operation the app uses, each run off the event loop,
each failure translated into words (`AwsError`). Every call waits for the account's turn (`budget`); writes are
resent only after AWS said it throttled."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from typing import Protocol

from botocore.client import BaseClient
from botocore.exceptions import BotoCoreError
from botocore.exceptions import ClientError
from botocore.exceptions import ConnectionClosedError
from botocore.exceptions import ReadTimeoutError

from bolt_app.aws.case_errors import explain_case_error
from bolt_app.aws.role_client import RoleTarget
from bolt_app.aws.role_client import role_client
from bolt_app.aws.sessions import RoleSessions

SUPPORT_SERVICE = "support"
SUPPORT_REGION = "us-east-1"  # the Support API is global, served and signed in us-east-1
_UNKNOWN_OUTCOME = (ReadTimeoutError, ConnectionClosedError)  # the request left; its answer did not arrive


class CallRecord(Protocol):
    """Who wants to know how each call went (an audit trail): its AWS request id, or the action that failed."""

    def answered(self, request_id: str | None) -> None: ...

    def failed(self, action: str) -> None: ...


def iam_action(operation: str) -> str:
    """ "create_case" -> "support:CreateCase"."""
    return "support:" + "".join(part.capitalize() for part in operation.split("_"))


def outcome_unknown(error: BaseException) -> bool:
    """True when a write's request left but its answer never came: AWS may have acted."""
    return isinstance(error.__cause__, _UNKNOWN_OUTCOME)


@dataclass(eq=False)
class SupportClient:
    _role_sessions: RoleSessions
    target: RoleTarget
    _client: BaseClient
    _record: CallRecord | None

    @classmethod
    async def open(
        cls, role_sessions: RoleSessions, target: RoleTarget, record: CallRecord | None = None
    ) -> SupportClient:
        """Assumes the role now (AwsError when it cannot); `record` hears of every call made with it."""
        client = await role_client(role_sessions, target, SUPPORT_SERVICE, SUPPORT_REGION)
        return cls(role_sessions, target, client, record)

    async def _call(self, operation: str, *, write: bool = False, **params: Any) -> dict[str, Any]:
        action = iam_action(operation)
        try:
            send = self._role_sessions.write if write else self._role_sessions.read
            response = await send(self._client, operation, **params)
        except (ClientError, BotoCoreError) as e:
            if self._record is not None:
                self._record.failed(action)
            raise explain_case_error(e, self.target.context(action)) from e
        if self._record is not None:
            self._record.answered(response.get("ResponseMetadata", {}).get("RequestId"))
        return response

    # ---- cases -------------------------------------------------------------------------------------------

    async def create_case(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return await self._call("create_case", write=True, **params)

    async def add_communication_to_case(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return await self._call("add_communication_to_case", write=True, **params)

    async def add_attachments_to_set(self, attachments: Sequence[tuple[str, bytes]]) -> str:
        """One attachment set for the files (name, content); its id."""
        response = await self._call(
            "add_attachments_to_set",
            attachments=[{"fileName": name, "data": data} for name, data in attachments],
        )
        return str(response["attachmentSetId"])

    async def describe_cases(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return await self._call("describe_cases", **params)

    async def describe_communications(
        self, case_id: str, max_results: int, next_token: str | None = None
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"caseId": case_id, "maxResults": max_results}
        if next_token:
            params["nextToken"] = next_token
        return await self._call("describe_communications", **params)

    async def resolve_case(self, case_id: str) -> dict[str, Any]:
        return await self._call("resolve_case", caseId=case_id)

    # ---- catalogues --------------------------------------------------------------------------------------

    async def describe_services(self, language: str) -> dict[str, Any]:
        return await self._call("describe_services", language=language)

    async def describe_severity_levels(self, language: str) -> dict[str, Any]:
        return await self._call("describe_severity_levels", language=language)

    async def describe_supported_languages(
        self, issue_type: str, service_code: str, category_code: str
    ) -> dict[str, Any]:
        return await self._call(
            "describe_supported_languages",
            issueType=issue_type,
            serviceCode=service_code,
            categoryCode=category_code,
        )
