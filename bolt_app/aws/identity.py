"""The app's own AWS identity: the principal customer roles must trust."""

from __future__ import annotations

import asyncio
import logging
import re

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError
from botocore.exceptions import ClientError

log = logging.getLogger(__name__)

_ASSUMED_ROLE = re.compile(
    r"^arn:(?P<partition>[\w-]+):sts::(?P<account>\d{12}):assumed-role/(?P<role>[^/]+)/.+$"
)
_STS_CONFIG = Config(connect_timeout=3, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})


def principal_arn_from_caller_arn(caller_arn: str) -> str:
    """The ARN a trust policy must name for this caller: an assumed-role session maps to its role.

    (A role with a path is named without it here; STS does not return the path.)
    """
    m = _ASSUMED_ROLE.match(caller_arn)
    if m:
        return f"arn:{m['partition']}:iam::{m['account']}:role/{m['role']}"
    return caller_arn


class AppIdentity:
    """Looks the principal up once with sts:GetCallerIdentity, in a thread, and remembers it."""

    def __init__(self) -> None:
        self._arn: str | None = None
        self._lock = asyncio.Lock()

    async def principal_arn(self) -> str | None:
        if self._arn is not None:
            return self._arn
        async with self._lock:
            if self._arn is None:
                try:
                    caller = await asyncio.to_thread(self._get_caller_identity)
                except (BotoCoreError, ClientError) as e:
                    log.warning("cannot learn the app's AWS principal from sts:GetCallerIdentity: %s", e)
                    return None
                self._arn = principal_arn_from_caller_arn(caller)
        return self._arn

    @staticmethod
    def _get_caller_identity() -> str:
        sts = boto3.session.Session().client("sts", config=_STS_CONFIG)
        return str(sts.get_caller_identity()["Arn"])
