"""`GET /slack/install/role-template`: the CloudFormation template of a workspace's role, by the signed link that
the install's success page shows. Anything but a valid, unexpired link gets a page that says what to do."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from collections.abc import Callable

from aiohttp import web

from bolt_app.http import pages
from bolt_app.services.role_templates import TEMPLATE_PATH
from bolt_app.services.role_templates import PrincipalUnknown
from bolt_app.services.role_templates import RoleTemplates
from bolt_app.services.role_templates import WorkspaceNotInstalled
from bolt_app.signed_links import LinkExpired
from bolt_app.signed_links import LinkInvalid

log = logging.getLogger(__name__)

__all__ = ["TEMPLATE_PATH", "role_template_route", "template_url"]

_AGAIN = (
    "The app's operator can print the template with aws-support-slack accounts template, or a workspace admin "
    "can install the app again from the install link to get a new download link."
)


def template_url(token: str) -> str:
    return f"{TEMPLATE_PATH}?link={token}"


def _page(status: int, title: str, text: str) -> web.Response:
    return web.Response(
        status=status,
        text=pages.notice_page(title, text, link_label="Install link"),
        content_type="text/html",
        charset="utf-8",
        headers={"Cache-Control": "no-store"},
    )


def role_template_route(templates: RoleTemplates) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        try:
            found = await templates.for_link(request.query.get("link", ""))
        except LinkExpired:
            return _page(410, "This download link has expired", f"Nothing was downloaded. {_AGAIN}")
        except (LinkInvalid, ValueError):
            return _page(403, "This download link is not valid", f"It was changed or cut short. {_AGAIN}")
        except WorkspaceNotInstalled:
            return _page(
                404,
                "This workspace is not installed",
                "The app was removed from the workspace this link is for. Install it again from the install "
                "link, which shows a new download link.",
            )
        except PrincipalUnknown:
            return _page(
                503,
                "The template cannot be made right now",
                "The app could not determine its own AWS principal (sts:GetCallerIdentity failed), which the "
                "role's trust policy must name. Try again in a few minutes; if it keeps failing, the app's "
                "operator should check the app's AWS credentials.",
            )
        return web.Response(
            text=found.text,
            content_type="application/yaml",
            charset="utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{found.filename}"',
                "Cache-Control": "no-store",
            },
        )

    return handle
