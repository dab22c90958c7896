"""`hawkeye models` output: which models and profiles exist and which are on disk."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.filesize import decimal
from rich.table import Table

from hawkeye_cli.backends import Availability, EndpointCheck
from hawkeye_cli.reporting.console import markup_safe
from hawkeye_cli.store.model_files import Sha256Check
from hawkeye_cli.store.registry import ModelSpec, Registry


@dataclass(frozen=True)
class ModelRow:
    spec: ModelSpec
    availability: Availability
    location: str | None
    """The file on disk or the endpoint; None when the model is nowhere yet."""
    check: EndpointCheck | None = None
    """Whether an endpoint answers, when asked for with --check."""
    origin: str | None = None
    """Where the file on disk came from and whether its sha256 was verified (model_files.provenance)."""

    @property
    def size(self) -> int | None:
        if self.availability in ("present", "size mismatch") and self.location is not None:
            return Path(self.location).stat().st_size
        return self.spec.source.size

    def to_dict(self) -> dict[str, Any]:
        spec = self.spec
        return {
            "alias": spec.alias,
            "aliases": list(spec.aliases),
            "roles": list(spec.roles),
            "source": spec.source.describe(),
            "quantization": spec.quantization,
            "parameters": spec.parameters,
            "size": self.size,
            "registry_size": spec.source.size,
            "status": self.availability,
            "present": self.availability in ("present", "size mismatch"),
            "path": self.location if self.availability != "remote" else None,
            "endpoint": self.location if self.availability == "remote" else None,
            "check": self.check.detail if self.check else None,
            "origin": self.origin,
            "reasoning": spec.reasoning,
            "prompt_format": spec.prompt_format,
            "cost": spec.cost.model_dump(),
            "description": spec.description,
        }


def models_document(registry: Registry, rows: list[ModelRow], default_profile: str) -> dict[str, Any]:
    return {
        "registry_files": [str(f) for f in registry.files],
        "default_profile": default_profile,
        "models": [row.to_dict() for row in rows],
        "profiles": [
            {**profile.model_dump(), "default": profile.name == default_profile}
            for profile in registry.profiles.values()
        ],
    }


ALIAS_MIN_WIDTH = 20
"""The alias column never narrows below this: it is what the rest of the row is about."""


def render_models(console: Console, registry: Registry, rows: list[ModelRow], default_profile: str) -> None:
    """The models table (what an endpoint check found is a mark there and a line of its own under it, so that a
    long answer never squeezes the table), then the profiles table."""
    models = Table(title="Models", title_justify="left")
    models.add_column("alias · source", overflow="fold", ratio=1, min_width=ALIAS_MIN_WIDTH)
    models.add_column("roles", no_wrap=True)
    for column in ("quant", "params"):
        models.add_column(column, no_wrap=True)
    models.add_column("size", justify="right", no_wrap=True)
    models.add_column("available", no_wrap=True)
    status_style = {"present": "[green]✓ present[/]", "size mismatch": "[red]✗ size mismatch[/]",
                    "installable": "[yellow]installable[/]", "missing": "[red]✗[/]", "remote": "[cyan]remote[/]"}
    for row in rows:
        spec = row.spec
        aliases = f" ({', '.join(spec.aliases)})" if spec.aliases else ""
        models.add_row(
            f"[bold]{markup_safe(spec.alias)}[/]{markup_safe(aliases)}\n[dim]{markup_safe(spec.source.describe())}[/]"
            + (f"\n[dim]{markup_safe(row.origin)}[/]" if row.origin else ""),
            "\n".join(spec.roles),
            spec.quantization or "",
            spec.parameters or "",
            decimal(row.size) if row.size else ("" if row.availability == "remote" else "?"),
            status_style[row.availability] + (f" {_CHECK_MARK[row.check.usable]}" if row.check else ""),
        )
    console.print(models)
    for row in rows:
        if row.check is not None:
            console.print(f"{_CHECK_MARK[row.check.usable]} [bold]{row.spec.alias}[/] {markup_safe(row.check.detail)}",
                          highlight=False)
    profiles = Table(title="Profiles", title_justify="left")
    profiles.add_column("profile · description", overflow="fold", ratio=1)
    for column in ("planner", "expander", "budget"):
        profiles.add_column(column, overflow="fold")
    for profile in registry.profiles.values():
        marker = " (default)" if profile.name == default_profile else ""
        profiles.add_row(f"[bold]{markup_safe(profile.name)}{marker}[/]\n[dim]{markup_safe(profile.description)}[/]",
                         profile.planner, profile.expander, str(profile.budget))
    console.print(profiles)
    console.print(f"Registry: {' + '.join(str(f) for f in registry.files)}", highlight=False)


_CHECK_MARK = {True: "[green]✓[/]", False: "[red]✗[/]"}


def sha256_checks_document(checks: list[Sha256Check]) -> dict[str, Any]:
    return {"models": [
        {"alias": check.spec.alias, "path": str(check.path) if check.path is not None else None,
         "status": check.status, "sha256": check.actual, "expected_sha256": check.expected,
         "sha256_from": check.expected_from, "detail": check.detail or None}
        for check in checks
    ]}


def render_sha256_checks(console: Console, checks: list[Sha256Check]) -> None:
    """One line per model: whether its file matches, and against whose sha256."""
    mark = {"ok": "[green]✓[/]", "mismatch": "[red]✗[/]", "not on disk": "[dim]·[/]", "no sha256 known": "[yellow]?[/]",
            "remote": "[dim]·[/]"}
    for check in checks:
        if check.status == "ok":
            detail = f"sha256 {_short(check.expected)} matches the {check.expected_from}"
        elif check.detail:
            detail = check.detail
        elif check.status == "mismatch":
            detail = f"sha256 {_short(check.actual)}, the {check.expected_from} says {_short(check.expected)}"
        elif check.status == "not on disk":
            detail = check.spec.source.describe()
        elif check.status == "remote":
            detail = f"served at {check.spec.source.describe()}: no file on this machine, nothing to verify"
        else:
            detail = "neither the registry nor the Hugging Face cache gives one"
        where = f" · {check.path}" if check.path is not None else ""
        console.print(f"{mark[check.status]} [bold]{check.spec.alias}[/] {check.status} · {detail}{where}",
                      highlight=False, soft_wrap=True)


def _short(sha256: str | None) -> str:
    return f"{sha256[:12]}…" if sha256 else "?"
