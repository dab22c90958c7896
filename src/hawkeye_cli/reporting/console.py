"""The two consoles: results go to stdout (pipeable), progress and errors to stderr."""

from rich.console import Console
from rich.markup import escape

from hawkeye_cli.errors import HawkeyeError

stdout = Console()
stderr = Console(stderr=True)


def print_error(error: HawkeyeError) -> None:
    """One line on stderr: what went wrong, and the fix."""
    stderr.print(f"[bold red]error:[/] {escape(error.one_line())}", highlight=False, soft_wrap=True)


def print_warning(warning: HawkeyeError) -> None:
    """One line on stderr about something that went wrong without stopping the command."""
    stderr.print(f"[yellow]warning:[/] {escape(warning.one_line())}", highlight=False, soft_wrap=True)
