"""`hawkeye models` output: which models and profiles exist and which are on disk."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.filesize import decimal
from rich.table import Table

from hawkeye_cli.registry import ModelSpec, Registry


@dataclass(frozen=True)
class ModelRow:
    spec: ModelSpec
    path: Path | None
    """The file on disk, or None."""
    installable: bool
    """Not on disk yet but can be built offline (an installed PyPI package)."""

    @property
    def size(self) -> int | None:
        return self.path.stat().st_size if self.path is not None else self.spec.source.size

    @property
    def status(self) -> str:
        return "present" if self.path is not None else "installable" if self.installable else "missing"

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
            "status": self.status,
            "present": self.path is not None,
            "path": str(self.path) if self.path is not None else None,
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


def render_models(console: Console, registry: Registry, rows: list[ModelRow], default_profile: str) -> None:
    models = Table(title="Models", title_justify="left")
    models.add_column("alias · source", overflow="fold", ratio=1)
    models.add_column("roles", no_wrap=True)
    for column in ("quant", "params"):
        models.add_column(column, no_wrap=True)
    models.add_column("size", justify="right", no_wrap=True)
    models.add_column("on disk", no_wrap=True)
    status_style = {"present": "[green]✓ present[/]", "installable": "[yellow]installable[/]", "missing": "[red]✗[/]"}
    for row in rows:
        spec = row.spec
        aliases = f" ({', '.join(spec.aliases)})" if spec.aliases else ""
        models.add_row(
            f"[bold]{spec.alias}[/]{aliases}\n[dim]{spec.source.describe()}[/]",
            "\n".join(spec.roles),
            spec.quantization or "",
            spec.parameters or "",
            decimal(row.size) if row.size else "?",
            status_style[row.status],
        )
    console.print(models)
    profiles = Table(title="Profiles", title_justify="left")
    profiles.add_column("profile · description", overflow="fold", ratio=1)
    for column in ("planner", "expander", "budget"):
        profiles.add_column(column, overflow="fold")
    for profile in registry.profiles.values():
        marker = " (default)" if profile.name == default_profile else ""
        profiles.add_row(f"[bold]{profile.name}{marker}[/]\n[dim]{profile.description}[/]", profile.planner,
                         profile.expander, str(profile.budget))
    console.print(profiles)
    console.print(f"Registry: {' + '.join(str(f) for f in registry.files)}", highlight=False)
