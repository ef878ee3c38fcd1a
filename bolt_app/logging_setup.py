"""Log lines as text or as one JSON object per line (LOG_FORMAT=json), with the request they belong to, and
without Slack tokens whatever a library puts into a message."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import uuid
from collections.abc import Awaitable
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from typing import Any

LOG_FORMATS = ("text", "json")
# Bot, user, app-level, refresh and configuration tokens; and Fernet ciphertext of stored tokens.
_TOKEN = re.compile(r"\b(?:xox[abpore]|xapp|xoxe\.xox[bp])-[A-Za-z0-9-]+|\bgAAAAA[A-Za-z0-9_=-]{20,}")
CONTEXT_FIELDS = ("team", "channel", "user", "request_id", "aws_request_id")

# What the current request is about. One dict per request, shared by reference with the tasks and threads
# started for it (they copy the context, not the dict), so a field set later is seen by all of them.
_request: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("log_request", default=None)


def start_request(request_id: str) -> None:
    """Begins a request's log context in the current task."""
    _request.set({"request_id": request_id})


def bind(**fields: str | None) -> None:
    """Adds fields (team, channel, user, aws_request_id) to the current request's log lines."""
    current = _request.get()
    if current is None:
        current = {}
        _request.set(current)
    current.update({k: v for k, v in fields.items() if v})


async def bolt_log_context(context: Any, next: Callable[[], Awaitable[None]]) -> None:
    """A Bolt middleware: the team, channel and user of the request go into its log lines."""
    if _request.get() is None:  # Socket Mode: no HTTP request began one
        start_request(uuid.uuid4().hex[:16])
    bind(
        team=context.team_id or context.enterprise_id,
        channel=context.channel_id,
        user=context.user_id,
    )
    await next()


def redact(text: str) -> str:
    return _TOKEN.sub("[token]", text)


class _Redacting(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({k: v for k, v in (_request.get() or {}).items() if k in CONTEXT_FIELDS})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(line, ensure_ascii=False, default=str))


def configure_logging(level: str, log_format: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter()
        if log_format == "json"
        else _Redacting("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
