"""The AWS test double: an in-process moto server, extended, with IAM enforcement on and test-facing controls.

One ``ThreadedMotoServer`` runs for the whole session (fixture ``aws_server``); each test gets an
:class:`AwsDouble` (fixture ``aws``) that resets moto, installs the extensions for the test only, creates the
app's IAM user and turns IAM enforcement **on** for the test body. The server runs in this process, so every
moto patch applies to it; the app may still run as a subprocess, pointed at :attr:`AwsDouble.endpoint_url` by
:attr:`AwsDouble.env`.

What the double adds to moto (details in the modules):

* ``moto_trust``: AWS-like trust-policy evaluation on ``sts:AssumeRole`` across accounts (a wrong or missing
  External ID, an untrusted principal and an unknown role are refused with ``AccessDenied``);
* ``moto_support``: a real Support case model, the missing Support operations, per-account isolation;
* ``moto_quotas``: Service Quotas with applied vs. default values and increase requests;
* here: an admin identity that bypasses IAM (header :data:`ADMIN_HEADER`, used by :meth:`AwsDouble.admin`), a
  record of every request (:attr:`AwsDouble.calls`, :attr:`AwsDouble.assume_role_calls`), error injection
  (:meth:`AwsDouble.fail_next`), request gates (:meth:`AwsDouble.gate`), the premium-support-plan check
  (:meth:`AwsDouble.set_support_plan`), AWS's input validation of ``RoleSessionName``/``ExternalId``, and a
  role whose credentials report another account to ``GetCallerIdentity``
  (:meth:`AwsDouble.report_caller_account`: moto always answers with the role's own account).

IAM denials keep moto's format: HTTP 403 and, for the JSON services (support, service-quotas,
organizations), ``Error.Code == "403"`` with a message naming the action; ``AccessDenied`` for STS/IAM. moto
ignores conditions in identity policies (and turns Deny+Condition into a plain Deny), so the policies here
carry none.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import socket
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import timedelta
from typing import Any
from typing import Literal
from xml.sax.saxutils import escape

import boto3
import pytest
from botocore.client import BaseClient
from botocore.config import Config
from moto import settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.responses import BaseResponse
from moto.iam.models import iam_backends
from moto.iam.utils import generate_access_key_id_from_account_id
from moto.organizations.models import organizations_backends
from moto.sts.models import sts_backends

from bolt_app.aws.policies import RECOMMENDED_POLICY
from tests.fakes import moto_quotas
from tests.fakes import moto_support
from tests.fakes import moto_trust
from tests.fakes.aws_realism import Realism
from tests.fakes.aws_realism import most_in_one_second
from tests.fakes.aws_realism import per_second
from tests.fakes.moto_quotas import QuotaRequest
from tests.fakes.moto_quotas import QuotasWorld
from tests.fakes.moto_support import Case
from tests.fakes.moto_support import SupportWorld

APP_ACCOUNT_ID = "123456789012"
APP_USER_NAME = "slack-app"
DEFAULT_ROLE_NAME = "AWSSupportSlackRole"
DEFAULT_REGION = "us-east-1"
ROLE_POLICY_NAME = "ChannelRolePolicy"
ORG_POLICY_NAME = "OrganizationsRead"
ADMIN_HEADER = "x-aws-double-admin"
ADMIN_ACCESS_KEY_ID = "AKIAAWSDOUBLEADMIN00"
GATE_TIMEOUT_SECONDS = 30.0
#: No retries. (botocore's ``retries={"max_attempts": 1}`` means one *retry*, i.e. two attempts.)
TEST_CLIENT_CONFIG = Config(retries={"total_max_attempts": 1, "mode": "standard"})

_QUERY_PROTOCOL_SERVICES = frozenset({"sts", "iam"})
_SERVICE_ALIASES = {"servicequotas": "service-quotas", "support-app": "supportapp"}
_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}")
_EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}")
_ROLE_ARN = re.compile(r"^arn:aws:iam::(?P<account>\d{12}):role/(?:.*/)?(?P<name>[^/]+)$")

PolicyDoc = dict[str, Any]


def allowing(*actions: str) -> PolicyDoc:
    """A role policy that allows `actions` on every resource, and nothing else."""
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Resource": "*", "Action": list(actions)}],
    }


#: The policy the app recommends (bolt_app.aws.policies), so the tests prove that it is enough. Its
#: ``iam:CreateServiceLinkedRole`` statement loses its ``Condition`` here: moto ignores conditions in identity
#: policies (and would turn a Deny+Condition into a plain Deny), so the condition would only pretend to be tested.
FULL_POLICY: PolicyDoc = {
    **RECOMMENDED_POLICY,
    "Statement": [
        {k: v for k, v in st.items() if k != "Condition"} for st in RECOMMENDED_POLICY["Statement"]
    ],
}

#: Read-only channel role: the managed read-only actions plus the catalogue reads.
READONLY_POLICY: PolicyDoc = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "SupportRead",
            "Effect": "Allow",
            "Resource": "*",
            "Action": [
                "support:DescribeCases",
                "support:DescribeCommunications",
                "support:DescribeServices",
                "support:DescribeSeverityLevels",
                "support:DescribeSupportedLanguages",
                "support:DescribeCreateCaseOptions",
            ],
        },
        {
            "Sid": "QuotasRead",
            "Effect": "Allow",
            "Resource": "*",
            "Action": ["servicequotas:List*", "servicequotas:Get*"],
        },
    ],
}

ORGANIZATIONS_READ_POLICY = allowing("organizations:DescribeOrganization", "organizations:ListAccounts")

APP_USER_POLICY = allowing("sts:AssumeRole")

PolicySpec = Literal["full", "readonly", "none"] | Mapping[str, Any]


def policy_document(policy: PolicySpec) -> PolicyDoc | None:
    if policy == "full":
        return FULL_POLICY
    if policy == "readonly":
        return READONLY_POLICY
    if policy == "none":
        return None
    if isinstance(policy, Mapping):
        return dict(policy)
    raise ValueError(f"unknown policy {policy!r}")


# ------------------------------------------------------------------------------------------------------------
# Records and controls
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AwsCall:
    """One request the server handled; ``at`` = ``time.monotonic()`` on arrival (system-wide clock)."""

    service: str  # "support", "service-quotas", "sts", "iam", "organizations", ...
    operation: str  # "CreateCase", "AssumeRole", ...
    account: str
    region: str
    at: float
    status: int
    access_key_id: str
    admin: bool = False
    #: the error code when the double answered with one (realism, injection); "AnswerLost": no answer went back
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.status >= 400


@dataclass(frozen=True)
class AssumeRoleCall:
    role_arn: str | None
    session_name: str | None
    external_id: str | None
    caller_account: str
    access_key_id: str
    at: float
    status: int

    @property
    def allowed(self) -> bool:
        return self.status == 200


@dataclass
class _Failure:
    service: str
    operation: str
    code: str
    message: str
    status: int
    remaining: int | None  # None: until cleared


@dataclass
class Gate:
    """Holds the next matching request until released; ``reached`` is set when it arrives.

    In an async test wait with ``await asyncio.to_thread(gate.wait_reached)`` (it blocks). Unreleased gates are
    released at teardown; a held request gives up waiting after ``GATE_TIMEOUT_SECONDS``.
    """

    service: str
    operation: str
    reached: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def wait_reached(self, timeout: float = 10.0) -> bool:
        return self.reached.wait(timeout)

    def release(self) -> None:
        self.released.set()


def _norm_service(service: str) -> str:
    service = service.lower()
    return _SERVICE_ALIASES.get(service, service)


def _norm_op(operation: str) -> str:
    return operation.replace("_", "").lower()


def _default_status(code: str) -> int:
    return 500 if code in {"InternalServerError", "ServiceException", "InternalFailure"} else 400


def error_response(service: str, code: str, message: str, status: int) -> tuple[int, dict[str, str], str]:
    """An AWS error in the service's protocol, so botocore sets ``Error.Code`` = ``code``."""
    if _norm_service(service) in _QUERY_PROTOCOL_SERVICES:
        body = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
            f"<RequestId>{secrets.token_hex(16)}</RequestId></ErrorResponse>"
        )
        return status, {"Content-Type": "text/xml", "X-Amzn-ErrorType": code}, body
    body = json.dumps({"__type": code, "message": message})
    return status, {"Content-Type": "application/x-amz-json-1.1", "X-Amzn-ErrorType": code}, body


