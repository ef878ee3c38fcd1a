"""The "Configure channel" modal: it names the channel, and its notification fields say their rule."""

from __future__ import annotations

from bolt_app.blocks.channels import SEVERITY_BLOCK
from bolt_app.blocks.channels import configure_channel_modal
from bolt_app.services.channel_fields import NOTIFICATIONS_FIELD
from tests.blocks.test_home import PROD


def test_configure_channel_names_the_channel_and_explains_the_notification_rule() -> None:
    view = configure_channel_modal([PROD], "{}", channel_name="aws-support-ops", public=False)
    assert view["blocks"][0]["text"]["text"].startswith("*#aws-support-ops*")
    by_id = {b.get("block_id"): b for b in view["blocks"]}
    assert "Production system down" in by_id[SEVERITY_BLOCK]["hint"]["text"]
    kinds = by_id[NOTIFICATIONS_FIELD]
    assert kinds["label"]["text"] == "Notify about"
    assert (
        "check at least one" in kinds["hint"]["text"]
        and "With None, leave all unchecked" in kinds["hint"]["text"]
    )
