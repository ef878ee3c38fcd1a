from listeners.commands.aws_support import CommandRequest, show_help, subcommand


@subcommand("help", "show this list")
async def help_subcommand(request: CommandRequest) -> None:
    await show_help(request)
