"""Renders every Slack surface of the app from its real builders to docs/screenshots/*.png (`python -m
docs.screenshots`); the surfaces and their realistic values are in `surfaces`."""
