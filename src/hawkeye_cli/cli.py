"""The `hawkeye` command: wiring only. Each subcommand lives in commands/<name>.py."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from hawkeye_cli import __version__
from hawkeye_cli.commands import ask, bench, calibrate, compress_cot, logs, models, pull, score, serve, verify
from hawkeye_cli.errors import EXIT_INTERRUPTED, HawkeyeError
from hawkeye_cli.reporting.console import print_error, stderr


class _FriendlyErrors(TyperGroup):
    """Turns errors a user can fix into one line on stderr and exit code 1 (usage errors stay 2)."""

    def invoke(self, *args: Any, **kwargs: Any) -> Any:
        """Passes its arguments through untouched: typer's Context base class is private (it vendors click)."""
        try:
            return super().invoke(*args, **kwargs)
        except HawkeyeError as exc:
            print_error(exc)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            stderr.print("[yellow]interrupted[/]")
            raise typer.Exit(EXIT_INTERRUPTED) from None


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
app.add_typer(calibrate.app, name="calibrate")
app.add_typer(compress_cot.app, name="compress-cot")
app.command("score")(score.score)
app.command("serve")(serve.serve)
app.add_typer(logs.app, name="logs")


def _version(value: bool) -> None:
    """The versions that decide speed and results: hawkeye's, llama.cpp's, and whether it can use a GPU."""
    if value:
        import llama_cpp

        offload = "GPU offload: yes (Metal/CUDA/Vulkan build)" if llama_cpp.llama_supports_gpu_offload() \
            else "GPU offload: no (CPU build)"
        typer.echo(f"hawkeye {__version__} · llama-cpp-python {llama_cpp.__version__} · {offload}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """Efficient reasoning by model collaboration."""


def main() -> None:
    app()
