"""The two consoles: results go to stdout (pipeable), progress and errors to stderr."""

from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape

from hawkeye_cli.errors import HawkeyeError, Interrupted
from hawkeye_cli.terminal import printable


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """Rich exits 1 here; cli.py makes a closed pipe the quiet exit 141 that other commands give."""
        self.quiet = True
        raise BrokenPipeError


stdout = _Console()
stderr = _Console(stderr=True)


def markup_safe(text: str) -> str:
    """Outside text inside a Rich markup string, on one line: its control characters shown (terminal.printable)
    and its brackets escaped, so that neither an escape sequence nor `[link=…]` in it acts on the terminal. A Text
    object takes no markup: it needs only printable."""
    return escape(printable(text))


def print_error(error: HawkeyeError) -> None:
    """One line on stderr: what went wrong, and the fix; Ctrl-C is no error, only the user's wish."""
    if isinstance(error, Interrupted):
        stderr.print(f"[yellow]{markup_safe(error.one_line())}[/]", highlight=False, soft_wrap=True)
    else:
        stderr.print(f"[bold red]error:[/] {markup_safe(error.one_line())}", highlight=False, soft_wrap=True)


def all_but_last_printed(errors: Sequence[HawkeyeError]) -> HawkeyeError | None:
    """Several failures of one command: each but the last as its line, the last returned for the caller to raise
    (its exit status is the command's) once what it still has to do is done."""
    for error in errors[:-1]:
        print_error(error)
    return errors[-1] if errors else None


def print_notice(text: str) -> None:
    """One line on stderr about something the user may not expect, though nothing went wrong."""
    stderr.print(f"[yellow]note:[/] {escape(text)}", highlight=False, soft_wrap=True)


def print_warning(warning: HawkeyeError) -> None:
    """One line on stderr about something that went wrong without stopping the command."""
    stderr.print(f"[yellow]warning:[/] {markup_safe(warning.one_line())}", highlight=False, soft_wrap=True)