_session_lock = threading.Lock()
_shared_session: boto3.session.Session | None = None


def new_client(service: str, endpoint_url: str, region: str, **credentials: Any) -> BaseClient:
    """A boto3 client from one shared session (its loaded service models are cached: ~10x faster)."""
    global _shared_session
    with _session_lock:
        if _shared_session is None:
            _shared_session = boto3.session.Session()
        return _shared_session.client(  # type: ignore[call-overload,no-any-return]
            service, endpoint_url=endpoint_url, region_name=region, config=TEST_CLIENT_CONFIG, **credentials
        )


def role_arn_parts(role_arn: str) -> tuple[str, str]:
    """(account ID, role name) of a role ARN."""
    m = _ROLE_ARN.match(role_arn)
    if not m:
        raise ValueError(f"not a role ARN: {role_arn}")
    return m.group("account"), m.group("name")


# ------------------------------------------------------------------------------------------------------------
# moto hooks (installed per test; they consult the active double)
# ------------------------------------------------------------------------------------------------------------

_active: AwsDouble | None = None
_original_call_action = BaseResponse.call_action
_original_authenticate = ActionAuthenticatorMixin._authenticate_and_authorize_action


def _call_action(self: BaseResponse) -> Any:
    double = _active
    if double is None:
        return _original_call_action(self)
    return double._handle(self)


