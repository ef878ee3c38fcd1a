"""Benchmarks of aws-support-slack against a bare Bolt app, in the same run: `python -m benchmarks --help`."""
