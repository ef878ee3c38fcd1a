from slack_bolt.async_app import AsyncApp

# Importing a subcommand module registers its subcommands; the help list follows this order.
from listeners.commands import accounts, channels, help  # noqa: F401  (order: the help list)
from listeners.commands.aws_support import aws_support_command


def register(app: AsyncApp) -> None:
    app.command("/aws-support")(aws_support_command)