def _authenticate(self: Any, iam_request_cls: type, resource: str = "*") -> None:
    double = _active
    if double is not None and double._is_admin(self):
        return
    _original_authenticate(self, iam_request_cls, resource)


@dataclass(frozen=True)
class MotoServerHandle:
    """The session's server, and the app credentials that stay the same for every test of the session."""

    endpoint_url: str
    admin_token: str
    app_access_key_id: str
    app_secret_access_key: str

    @classmethod
    def for_url(cls, endpoint_url: str) -> MotoServerHandle:
        return cls(
            endpoint_url=endpoint_url,
            admin_token=secrets.token_hex(16),
            app_access_key_id=generate_access_key_id_from_account_id(
                APP_ACCOUNT_ID, prefix="AKIA", total_length=20
            ),
            app_secret_access_key=secrets.token_hex(20),
        )

    @property
    def env(self) -> dict[str, str]:
        """What an app process needs to talk to the double as the app user (valid once ``aws`` has set up)."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": self.app_access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.app_secret_access_key,
            "AWS_DEFAULT_REGION": DEFAULT_REGION,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }


# ------------------------------------------------------------------------------------------------------------
# The double
# ------------------------------------------------------------------------------------------------------------


@dataclass
class AwsDouble:
    """Per-test handle on the moto server. Create with :meth:`start`; the ``aws`` fixture does it."""

    endpoint_url: str
    env: dict[str, str]
    app_access_key_id: str
    app_secret_access_key: str
    support: SupportWorld
    quotas: QuotasWorld
    app_account_id: str = APP_ACCOUNT_ID
    app_principal_arn: str = f"arn:aws:iam::{APP_ACCOUNT_ID}:user/{APP_USER_NAME}"
    _admin_token: str = ""
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _all_calls: list[AwsCall] = field(default_factory=list)
    _assume_role_calls: list[AssumeRoleCall] = field(default_factory=list)
    _failures: list[_Failure] = field(default_factory=list)
    _gates: list[Gate] = field(default_factory=list)
    _accounts_without_plan: set[str] = field(default_factory=set)
    _reported_accounts: dict[str, str] = field(default_factory=dict)
    _clients: dict[tuple[str, str, str], BaseClient] = field(default_factory=dict)
    _member_counter: int = 0
    _lost_answers: list[tuple[str, str, bool]] = field(default_factory=list)
    #: None: the instant double (moto's own speed, never throttled); see :meth:`realistic`.
    realism: Realism | None = None

    # --- lifecycle ------------------------------------------------------------------------------------------

    @classmethod
    def start(cls, server: MotoServerHandle, mp: pytest.MonkeyPatch) -> AwsDouble:
        """Reset moto, install the extensions with ``mp``, create the app user, turn IAM enforcement on."""
        _post(server.endpoint_url, "/moto-api/reset", b"")
        organizations_backends.master_accounts.clear()
        double = cls(
            endpoint_url=server.endpoint_url,
            env={},
            app_access_key_id="",
            app_secret_access_key="",
            support=SupportWorld(),
            quotas=QuotasWorld(),
            _admin_token=server.admin_token,
        )
        for name in (
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
            "AWS_SESSION_TOKEN",
            "AWS_SECURITY_TOKEN",
            "AWS_REGION",
            "AWS_ROLE_ARN",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "MOTO_ACCOUNT_ID",
        ):
            mp.delenv(name, raising=False)
        for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL_")]:
            mp.delenv(name)
        moto_trust.install(mp)
        moto_support.install(mp, double.support)
        moto_quotas.install(mp, double.quotas)
        mp.setattr(BaseResponse, "call_action", _call_action)
        mp.setattr(ActionAuthenticatorMixin, "_authenticate_and_authorize_action", _authenticate)
        mp.setattr(sys.modules[__name__], "_active", double)
        double.pin_case_status()

        iam = double.admin(APP_ACCOUNT_ID, "iam")
        iam.create_user(UserName=APP_USER_NAME)
        iam.put_user_policy(
            UserName=APP_USER_NAME,
            PolicyName="AssumeChannelRoles",
            PolicyDocument=json.dumps(APP_USER_POLICY),
        )
        created = iam.create_access_key(UserName=APP_USER_NAME)["AccessKey"]["AccessKeyId"]
        # Give the key the session's fixed ID and secret, so an app process may outlive one test.
        backend = iam_backends[APP_ACCOUNT_ID]["aws"]
        key = backend.access_keys.pop(created)
        key.access_key_id, key.secret_access_key = server.app_access_key_id, server.app_secret_access_key
        backend.access_keys[key.access_key_id] = key
        double.app_access_key_id = server.app_access_key_id
        double.app_secret_access_key = server.app_secret_access_key
        double.env = server.env
        for name, value in double.env.items():
            mp.setenv(name, value)
        mp.setattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
        mp.setattr(ActionAuthenticatorMixin, "request_count", 0)
        return double

    def stop(self) -> None:
        """Release gates and unpin; the ``MonkeyPatch`` undoes the rest (patches, env, enforcement)."""
        global _active
        with self._lock:
            for gate in self._gates:
                gate.release()
            self._gates.clear()
        with contextlib.suppress(OSError):
            self.unpin_case_status()
        _active = None

    # --- IAM enforcement ------------------------------------------------------------------------------------

    @property
    def enforcing(self) -> bool:
        return bool(ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT)

    @contextlib.contextmanager
    def enforcement(self, enabled: bool) -> Iterator[None]:
        """Temporarily turn IAM enforcement on or off (it is on during the test body)."""
        old = settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count
        settings.INITIAL_NO_AUTH_ACTION_COUNT = 0 if enabled else float("inf")
        ActionAuthenticatorMixin.request_count = 0
        try:
            yield
        finally:
            settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count = old

    # --- clients --------------------------------------------------------------------------------------------

    def admin(self, account_id: str, service: str, region: str = DEFAULT_REGION) -> BaseClient:
        """A boto3 client acting in ``account_id``, exempt from IAM checks and not listed in :attr:`calls`."""
        key = (account_id, service, region)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = new_client(
                    service,
                    self.endpoint_url,
                    region,
                    aws_access_key_id=ADMIN_ACCESS_KEY_ID,
                    aws_secret_access_key="aws-double-admin",
                )
                headers = {"x-moto-account-id": account_id, ADMIN_HEADER: self._admin_token}

                def add_headers(request: Any, **_: Any) -> None:
                    for name, value in headers.items():
                        request.headers[name] = value

                client.meta.events.register("before-sign", add_headers)
                self._clients[key] = client
        return client

    def app_client(self, service: str, region: str = DEFAULT_REGION) -> BaseClient:
        """A boto3 client with the app's own credentials (IAM user ``slack-app``)."""
        return new_client(
            service,
            self.endpoint_url,
            region,
            aws_access_key_id=self.app_access_key_id,
            aws_secret_access_key=self.app_secret_access_key,
        )

    def assume(
        self, role_arn: str, *, external_id: str | None = None, session_name: str = "aws-double-test"
    ) -> dict[str, Any]:
        """``sts:AssumeRole`` as the app (recorded like the app's own calls); returns ``Credentials``."""
        kwargs: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": session_name}
        if external_id is not None:
            kwargs["ExternalId"] = external_id
        return dict(self.app_client("sts").assume_role(**kwargs)["Credentials"])

    def role_client(
        self,
        service: str,
        role_arn: str,
        *,
        external_id: str | None = None,
        session_name: str = "aws-double-test",
        region: str = DEFAULT_REGION,
    ) -> BaseClient:
        """A boto3 client with the credentials of an assumed channel role."""
        creds = self.assume(role_arn, external_id=external_id, session_name=session_name)
        return new_client(
            service,
            self.endpoint_url,
            region,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )

    # --- IAM setup ------------------------------------------------------------------------------------------

    def create_role(
        self,
        account_id: str,
        name: str = DEFAULT_ROLE_NAME,
        *,
        external_id: str | None,
        policy: PolicySpec = "full",
        trust_principal: str | None = None,
        extra_trust_statements: Sequence[Mapping[str, Any]] = (),
    ) -> str:
        """Create a channel role in ``account_id`` trusting the app (or ``trust_principal``); returns its ARN.

        ``external_id=None`` creates a trust without the ``sts:ExternalId`` condition (a role that does not
        check it). ``policy``: ``"full"`` (:data:`FULL_POLICY`), ``"readonly"`` (:data:`READONLY_POLICY`),
        ``"none"`` or a policy document.
        """
        statement: dict[str, Any] = {
            "Effect": "Allow",
            "Principal": {"AWS": trust_principal or self.app_principal_arn},
            "Action": "sts:AssumeRole",
        }
        if external_id is not None:
            statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
        trust = {"Version": "2012-10-17", "Statement": [statement, *map(dict, extra_trust_statements)]}
        arn = str(
            self.admin(account_id, "iam").create_role(
                RoleName=name, AssumeRolePolicyDocument=json.dumps(trust)
            )["Role"]["Arn"]
        )
        self.set_role_policy(arn, policy)
        return arn

    def set_role_policy(self, role_arn: str, policy: PolicySpec) -> None:
        """Replace the role's channel policy (takes effect on the next request; ``"none"`` removes it)."""
        account_id, name = role_arn_parts(role_arn)
        iam = self.admin(account_id, "iam")
        doc = policy_document(policy)
        if doc is None:
            self.detach_role_policy(role_arn)
            return
        iam.put_role_policy(RoleName=name, PolicyName=ROLE_POLICY_NAME, PolicyDocument=json.dumps(doc))

    def detach_role_policy(self, role_arn: str, policy_name: str = ROLE_POLICY_NAME) -> None:
        """Remove one inline policy from the role (no error if it is not there)."""
        account_id, name = role_arn_parts(role_arn)
        iam = self.admin(account_id, "iam")
        if policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=name, PolicyName=policy_name)

    def set_trust_policy(self, role_arn: str, trust_policy: Mapping[str, Any]) -> None:
        account_id, name = role_arn_parts(role_arn)
        self.admin(account_id, "iam").update_assume_role_policy(
            RoleName=name, PolicyDocument=json.dumps(trust_policy)
        )

    def delete_role(self, role_arn: str) -> None:
        account_id, name = role_arn_parts(role_arn)
        iam = self.admin(account_id, "iam")
        for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
        iam.delete_role(RoleName=name)

    def report_caller_account(self, role_arn: str, account_id: str) -> None:
        """From now on, ``GetCallerIdentity`` with credentials of ``role_arn`` names ``account_id`` (moto always
        names the role's own account): a role ARN that does not lead where it says."""
        with self._lock:
            self._reported_accounts[role_arn] = account_id

    # --- Organizations --------------------------------------------------------------------------------------

    def create_organization(self, management_account_id: str) -> str:
        """Create an organization (feature set ALL) with ``management_account_id`` as management account."""
        org = self.admin(management_account_id, "organizations").create_organization(FeatureSet="ALL")
        return str(org["Organization"]["Id"])

    def add_member_account(
        self, management_account_id: str, name: str | None = None, email: str | None = None
    ) -> str:
        """Create a member account in the management account's organization; returns its new 12-digit ID."""
        with self._lock:
            self._member_counter += 1
            n = self._member_counter
        status = self.admin(management_account_id, "organizations").create_account(
            AccountName=name or f"member-{n}", Email=email or f"member-{n}@example.com"
        )["CreateAccountStatus"]
        return str(status["AccountId"])

    def allow_organization_reads(self, role_arn: str) -> None:
        """Let the role call ``organizations:DescribeOrganization`` and ``organizations:ListAccounts``."""
        account_id, name = role_arn_parts(role_arn)
        self.admin(account_id, "iam").put_role_policy(
            RoleName=name, PolicyName=ORG_POLICY_NAME, PolicyDocument=json.dumps(ORGANIZATIONS_READ_POLICY)
        )

    # --- Support controls -----------------------------------------------------------------------------------

    def pin_case_status(self) -> None:
        """Pin moto's ``support::case`` state machine (the replacement model never cycles statuses anyway)."""
        body = {"model_name": "support::case", "transition": {"progression": "manual", "times": 10**9}}
        _post(self.endpoint_url, "/moto-api/state-manager/set-transition", json.dumps(body).encode())

    def unpin_case_status(self) -> None:
        _post(
            self.endpoint_url,
            "/moto-api/state-manager/unset-transition",
            json.dumps({"model_name": "support::case"}).encode(),
        )

    def set_support_plan(self, account_id: str, premium: bool) -> None:
        """``premium=False``: the account's Support calls fail with ``SubscriptionRequiredException``."""
        with self._lock:
            (self._accounts_without_plan.discard if premium else self._accounts_without_plan.add)(account_id)

    def put_case(self, account_id: str, **fields: Any) -> str:
        """Seed a case (e.g. an old or resolved one); see ``SupportWorld.put_case``. Returns its ID."""
        return self.support.put_case(account_id, **fields).case_id

    def case(self, case_id: str) -> Case:
        return self.support.find_case(case_id)

    def cases(self, account_id: str) -> list[Case]:
        with self.support.lock:
            return list(self.support.account(account_id).cases.values())

    def add_aws_reply(self, case_id: str, body: str, status: str | None = "pending-customer-action") -> None:
        """A correspondence from "Amazon Web Services"; by default the case then awaits the customer."""
        self.support.add_aws_reply(case_id, body, status)

    def set_case_status(self, case_id: str, status: str) -> None:
        self.support.set_case_status(case_id, status)

    def advance_time(self, seconds: float) -> None:
        """Move the Support and Service Quotas clocks forward (attachment-set expiry, timestamps)."""
        delta = timedelta(seconds=seconds)
        self.support.clock_offset += delta
        self.quotas.clock_offset += delta

    # --- Service Quotas controls ----------------------------------------------------------------------------

    def set_applied_quota(
        self, account_id: str, service_code: str, quota_code: str, value: float, region: str = DEFAULT_REGION
    ) -> None:
        """Set the applied value ``GetServiceQuota`` returns (may be below the default)."""
        self.quotas.set_applied_value(account_id, region, service_code, quota_code, value)

    def set_quota_request_status(
        self, account_id: str, request_id: str, status: str, region: str = DEFAULT_REGION
    ) -> None:
        """Move an increase request on (``APPROVED`` also applies the desired value)."""
        self.quotas.set_request_status(account_id, region, request_id, status)

    def quota_requests(self, account_id: str, region: str = DEFAULT_REGION) -> list[QuotaRequest]:
        return self.quotas.requests(account_id, region)

    def remove_quotas_service_linked_role(self, account_id: str) -> None:
        """Simulate a missing ``AWSServiceRoleForServiceQuotas``: increase requests by callers that may not
        ``iam:CreateServiceLinkedRole`` fail with ``DependencyAccessDeniedException``."""
        self.quotas.remove_service_linked_role(account_id)

    # --- error injection and gates --------------------------------------------------------------------------

    def fail_next(
        self,
        service: str,
        operation: str,
        code: str = "ThrottlingException",
        *,
        times: int | None = 1,
        status: int | None = None,
        message: str | None = None,
    ) -> None:
        """Answer the next ``times`` (``None``: all) permitted calls of ``operation`` with error ``code``.

        ``service``: "support", "service-quotas" (or "servicequotas"), "sts", "iam", "organizations";
        ``operation``: API name ("CreateCase") or snake_case ("create_case"). ``status`` defaults to 400
        (500 for ``InternalServerError``/``ServiceException``). Injection happens after IAM: a denied call
        stays denied and does not consume it.
        """
        with self._lock:
            self._failures.append(
                _Failure(
                    _norm_service(service),
                    _norm_op(operation),
                    code,
                    message or f"Injected {code} by the AWS test double",
                    status or _default_status(code),
                    times,
                )
            )

    def lose_answer_next(self, service: str, operation: str, *, processed: bool) -> None:
        """The next permitted call of ``operation`` loses its answer: the connection closes (botocore raises
        ``ConnectionClosedError``) after AWS acted on it (``processed=True``) or before."""
        with self._lock:
            self._lost_answers.append((_norm_service(service), _norm_op(operation), processed))

    def clear_failures(self) -> None:
        with self._lock:
            self._failures.clear()

    def gate(self, service: str, operation: str) -> Gate:
        """Hold the next matching request until ``gate.release()`` (released at teardown at the latest)."""
        gate = Gate(_norm_service(service), _norm_op(operation))
        with self._lock:
            self._gates.append(gate)
        return gate

    # --- realism ------------------------------------------------------------------------------------------

    def realistic(self, scale: float = 1.0, **options: Any) -> Realism:
        """From now on AWS answers with its latencies times ``scale`` and throttles as AWS does
        (``tests.fakes.aws_realism``); ``options`` go to :class:`Realism`."""
        self.realism = Realism(scale=scale, **options)
        return self.realism

    def calls_per_second(self, service: str, account: str, origin: float | None = None) -> dict[int, int]:
        """Calls of one account to ``service`` (throttled ones too) per whole second since ``origin``."""
        return per_second((c.at for c in self.calls_to(service) if c.account == account), origin)

    def most_calls_in_one_second(self, service: str, account: str) -> int:
        """The most calls of one account to ``service`` (throttled ones too) within any one second."""
        return most_in_one_second(c.at for c in self.calls_to(service) if c.account == account)

    def throttled_calls(self, service: str | None = None) -> list[AwsCall]:
        codes = {"ThrottlingException", "TooManyRequestsException", "CaseCreationLimitExceeded"}
        with self._lock:
            return [
                c
                for c in self._all_calls
                if c.error in codes and (service is None or c.service == _norm_service(service))
            ]

    # --- records --------------------------------------------------------------------------------------------

    @property
    def calls(self) -> list[AwsCall]:
        """Requests not made through :meth:`admin`, in arrival order."""
        with self._lock:
            return [c for c in self._all_calls if not c.admin]

    @property
    def all_calls(self) -> list[AwsCall]:
        with self._lock:
            return list(self._all_calls)

    def calls_to(self, service: str, operation: str | None = None) -> list[AwsCall]:
        svc = _norm_service(service)
        return [
            c
            for c in self.calls
            if c.service == svc and (operation is None or _norm_op(c.operation) == _norm_op(operation))
        ]

    @property
    def assume_role_calls(self) -> list[AssumeRoleCall]:
        """Every ``sts:AssumeRole`` attempt (refused ones too), in order."""
        with self._lock:
            return list(self._assume_role_calls)

    @property
    def assume_role_count(self) -> int:
        return len(self.assume_role_calls)

    def reset_records(self) -> None:
        with self._lock:
            self._all_calls.clear()
            self._assume_role_calls.clear()

    # --- request handling (server threads) ------------------------------------------------------------------

    def _is_admin(self, response: Any) -> bool:
        return bool(self._admin_token) and response.headers.get(ADMIN_HEADER) == self._admin_token

    def _take_gate(self, service: str, op: str) -> Gate | None:
        with self._lock:
            for gate in self._gates:
                if gate.service == service and gate.operation == op and not gate.reached.is_set():
                    return gate
        return None

    def _take_failure(self, service: str, op: str) -> _Failure | None:
        with self._lock:
            for failure in self._failures:
                if failure.service == service and failure.operation == op:
                    if failure.remaining is not None:
                        failure.remaining -= 1
                        if failure.remaining <= 0:
                            self._failures.remove(failure)
                    return failure
        return None

    def _has_failure(self, service: str, op: str) -> bool:
        with self._lock:
            return any(f.service == service and f.operation == op for f in self._failures)

    @staticmethod
    def _passes_iam(response: BaseResponse) -> bool:
        resource = response._determine_resource() if hasattr(response, "_determine_resource") else "*"
        try:
            response._authenticate_and_authorize_normal_action(resource)
        except Exception:
            return False
        return True

    def _early_answer(
        self, response: BaseResponse, service: str, op: str, account: str
    ) -> tuple[int, dict[str, str], str] | None:
        if service == "sts" and op == "assumerole":
            session = response.querystring.get("RoleSessionName", [""])[0]
            external = response.querystring.get("ExternalId", [None])[0]
            if not _SESSION_NAME.fullmatch(session or ""):
                return error_response(
                    service,
                    "ValidationError",
                    f"1 validation error detected: Value '{session}' at 'roleSessionName' failed to satisfy "
                    r"constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*",
                    400,
                )
            if external is not None and not _EXTERNAL_ID.fullmatch(external):
                return error_response(
                    service,
                    "ValidationError",
                    f"1 validation error detected: Value '{external}' at 'externalId' failed to satisfy "
                    r"constraint: Member must satisfy regular expression pattern: [\w+=,.@:\/-]*",
                    400,
                )
        if service == "sts" and op == "getcalleridentity":
            reported = self._reported_identity(account, response.get_access_key())
            if reported is not None:
                return reported
        no_plan = service == "support" and account in self._accounts_without_plan
        if not (no_plan or self._has_failure(service, op)):
            return None
        if not self._passes_iam(response):
            return None  # moto answers with its own denial
        failure = self._take_failure(service, op)
        if failure is not None:
            return error_response(service, failure.code, failure.message, failure.status)
        return error_response(
            service,
            "SubscriptionRequiredException",
            "AWS Premium Support Subscription is required to use this service.",
            400,
        )

    def _reported_identity(self, account: str, access_key: str) -> tuple[int, dict[str, str], str] | None:
        assumed = sts_backends[account]["aws"].get_assumed_role_from_access_key(access_key)
        with self._lock:
            reported = self._reported_accounts.get(assumed.role_arn) if assumed is not None else None
        if assumed is None or reported is None:
            return None
        role_name = assumed.role_arn.split("/")[-1]
        body = (
            '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            "<GetCallerIdentityResult>"
            f"<Arn>arn:aws:sts::{reported}:assumed-role/{escape(role_name)}/{escape(assumed.session_name)}</Arn>"
            f"<UserId>{escape(assumed.user_id)}</UserId><Account>{reported}</Account>"
            "</GetCallerIdentityResult>"
            f"<ResponseMetadata><RequestId>{secrets.token_hex(16)}</RequestId></ResponseMetadata>"
            "</GetCallerIdentityResponse>"
        )
        return 200, {"Content-Type": "text/xml"}, body

    def _handle(self, response: BaseResponse) -> Any:
        at = time.monotonic()
        service = _norm_service(response.service_name or "")
        operation = response._get_action() or ""
        op = _norm_op(operation)
        account = response.current_account
        admin = self._is_admin(response)
        access_key = response.get_access_key()
        status, error = 500, None  # if moto raises (e.g. an operation it does not implement)
        try:
            if not admin:
                gate = self._take_gate(service, op)
                if gate is not None:
                    gate.reached.set()
                    gate.released.wait(GATE_TIMEOUT_SECONDS)
                result, lost = self._realistic_answer(response, service, op, account)
            else:
                result, lost = _original_call_action(response), False
            status = int(result[0]) if isinstance(result, tuple) else 200
            if lost:
                error = "AnswerLost"
            elif isinstance(result, tuple) and len(result) > 1 and isinstance(result[1], dict):
                error = result[1].get("X-Amzn-ErrorType")
            return result
        finally:
            self._record(response, service, operation, account, at, status, access_key, admin, error)
            if error == "AnswerLost":  # recorded first: the client learns of it only when the connection goes
                _drop_connection(response)

    def _realistic_answer(
        self, response: BaseResponse, service: str, op: str, account: str
    ) -> tuple[Any, bool]:
        """Throttle or wait as AWS would (when realistic), then answer; an answer to lose is lost (True)."""
        realism = self.realism
        if realism is not None:
            throttled = realism.throttle(service, op, account, response.region)
            if throttled is not None:
                return error_response(service, throttled.code, throttled.message, 400), False
            time.sleep(realism.latency(service, op))
        lost = self._take_lost_answer(response, service, op)
        if lost is not None and not lost:
            return error_response(service, "InternalFailure", "dropped by the AWS test double", 500), True
        result = self._early_answer(response, service, op, account) or _original_call_action(response)
        return result, lost is not None

    def _take_lost_answer(self, response: BaseResponse, service: str, op: str) -> bool | None:
        """Whether AWS acts on the call whose answer is lost; None when this call's answer arrives."""
        with self._lock:
            if not any(entry[:2] == (service, op) for entry in self._lost_answers):
                return None
        if not self._passes_iam(response):
            return None
        with self._lock:
            for entry in self._lost_answers:
                if entry[:2] == (service, op):
                    self._lost_answers.remove(entry)
                    return entry[2]
        return None

    def _record(
        self,
        response: BaseResponse,
        service: str,
        operation: str,
        account: str,
        at: float,
        status: int,
        access_key: str,
        admin: bool,
        error: str | None = None,
    ) -> None:
        op = _norm_op(operation)
        with self._lock:
            self._all_calls.append(
                AwsCall(service, operation, account, response.region, at, status, access_key, admin, error)
            )
            if service == "sts" and op == "assumerole" and not admin:
                qs = response.querystring
                self._assume_role_calls.append(
                    AssumeRoleCall(
                        role_arn=qs.get("RoleArn", [None])[0],
                        session_name=qs.get("RoleSessionName", [None])[0],
                        external_id=qs.get("ExternalId", [None])[0],
                        caller_account=account,
                        access_key_id=access_key,
                        at=at,
                        status=status,
                    )
                )


def _drop_connection(response: BaseResponse) -> None:
    """Closes the request's connection under werkzeug: the client sees it closed without an answer."""
    sock = response.normalized_request.environ.get("werkzeug.socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _post(endpoint_url: str, path: str, body: bytes) -> bytes:
    req = urllib.request.Request(endpoint_url + path, data=body, method="POST")
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - local test server
        return bytes(resp.read())
