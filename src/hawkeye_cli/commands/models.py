"""`hawkeye models`: the registry, and which files are on disk."""

from __future__ import annotations

import json

import typer

from hawkeye_cli.commands import options
from hawkeye_cli.engine import default_profile
from hawkeye_cli.model_files import is_installable_locally, local_path, size_matches
from hawkeye_cli.registry import load_registry
from hawkeye_cli.reporting.console import stdout
from hawkeye_cli.reporting.models import ModelRow, models_document, render_models


def list_models(json_output: options.Json = False) -> None:
    """List registry models and profiles, and whether each model is on disk (no network)."""
    registry = load_registry()
    rows = []
    for spec in registry.models.values():
        path = local_path(spec)
        rows.append(ModelRow(spec, path, installable=path is None and is_installable_locally(spec),
                             size_ok=path is None or size_matches(path, spec)))
    default = default_profile(registry).name
    if json_output:
        typer.echo(json.dumps(models_document(registry, rows, default), indent=2))
    else:
        render_models(stdout, registry, rows, default)
