from slack_bolt.async_app import AsyncApp

from listeners.commands.aws_support import aws_support_command


def register(app: AsyncApp) -> None:
    app.command("/aws-support")(aws_support_command)
