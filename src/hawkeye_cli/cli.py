"""The `hawkeye` command: wiring only. Each subcommand lives in commands/<name>.py."""

from __future__ import annotations

from typing import Any

import click
import typer
from typer.core import TyperGroup

from hawkeye_cli import __version__
from hawkeye_cli.commands import ask, bench, compress_cot, models, pull, serve, verify
from hawkeye_cli.errors import HawkeyeError
from hawkeye_cli.reporting.console import stderr


class _FriendlyErrors(TyperGroup):
    """Turns errors a user can fix into one line on stderr and exit code 1 (usage errors stay 2)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except HawkeyeError as exc:
            stderr.print(f"[bold red]error:[/] {exc.one_line()}", highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            stderr.print("[yellow]interrupted[/]")
            raise typer.Exit(130) from None


app = typer.Typer(
    cls=_FriendlyErrors,
    name="hawkeye",
    help="Efficient reasoning by model collaboration: a planner writes a concise chain of thought, "
    "a small expander writes the full answer.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("ask")(ask.ask)
app.command("models")(models.list_models)
app.command("pull")(pull.pull)
app.command("verify")(verify.verify)
app.add_typer(bench.app, name="bench")
app.command("compress-cot")(compress_cot.compress_cot)
app.command("serve")(serve.serve)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"hawkeye {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """Efficient reasoning by model collaboration."""


def main() -> None:
    app()
