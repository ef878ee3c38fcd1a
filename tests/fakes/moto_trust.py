"""Trust-policy evaluation on ``sts:AssumeRole`` that behaves like AWS, for moto's IAM enforcement.

moto (5.1.4+) checks a role's trust policy only when the role lives in the *caller's* account, lets a
request without ``ExternalId`` through a trust that requires one, crashes on ``{"Service": ...}``-only
principals and does not understand account principals (``"123456789012"``, ``arn:aws:iam::<account>:root``).

:func:`install` replaces the two methods of ``moto.iam.access_control.IAMRequestBase`` that decide this, so
that:

* the role is looked up in **its own** account (parsed from the role ARN), whatever the caller's account;
* a role that does not exist is refused (``AccessDenied``, as on AWS) instead of minting useless credentials;
* the trust policy is evaluated with AWS semantics for what this project needs: ``Allow``/``Deny``
  statements, ``Action`` wildcards (case-insensitive), ``Principal`` ``"*"``, exact user/role ARNs, an
  assumed-role session matching its role's ARN (role chaining), account principals; ``Service``/``Federated``
  principals never match an IAM caller;
* conditions on ``sts:ExternalId`` are evaluated (``StringEquals``, ``StringLike``, ``StringNotEquals``,
  ``StringEqualsIgnoreCase``, ``Null``, ``...IfExists``); an **absent** ``ExternalId`` fails a positive
  condition, as on AWS. Conditions on other keys are ignored (treated as satisfied), like moto does.

The caller's identity policy must still allow ``sts:AssumeRole`` (moto's own check, unchanged).
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Mapping
from typing import Any

import pytest
from moto.iam.access_control import IAMRequestBase
from moto.iam.exceptions import NotFoundException
from moto.iam.models import iam_backends
from moto.utilities.utils import get_partition

_ROLE_ARN = re.compile(r"^arn:(?P<partition>[\w-]+):iam::(?P<account>\d{12}):role/(?:.*/)?(?P<name>[^/]+)$")
_ASSUMED_ROLE_ARN = re.compile(
    r"^arn:(?P<partition>[\w-]+):sts::(?P<account>\d{12}):assumed-role/(?P<role>[^/]+)/(?P<session>.+)$"
)
_ANY_ARN_ACCOUNT = re.compile(r"^arn:[\w-]+:(?:iam|sts)::(?P<account>\d{12}):")
_ACCOUNT_ROOT = re.compile(r"^arn:[\w-]+:iam::(?P<account>\d{12}):root$")

ASSUME_ROLE_ACTION = "sts:AssumeRole"


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _action_matches(statement: Mapping[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not any(
            fnmatch.fnmatchcase(action.lower(), p.lower()) for p in _as_list(statement["NotAction"])
        )
    return any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in _as_list(statement.get("Action")))


def _principal_entry_matches(entry: str, caller_arn: str) -> bool:
    if entry == "*":
        return True
    if entry == caller_arn:
        return True
    caller_account = m.group("account") if (m := _ANY_ARN_ACCOUNT.match(caller_arn)) else None
    # An account principal trusts every principal of that account (the identity policy decides the rest).
    root = _ACCOUNT_ROOT.match(entry)
    if root or re.fullmatch(r"\d{12}", entry):
        return caller_account == (root.group("account") if root else entry)
    # Role chaining: a trust naming a role matches that role's sessions (STS drops the role's path).
    role = _ROLE_ARN.match(entry)
    session = _ASSUMED_ROLE_ARN.match(caller_arn)
    return bool(
        role
        and session
        and role.group("account") == session.group("account")
        and role.group("name") == session.group("role")
    )


def _principal_matches(principal: Any, caller_arn: str) -> bool:
    if principal is None:
        return False
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    return any(_principal_entry_matches(str(e), caller_arn) for e in _as_list(principal.get("AWS")))


def _condition_holds(operator: str, expected: list[str], actual: str | None) -> bool:
    op = operator.split(":")[-1]  # drop ForAnyValue:/ForAllValues:
    if_exists = op.endswith("IfExists")
    op = op.removesuffix("IfExists")
    if op == "Null":
        want_absent = str(expected[0]).lower() == "true"
        return (actual is None) == want_absent
    if actual is None:
        return if_exists or op.startswith("StringNot")
    if op == "StringEquals":
        return actual in expected
    if op == "StringEqualsIgnoreCase":
        return actual.lower() in [e.lower() for e in expected]
    if op == "StringNotEquals":
        return actual not in expected
    if op == "StringNotEqualsIgnoreCase":
        return actual.lower() not in [e.lower() for e in expected]
    if op == "StringLike":
        return any(fnmatch.fnmatchcase(actual, e) for e in expected)
    if op == "StringNotLike":
        return not any(fnmatch.fnmatchcase(actual, e) for e in expected)
    return True  # operators this double does not model are treated as satisfied


def _conditions_hold(conditions: Mapping[str, Any] | None, context: Mapping[str, str | None]) -> bool:
    lowered = {k.lower(): v for k, v in context.items()}
    for operator, keys in (conditions or {}).items():
        for key, expected in keys.items():
            if key.lower() not in lowered:
                continue  # keys the double does not model are ignored (moto's behaviour)
            if not _condition_holds(operator, [str(e) for e in _as_list(expected)], lowered[key.lower()]):
                return False
    return True


def trust_allows(trust_policy: Mapping[str, Any] | str, caller_arn: str, external_id: str | None) -> bool:
    """Whether a trust policy lets ``caller_arn`` call ``sts:AssumeRole`` with this External ID."""
    doc = json.loads(trust_policy) if isinstance(trust_policy, str) else trust_policy
    context = {"sts:ExternalId": external_id}
    allowed = False
    for statement in _as_list(doc.get("Statement")):
        if not _action_matches(statement, ASSUME_ROLE_ACTION):
            continue
        if not _principal_matches(statement.get("Principal"), caller_arn):
            continue
        if not _conditions_hold(statement.get("Condition"), context):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def _is_assuming_role_operation(self: IAMRequestBase, resource_arn: str) -> bool:
    return self._action == ASSUME_ROLE_ACTION and ":role/" in resource_arn.lower()


def _check_role_trust_relationship(self: IAMRequestBase, role_arn: str) -> bool:
    m = _ROLE_ARN.match(role_arn)
    if not m:
        return False
    backend = iam_backends[m.group("account")][get_partition(self._region)]
    try:
        role = backend.get_role_by_arn(role_arn)
    except NotFoundException:
        return False  # AWS refuses to assume a role that does not exist
    external_ids = self._data.get("ExternalId")
    external_id = external_ids[0] if isinstance(external_ids, list) else external_ids
    return trust_allows(role.assume_role_policy_document, self._access_key.arn, external_id)


def install(mp: pytest.MonkeyPatch) -> None:
    """Patch moto's trust check for the duration of ``mp`` (a pytest ``MonkeyPatch``)."""
    mp.setattr(IAMRequestBase, "_is_assuming_role_operation", _is_assuming_role_operation)
    mp.setattr(IAMRequestBase, "_check_role_trust_relationship", _check_role_trust_relationship)
