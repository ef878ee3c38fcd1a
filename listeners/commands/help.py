from listeners.commands.aws_support import CommandRequest
from listeners.commands.aws_support import show_help
from listeners.commands.aws_support import subcommand


@subcommand("help", "show this list")
async def help_subcommand(request: CommandRequest) -> None:
    await show_help(request)
