"""`hawkeye logs`: the savings ledger, every question `ask` and `serve` answered (list, stats, off/on, path)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, TypeVar

import typer

from hawkeye_cli import ledger
from hawkeye_cli.cli_support import options
from hawkeye_cli.cli_support.groups import DefaultCommandGroup
from hawkeye_cli.ledger.database import Ledger
from hawkeye_cli.reporting.console import stderr, stdout
from hawkeye_cli.reporting.documents import print_document
from hawkeye_cli.reporting.logs import entries_document, render_entries, render_stats, stats_document
from hawkeye_cli.store import paths

DEFAULT_COUNT = 10
MAX_COUNT = 1_000_000_000
"""--count's bound (SQLite's LIMIT takes a 64-bit integer); 0 shows all."""
Found = TypeVar("Found")
_AGE = re.compile(r"(\d+)\s*([mhdw])")
_AGE_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_EARLIEST = datetime.min.replace(tzinfo=timezone.utc)
_LATEST = datetime.max.replace(tzinfo=timezone.utc)


class ListByDefault(DefaultCommandGroup):
    """`hawkeye logs ...` stands for `hawkeye logs list ...`."""

    default_command = "list"


app = typer.Typer(
    cls=ListByDefault,
    help="The savings ledger: every question ask and serve answered, with its stages' tokens, seconds and cost "
    "and what it saved (measured with --compare, else estimated from the latest bench or calibrate of the same "
    "planner). "
    f"`hawkeye logs` is `hawkeye logs list`. Turn it off with `hawkeye logs off`, --no-log or {paths.NO_LOG_ENV}=1.",
    no_args_is_help=False,
)

Since = Annotated[
    str | None,
    typer.Option("--since", help="Only entries from then on: an ISO date or time in local time (2025-06-01, "
                 "2025-06-01T14:30) or an age (30m, 12h, 2d, 1w)."),
]


@app.command("list")
def list_entries(
    count: Annotated[
        int, typer.Option("--count", "-n", min=0, max=MAX_COUNT,
                          help="How many of the latest entries to show; 0 shows all.")
    ] = DEFAULT_COUNT,
    query: Annotated[
        str | None, typer.Option("--query", "-q", help="Only entries whose question or answer contains this text.")
    ] = None,
    since: Since = None,
    json_output: options.Json = False,
) -> None:
    """The latest entries, oldest first."""
    path = paths.ledger_path()
    logged = Ledger(path).entries(count=count or None, query=query, since=_since(since))
    _show(logged, json_output, entries_document, render_entries, where=str(path))


@app.command("stats")
def stats(since: Since = None, json_output: options.Json = False) -> None:
    """Totals per profile and overall: questions, tokens generated, and what they saved (measured, estimated)."""
    path = paths.ledger_path()
    _show(Ledger(path).totals(since=_since(since)), json_output, stats_document, render_stats, where=str(path))


@app.command("path")
def path() -> None:
    """Print where the ledger is (HAWKEYE_HOME moves it)."""
    typer.echo(str(paths.ledger_path()))


@app.command("off")
def off() -> None:
    """Stop recording questions (until `hawkeye logs on`); what is recorded stays."""
    marker = paths.ledger_off_marker()
    paths.make_data_dir(marker.parent)
    try:
        marker.touch()
    except OSError as exc:
        raise paths.data_dir_error(marker, exc) from exc
    stderr.print(f"Logging is off: questions are no longer recorded in {paths.ledger_path()} "
                 "(hawkeye logs on turns it back on).", highlight=False, soft_wrap=True)


@app.command("on")
def on() -> None:
    """Record questions again."""
    marker = paths.ledger_off_marker()
    try:
        marker.unlink(missing_ok=True)
    except OSError as exc:
        raise paths.data_dir_error(marker, exc) from exc
    reason = ledger.off_reason()
    if reason is not None:
        stderr.print(f"[yellow]warning:[/] still off: {reason}; unset it to record questions", highlight=False,
                     soft_wrap=True)
        return
    stderr.print(f"Logging is on: questions are recorded in {paths.ledger_path()}.", highlight=False,
                 soft_wrap=True)


@app.command("status")
def status() -> None:
    """Whether questions are recorded, where, and how many are."""
    where = paths.ledger_path()
    reason = ledger.off_reason()
    size = where.stat().st_size if where.exists() else 0
    typer.echo(f"logging: {'on' if reason is None else f'off ({reason})'}")
    typer.echo(f"file: {where} ({size / 1024:,.0f} KiB)")
    typer.echo(f"entries: {Ledger(where).count():,}")


def _show(found: Found, json_output: bool, document: Callable[[Found], dict[str, Any]],
          render: Callable[..., None], *, where: str) -> None:
    """What was read from the ledger, as its JSON document or rendered, then a note if logging is off."""
    if json_output:
        print_document(document(found))
    else:
        render(stdout, found, where=where)
    _note_if_off()


def _note_if_off() -> None:
    reason = ledger.off_reason()
    if reason is not None:
        stderr.print(f"Logging is off ({reason}): new questions are not recorded.", highlight=False,
                     soft_wrap=True)


def _since(text: str | None) -> datetime | None:
    """`--since`: an age before now, or an ISO date or time (local time unless it carries an offset), in UTC. A
    time before the first a datetime holds (999999999d; 0001-01-01 east of UTC) is the first, after the last the
    last: past either end, every entry or none."""
    if text is None:
        return None
    age = _AGE.fullmatch(text.strip())
    if age:
        try:
            return datetime.now(timezone.utc) - timedelta(**{_AGE_UNITS[age[2]]: int(age[1])})
        except (OverflowError, ValueError):  # more days than a timedelta holds, digits more than int() reads
            return _EARLIEST
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(f"use an ISO date or time (2025-06-01, 2025-06-01T14:30) or an age (30m, 12h, 2d, "
                                 f"1w); got {text!r}", param_hint="--since") from None
    try:
        return (when if when.tzinfo is not None else when.astimezone()).astimezone(timezone.utc)
    except (OverflowError, ValueError):  # within a day of either end, where an offset or local time leads past it
        return _EARLIEST if when.year == datetime.min.year else _LATEST
