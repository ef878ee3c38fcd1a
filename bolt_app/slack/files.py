"""Files a user attached in a Slack modal, downloaded with the bot token (after `ack()`) to send them to AWS."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bolt_app.errors import UserFacingError
from bolt_app.file_hosts import api_origin
from bolt_app.file_hosts import is_slack_file_url
from bolt_app.file_hosts import remote_file_problem
from bolt_app.services.cases.fields import ATTACHMENTS_BLOCK
from bolt_app.services.cases.fields import MAX_ATTACHMENT_BYTES
from bolt_app.services.cases.models import Attachment
from bolt_app.services.cases.validation import attachment_problem

_CHUNK = 64 * 1024


async def download_attachments(client: AsyncWebClient, file_ids: Sequence[str]) -> tuple[Attachment, ...]:
    """The files, in the order given. Sizes are checked from `files.info` before anything is downloaded, and
    while downloading (a file never grows past the limit in memory). UserFacingError says which file failed."""
    if not file_ids:
        return ()
    infos = await asyncio.gather(*(_file_info(client, file_id) for file_id in file_ids))
    problem = attachment_problem([(str(f.get("name") or f["id"]), int(f.get("size") or 0)) for f in infos])
    if problem:
        raise UserFacingError(problem, field=ATTACHMENTS_BLOCK)
    origins = {api_origin(client.base_url)}
    for info in infos:
        if info.get("is_external") or not is_slack_file_url(_url(info), origins):
            # The bot token is sent only to Slack: a remote file is refused before any request is made.
            raise UserFacingError(
                remote_file_problem(str(info.get("name") or info["id"])), field=ATTACHMENTS_BLOCK
            )
    data = await asyncio.gather(*(_download(client, info) for info in infos))
    return tuple(
        Attachment(str(info.get("name") or info["id"]), d) for info, d in zip(infos, data, strict=True)
    )


async def _file_info(client: AsyncWebClient, file_id: str) -> dict[str, object]:
    try:
        response = await client.files_info(file=file_id)
    except SlackApiError as e:
        raise UserFacingError(
            f"Slack did not hand over an attached file ({e.response.get('error')}), so nothing was sent to AWS "
            "Support. Attach the file again and resubmit; if this repeats, the app may lack the `files:read` "
            "permission (reinstall it)."
        ) from e
    return dict(response["file"])


def _url(info: dict[str, object]) -> str:
    return str(info.get("url_private_download") or info.get("url_private") or "")


async def _download(client: AsyncWebClient, info: dict[str, object]) -> bytes:
    name = str(info.get("name") or info["id"])
    url = _url(info)
    failed = f"Could not download {name} from Slack, so nothing was sent to AWS Support. Attach it again and resubmit."
    if not url:
        raise UserFacingError(failed)
    session = client.session or aiohttp.ClientSession()
    try:
        headers = {"Authorization": f"Bearer {client.token}"}
        # aiohttp drops the Authorization header on a redirect to another origin.
        async with session.get(url, headers=headers, allow_redirects=True) as response:
            if response.status != 200:
                raise UserFacingError(f"{failed} (HTTP {response.status})")
            # Without a valid token Slack answers 200 with its sign-in page instead of the file.
            if response.content_type == "text/html" and info.get("mimetype") != "text/html":
                raise UserFacingError(f"{failed} (Slack sent its sign-in page: check the files:read scope)")
            data = bytearray()
            async for chunk in response.content.iter_chunked(_CHUNK):
                data += chunk
                if len(data) > MAX_ATTACHMENT_BYTES:
                    raise UserFacingError(attachment_problem([(name, len(data))]) or failed)
            return bytes(data)
    except aiohttp.ClientError as e:
        raise UserFacingError(f"{failed} ({type(e).__name__})") from e
    finally:
        if session is not client.session:
            await session.close()
