"""Slack adapters: authorization and the install flow, delivery, case messages, files, retries, payload shapes."""
