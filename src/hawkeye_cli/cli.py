"""The `hawkeye` command: wiring only. Each subcommand lives in commands/<name>.py."""

from __future__ import annotations

import itertools
from typing import Any

import typer
from typer.core import TyperGroup

from hawkeye_cli import __version__
from hawkeye_cli.commands import ask, bench, calibrate, compress_cot, logs, models, pull, score, serve, verify
from hawkeye_cli.errors import EXIT_BROKEN_PIPE, EXIT_USAGE, HawkeyeError, Interrupted
from hawkeye_cli.outputs import discard_stdout, stdout_write_failure
from hawkeye_cli.reporting.console import print_error
from hawkeye_cli.reporting.documents import error_fields, release_documents


class _FriendlyErrors(TyperGroup):
    """Errors a user can fix as one line on stderr and the exit code errors.py names (usage errors stay typer's,
    exit 2); with --json also as a document on stdout (reporting/documents.py). A closed stdout is a quiet exit, a
    full one an error line."""

    def invoke(self, *args: Any, **kwargs: Any) -> Any:
        """Passes its arguments through untouched: typer's Context base class is private (it vendors click)."""
        as_json = "--json" in itertools.takewhile(lambda arg: arg != "--", args[0].args)
        error: dict[str, Any] | None = None
        try:
            try:
                try:
                    return super().invoke(*args, **kwargs)
                except KeyboardInterrupt:
                    failure: HawkeyeError = Interrupted("interrupted")
                except HawkeyeError as exc:
                    failure = exc
                except typer.TyperException as exc:  # click's usage errors: typer prints them its own way
                    context = getattr(exc, "ctx", None)
                    error = error_fields("usage_error" if exc.exit_code == EXIT_USAGE else "error",
                                         exc.format_message(), context and f"see: {context.command_path} --help")
                    raise
                error = error_fields(failure.code, failure.message, failure.fix)
                print_error(failure)
                raise typer.Exit(failure.exit_code) from None
            finally:
                release_documents(error if as_json else None)
        except BrokenPipeError:
            discard_stdout()
            raise typer.Exit(EXIT_BROKEN_PIPE) from None
        except OSError as exc:
            stdout_failure = stdout_write_failure(exc)
            if stdout_failure is None:
                raise
            print_error(stdout_failure)
            raise typer.Exit(stdout_failure.exit_code) from None


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
