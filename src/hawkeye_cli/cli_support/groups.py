"""Command groups that run one of their subcommands when none is named (`compress-cot FILE`, `logs -n 5`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from typer.core import TyperGroup

if TYPE_CHECKING:
    from typer._click.core import Context  # typer vendors click; its Context is what TyperGroup passes


class DefaultCommandGroup(TyperGroup):
    """`GROUP ARGS...` stands for `GROUP <default_command> ARGS...`: only a subcommand's name selects another.
    With no arguments at all: the group's help when it has no_args_is_help, else the default command.

    Done before parsing (not in resolve_command) so that options may come before arguments as well.
    """

    default_command: ClassVar[str]

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        named = args and (args[0] in self.commands or args[0] in ctx.help_option_names)
        if (args and not named) or (not args and not self.no_args_is_help):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)
