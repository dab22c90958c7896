"""`hawkeye models`: the registry, and which files are on disk."""

from __future__ import annotations

from typing import Annotated

import typer

from hawkeye_cli import backends
from hawkeye_cli.backends.settings import BackendSettings, HttpSettings
from hawkeye_cli.cli_support import options
from hawkeye_cli.loading import default_profile
from hawkeye_cli.reporting.console import stdout
from hawkeye_cli.reporting.documents import print_document
from hawkeye_cli.reporting.models import ModelRow, models_document, render_models
from hawkeye_cli.store.registry import load_registry


def list_models(
    json_output: options.Json = False,
    check: Annotated[bool, typer.Option("--check", help="Ask each remote endpoint whether it answers.")] = False,
) -> None:
    """List registry models and profiles, and whether each model is on disk or remote (no network unless
    --check)."""
    registry = load_registry()
    probe = BackendSettings(http=HttpSettings(timeout=10, max_retries=0))
    rows = []
    for spec in registry.models.values():
        driver = backends.driver(spec)
        rows.append(ModelRow(spec, driver.availability(spec), driver.location(spec),
                             driver.check(spec, probe) if check else None, origin=driver.provenance(spec)))
    default = default_profile(registry).name
    if json_output:
        print_document(models_document(registry, rows, default))
    else:
        render_models(stdout, registry, rows, default)
