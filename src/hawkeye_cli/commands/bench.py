"""`hawkeye bench`: placeholder until the benchmark lands."""

from __future__ import annotations

import typer

from hawkeye_cli.errors import HawkeyeError

app = typer.Typer(help="Benchmarks: accuracy, tokens, latency and cost of hawkeye vs the planner alone.")


@app.command("gsm8k")
def gsm8k() -> None:
    """GSM8K (not implemented yet)."""
    raise HawkeyeError("bench is not implemented yet")
