"""Documentation that travels with the code: docs/architecture.md, and the screenshots script."""
