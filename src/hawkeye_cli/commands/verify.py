"""`hawkeye verify`: hash model files on disk and compare with the sha256 they should have (no network)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from hawkeye_cli.cli_support import options
from hawkeye_cli.errors import IntegrityError
from hawkeye_cli.reporting.console import stderr, stdout
from hawkeye_cli.reporting.documents import print_document
from hawkeye_cli.reporting.models import render_sha256_checks, sha256_checks_document
from hawkeye_cli.store.model_files import check_sha256, local_path, repair_advice
from hawkeye_cli.store.registry import load_registry


def verify(
    aliases: Annotated[
        list[str] | None,
        typer.Argument(metavar="[ALIAS]...", help="Model aliases or .gguf files; none: every registry model on disk.",
                       show_default=False),
    ] = None,
    json_output: options.Json = False,
) -> None:
    """Check the sha256 of model files on disk against the registry's, or the hub's for files in the Hugging Face
    cache. Exit status 1 when a file does not match."""
    registry = load_registry()
    if aliases:
        specs = list({spec.alias: spec for spec in map(registry.model, aliases)}.values())
    else:
        specs = [spec for spec in registry.models.values() if local_path(spec) is not None]
    total = sum(path.stat().st_size for spec in specs if (path := local_path(spec)) is not None)
    columns = (TextColumn("sha256"), BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=stderr, transient=True, disable=not stderr.is_terminal) as progress:
        task = progress.add_task("sha256", total=total)
        checks = [check_sha256(spec, lambda done: progress.advance(task, done)) for spec in specs]
    if json_output:
        print_document(sha256_checks_document(checks))
    else:
        render_sha256_checks(stdout, checks)
    bad = [check.spec for check in checks if check.status == "mismatch"]
    if bad:
        raise IntegrityError(
            f"{len(bad)} model file(s) do not match their sha256: {', '.join(spec.alias for spec in bad)}",
            fix="; ".join(dict.fromkeys(map(repair_advice, bad))),
        )
