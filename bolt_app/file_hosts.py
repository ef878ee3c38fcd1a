"""Where the bot token may be sent to download a file: Slack's file host only (and, for a Slack Web API double,
the host of the configured SLACK_API_URL). A file `files.info` places anywhere else is a remote file (a link to
a file stored elsewhere) and is refused before anything is requested."""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urlsplit

SLACK_FILE_HOST = "files.slack.com"


def api_origin(base_url: str) -> str:
    """The `host:port` of the Web API the client talks to (SLACK_API_URL), the one other place files may be."""
    return urlsplit(base_url).netloc


def is_slack_file_url(url: str, other_origins: Collection[str] = ()) -> bool:
    parts = urlsplit(url)
    if parts.hostname == SLACK_FILE_HOST and parts.port is None:
        return parts.scheme == "https"
    return bool(parts.netloc) and parts.netloc in other_origins


def remote_file_problem(name: str) -> str:
    return (
        f"Attachments: {name} is a link to a file stored outside Slack, which the app cannot send to AWS Support. "
        "Upload the file itself to Slack, attach it here and submit again."
    )
