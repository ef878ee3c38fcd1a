"""The load generator, run as its own process: reads a JSON job on stdin, sends Slack-signed requests at the
given concurrency, prints one JSON result per request on stdout.

Job: {"url", "signing_secret", "content_type", "bodies": [str], "concurrency", "timeout_s", "deadline_s"}, and
optionally "at": [seconds], when to send each body after the start (an arrival schedule instead of a queue).
Times are time.monotonic() of this machine (system-wide on Linux), so the caller can line them up with the
times its fake Slack recorded.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import aiohttp
from slack_sdk.signature import SignatureVerifier


async def _send(
    session: aiohttp.ClientSession, job: dict[str, Any], verifier: SignatureVerifier, index: int, body: str
) -> dict[str, Any]:
    ts = str(int(time.time()))
    headers = {
        "Content-Type": job["content_type"],
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=body) or "",
    }
    sent = time.monotonic()
    try:
        async with session.post(job["url"], data=body.encode(), headers=headers) as response:
            text = await response.text()
            return {
                "i": index,
                "sent": sent,
                "done": time.monotonic(),
                "status": response.status,
                "body": text[:500],
            }
    except (aiohttp.ClientError, TimeoutError) as e:
        return {
            "i": index,
            "sent": sent,
            "done": time.monotonic(),
            "status": 0,
            "body": f"{type(e).__name__}: {e}",
        }


async def run(job: dict[str, Any]) -> list[dict[str, Any]]:
    verifier = SignatureVerifier(job["signing_secret"])
    queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
    for item in enumerate(job["bodies"]):
        queue.put_nowait(item)
    results: list[dict[str, Any]] = []
    deadline = time.monotonic() + job.get("deadline_s", 120)
    timeout = aiohttp.ClientTimeout(total=job.get("timeout_s", 10))
    connector = aiohttp.TCPConnector(limit=job["concurrency"])

    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        if "at" in job:
            start = time.monotonic()

            async def scheduled(index: int, body: str, at: float) -> None:
                await asyncio.sleep(max(0.0, start + at - time.monotonic()))
                results.append(await _send(session, job, verifier, index, body))

            await asyncio.gather(
                *(scheduled(i, b, a) for (i, b), a in zip(enumerate(job["bodies"]), job["at"], strict=True))
            )
            return results

        async def worker() -> None:
            while not queue.empty() and time.monotonic() < deadline:
                index, body = queue.get_nowait()
                results.append(await _send(session, job, verifier, index, body))

        await asyncio.gather(*(worker() for _ in range(job["concurrency"])))
    return results


def main() -> None:
    job = json.load(sys.stdin)
    json.dump(asyncio.run(run(job)), sys.stdout)


if __name__ == "__main__":
    main()
