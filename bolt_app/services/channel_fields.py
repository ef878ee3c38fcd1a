"""The fields of the channel configuration modal that the channel rules check: plain constants, shared by the
rules (`services.channels`) and the modal (`bolt_app.blocks.channels`). An error names the field it is about."""

from __future__ import annotations

SEVERITIES = {"all": "All cases", "high": "High-severity cases", "none": "None"}
NOTIFICATIONS_FIELD = "notifications"
