"""Headers that keep the app's HTML pages (the install flow) from being framed, sniffed, leaking the OAuth code
in a Referer, or running anything but their own style and script."""

from __future__ import annotations

import base64
import hashlib

from aiohttp import web

from bolt_app.http.pages import IMAGE_ORIGIN
from bolt_app.http.pages import SCRIPT
from bolt_app.http.pages import STYLE


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        f"style-src {_sha256(STYLE)}",
        f"script-src {_sha256(SCRIPT)}",
        f"img-src {IMAGE_ORIGIN}",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
HTML_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    # The success page holds the External ID and a download link: no copy of it in shared caches or history.
    "Cache-Control": "no-store",
}


@web.middleware
async def security_headers(request: web.Request, handler):  # type: ignore[no-untyped-def]
    response = await handler(request)
    if response.content_type == "text/html":
        response.headers.update(HTML_HEADERS)
    else:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response
