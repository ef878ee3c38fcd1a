from slack_bolt.async_app import AsyncApp

# Importing a subcommand module registers its subcommands.
from listeners.commands import accounts  # noqa: F401
from listeners.commands import audit  # noqa: F401
from listeners.commands import cases  # noqa: F401
from listeners.commands import channels  # noqa: F401
from listeners.commands import help  # noqa: F401
from listeners.commands import quotas  # noqa: F401
from listeners.commands.aws_support import aws_support_command


def register(app: AsyncApp) -> None:
    app.command("/aws-support")(aws_support_command)
