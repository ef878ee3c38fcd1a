"""The install pages in a real browser (Debian's chromium, headless): they render under their own CSP, read at
phone width, the copy buttons copy, and the download delivers the workspace's template.

Skipped when chromium is absent locally; required in CI (`.ci/run` installs it)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs
from urllib.parse import urlencode
from urllib.parse import urlparse

import pytest
import yaml
from sqlalchemy import text

from tests.fakes.aws import AwsDouble
from tests.fakes.slack_api import FakeSlackApi
from tests.helpers.app import AppHarness
from tests.helpers.app import app_settings
from tests.helpers.app import running_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; CI installs Debian's chromium to check the install pages")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium chromium-driver)")
    return CHROMIUM


@pytest.fixture
async def app(sqlite_url: str, slack: FakeSlackApi, aws: AwsDouble) -> AsyncIterator[AppHarness]:
    async with running_app(app_settings(sqlite_url, slack), slack) as h:
        yield h


@pytest.fixture
async def browser(chromium: Path, app: AppHarness, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A fresh profile whose only network is the app; Slack's authorize page answers as Slack does when the
    user clicks Allow (a redirect to the app with a code)."""
    from playwright.async_api import Route
    from playwright.async_api import async_playwright

    origin = app.url("/").rstrip("/")

    async def network(route: Route) -> None:
        url = urlparse(route.request.url)
        if route.request.url.startswith(origin + "/"):
            await route.continue_()
        elif url.path == "/oauth/v2/authorize":
            state = parse_qs(url.query)["state"][0]
            back = app.url("/slack/oauth_redirect?" + urlencode({"code": "valid-code", "state": state}))
            await route.fulfill(status=302, headers={"Location": back})
        else:
            await route.abort()  # the "Add to Slack" image, and anything else outside

    async with async_playwright() as p:
        context = await p.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(chromium),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport=DESKTOP,
            accept_downloads=True,
        )
        await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
        await context.route("**/*", network)
        try:
            yield context
        finally:
            await context.close()


async def _no_sideways_scrolling(page) -> None:  # type: ignore[no-untyped-def]
    assert await page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    cut = await page.evaluate(
        """[...document.querySelectorAll("p, li, dd, dt, h1, h2, h3, summary")]
             .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.slice(0, 40))"""
    )
    assert cut == []


async def _external_id(h: AppHarness) -> str:
    async with h.services.engine.connect() as conn:
        return str((await conn.execute(text("SELECT external_id FROM workspaces"))).scalar_one())


async def test_install_and_success_pages_in_a_browser(
    browser, app: AppHarness, aws: AwsDouble, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    page = browser.pages[0] if browser.pages else await browser.new_page()
    page.set_default_timeout(10_000)
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)

    # the install page, at phone width: the scopes and why, readable without sideways scrolling
    await page.set_viewport_size(PHONE)
    await page.goto(app.url("/slack/install?aws_account=210987654321"))
    assert await page.get_by_role("heading", name="What the app asks Slack for").is_visible()
    assert await page.locator("dl.scopes dt").all_inner_texts() == [
        "commands", "chat:write", "users:read", "channels:read", "groups:read", "files:read", "usergroups:read",
    ]  # fmt: skip
    await _no_sideways_scrolling(page)
    await page.screenshot(path=tmp_path / "install-390.png", full_page=True)

    # Add to Slack → Slack → back to the app: the success page
    await page.set_viewport_size(DESKTOP)
    await page.get_by_role("link", name="Add to Slack").click()
    await page.wait_for_url("**/slack/oauth_redirect?**")
    assert await page.get_by_role("heading", name="AWS Support is installed").is_visible()
    # the page's own style applies (its hash is in the policy)
    assert await page.evaluate("getComputedStyle(document.body).maxWidth") == "736px"
    height = await page.evaluate("document.scrollingElement.scrollHeight")
    await page.screenshot(path=tmp_path / "success-1280.png", full_page=True)
    assert height < 2000, f"the success page is {height} px tall at 1280 px"

    # the copy buttons put the values on the clipboard
    external_id = await _external_id(app)
    for what, expected in [
        ("Copy External ID", external_id),
        ("Copy AWS principal", aws.app_principal_arn),
    ]:
        button = page.get_by_role("button", name=what)
        await button.click()
        assert await page.evaluate("navigator.clipboard.readText()") == expected
        assert await button.inner_text() == "Copied"
    await page.get_by_role("button", name="Copy deploy command").click()
    command = await page.evaluate("navigator.clipboard.readText()")
    assert command.split()[:3] == ["aws", "cloudformation", "deploy"]
    assert "--capabilities CAPABILITY_NAMED_IAM" in command

    # the download delivers this workspace's template, under the name the command deploys
    async with page.expect_download() as started:
        await page.get_by_role("link", name="Download CloudFormation template").click()
    download = await started.value
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    assert f"--template-file {saved.name}" in command and saved.suffix == ".yml"
    role = yaml.safe_load(saved.read_text())["Resources"]["Role"]["Properties"]
    statement = role["AssumeRolePolicyDocument"]["Statement"][0]
    assert statement["Principal"] == {"AWS": aws.app_principal_arn}
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": external_id}}

    # the policies are folded away until asked for
    trust = page.locator("#trust-policy")
    assert not await trust.is_visible()
    await page.get_by_text("Do it by hand").click()
    assert await trust.is_visible() and external_id in await trust.inner_text()

    # at phone width the prose still fits
    await page.set_viewport_size(PHONE)
    await _no_sideways_scrolling(page)
    await page.screenshot(path=tmp_path / "success-390.png", full_page=True)

    assert refused == []
