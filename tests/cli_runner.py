"""The one way tests run the hawkeye CLI in-process (typer's CliRunner on hawkeye_cli.cli.app), and what it printed.

Tests reach the runner through the `hawkeye` fixture (conftest.py); a module's own wrapper of one command with fixed
options calls `run_hawkeye`.
"""

from __future__ import annotations

from typing import Protocol

from typer.testing import CliRunner, Result

from hawkeye_cli.cli import app


class Hawkeye(Protocol):
    def __call__(self, *args: str, input: str | None = None) -> Result: ...


def run_hawkeye(*args: str, input: str | None = None) -> Result:
    """`hawkeye ARGS` with `input` on standard input; the result keeps stdout and stderr apart."""
    return CliRunner().invoke(app, list(args), input=input)


def error_lines(result: Result) -> list[str]:
    """The `error:` lines a run printed on stderr."""
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]
