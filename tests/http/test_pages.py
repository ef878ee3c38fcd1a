"""The install pages over HTTP: the success page's download, its signed link, escaping, the scopes it names."""

from __future__ import annotations

import html
import re
import time
from pathlib import Path
from urllib.parse import parse_qs
from urllib.parse import urlparse

import yaml
from sqlalchemy import text

from bolt_app.http.oauth import BOT_SCOPES
from tests.fakes.aws import AwsDouble
from tests.helpers.app import AppHarness
from tests.helpers.app import PageResponse

ROOT = Path(__file__).resolve().parents[2]


async def _external_id(h: AppHarness, team_id: str = "T0001") -> str:
    async with h.services.engine.connect() as conn:
        query = text("SELECT external_id FROM workspaces WHERE team_id = :t")
        return str((await conn.execute(query, {"t": team_id})).scalar_one())


def _link_token(page: PageResponse) -> str:
    link = re.search(r'<a class="download" href="([^"]+)"', page.text)
    assert link
    return parse_qs(urlparse(html.unescape(link.group(1))).query)["link"][0]


async def test_the_download_delivers_this_workspaces_role_template(
    harness: AppHarness, aws: AwsDouble
) -> None:
    page = await harness.install("aws_account=210987654321")
    external_id = await _external_id(harness)

    download = await harness.download_role_template(page)

    assert download.status == 200
    assert (
        download.headers["Content-Disposition"] == 'attachment; filename="aws-support-slack-role-T0001.yml"'
    )
    assert download.headers["Content-Type"].startswith("application/yaml")
    template = yaml.safe_load(download.text)
    trust = template["Resources"]["Role"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"AWS": aws.app_principal_arn}
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": external_id}}
    # the command deploys that file, with the capability a named role needs
    command = html.unescape(re.search(r'<pre id="deploy-command">(.*?)</pre>', page.text, re.S)[1])
    assert command.split() == [
        "aws", "cloudformation", "deploy", "\\", "--stack-name", "aws-support-slack-role-T0001", "\\",
        "--template-file", "aws-support-slack-role-T0001.yml", "\\", "--capabilities", "CAPABILITY_NAMED_IAM",
    ]  # fmt: skip
    assert 'href="https://console.aws.amazon.com/cloudformation/home#/stacks/create"' in page.text
    # the policies are there, folded away
    details = re.search(r"<details>(.*?)</details>", page.text, re.S)
    assert details and "<summary>Do it by hand</summary>" in details[1] and "sts:ExternalId" in details[1]
    assert "arn:aws:iam::210987654321:role/AWSSupportSlackRole-T0001" in page.text
    assert template["Parameters"]["RoleName"]["Default"] == "AWSSupportSlackRole-T0001"


async def test_a_download_link_that_expired_or_was_changed_delivers_nothing(
    harness: AppHarness, aws: AwsDouble
) -> None:
    harness.slack.oauth.team_id = "T0001"
    first = await harness.install()
    harness.slack.oauth.team_id, harness.slack.oauth.team_name = "T0002", "Other Team"
    await harness.install()
    token = _link_token(first)

    # another workspace's ID in a link signed for T0001
    other = token.replace(".T0001.", ".T0002.")
    assert other != token
    changed = await harness.get(f"/slack/install/role-template?link={other}")
    assert changed.status == 403 and "not valid" in changed.text
    assert await _external_id(harness, "T0002") not in changed.text
    for cut in ("", token[:-3], "no-dots", "a.b.c.d.e"):
        refused = await harness.get(f"/slack/install/role-template?link={cut}")
        assert refused.status == 403 and "not valid" in refused.text

    signer = harness.services.role_templates.signer
    signer.clock = lambda: time.time() + 24 * 3600 + 1
    expired = await harness.get(f"/slack/install/role-template?link={token}")
    assert (
        expired.status == 410 and "expired" in expired.text and "AWSTemplateFormatVersion" not in expired.text
    )
    assert expired.headers["Content-Security-Policy"].startswith("default-src 'none'")


async def test_an_uninstalled_workspaces_link_delivers_nothing(harness: AppHarness, aws: AwsDouble) -> None:
    page = await harness.install()
    await harness.services.workspaces.uninstall(None, "T0001", False)
    gone = await harness.get(f"/slack/install/role-template?link={_link_token(page)}")
    assert gone.status == 404 and "not installed" in gone.text


async def test_a_team_name_is_shown_as_text_not_markup(harness: AppHarness) -> None:
    harness.slack.oauth.team_name = '<img src=x onerror="alert(1)"> & Co'
    page = await harness.install()
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; Co" in page.text
    assert "<img src=x" not in page.text


async def test_the_install_page_names_each_scope_it_asks_for_and_why(harness: AppHarness) -> None:
    _, page = await harness.start_install()
    authorize_url = html.unescape(re.search(r'href="([^"]+)"', page.text)[1])
    asked = parse_qs(urlparse(authorize_url).query)["scope"][0].split(",")
    explained = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", page.text))
    assert sorted(explained) == sorted(asked)
    assert all(len(why) > 20 for why in explained.values())
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)
