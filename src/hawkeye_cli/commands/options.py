"""Options shared by the commands that run models (ask, bench, compress-cot), declared once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import typer

from hawkeye_cli.backends.settings import BackendSettings, HttpSettings, LlamaCppSettings, usable_cores
from hawkeye_cli.engine import Pair
from hawkeye_cli.pipeline import DecodeSettings
from hawkeye_cli.reporting.console import stderr

Profile = Annotated[
    str | None, typer.Option("--profile", "-p", help="Planner + expander pair from the registry (hawkeye models).")
]
Planner = Annotated[
    str | None, typer.Option("--planner", help="Planner model: alias, .gguf path, or endpoint URL[#MODEL].")
]
Expander = Annotated[
    str | None, typer.Option("--expander", help="Expander model: alias, .gguf path, or endpoint URL[#MODEL].")
]
Budget = Annotated[
    int | None,
    typer.Option("--budget", "-b", min=1, help="Planner thinking budget in tokens.", show_default="profile's"),
]
MaxTokens = Annotated[
    int | None,
    typer.Option("--max-tokens", min=1, help="Cap on the expander's answer and the baseline.",
                 show_default="profile's"),
]
Temperature = Annotated[float, typer.Option("--temperature", min=0.0, help="0 is greedy and deterministic.")]
Seed = Annotated[int, typer.Option("--seed", help="Sampling seed.")]


def _usable_threads(threads: int | None) -> int | None:
    """More threads than usable cores make llama.cpp crawl (8 tokens: 56 s instead of 0.6 s on 2 cores)."""
    usable = usable_cores()
    if threads is None or threads <= usable:
        return threads
    stderr.print(f"[yellow]warning:[/] --threads {threads} is more than the {usable} cores this process may use; "
                 f"using {usable}", highlight=False, soft_wrap=True)
    return usable


Threads = Annotated[
    int | None, typer.Option("--threads", min=1, help="CPU threads for llama.cpp.", show_default="all usable cores",
                             callback=_usable_threads)
]
GpuLayers = Annotated[
    int | None, typer.Option("--gpu-layers", help="Layers on the GPU; -1 all.",
                 show_default="all if llama.cpp has a GPU, else 0")
]
Ctx = Annotated[int, typer.Option("--ctx", min=256, help="Context window of local models, in tokens.")]
Timeout = Annotated[
    float, typer.Option("--timeout", min=1, help="Seconds one request to a remote engine may take.")
]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Show llama.cpp's own logs.")]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of tables.")]

T = TypeVar("T", int, float)


def comma_separated(text: str, convert: Callable[[str], T], valid: Callable[[T], bool], expected: str,
                    option: str) -> list[T]:
    """The values of a comma-separated option, or a usage error (exit 2) saying what was expected."""
    try:
        values = [convert(part) for part in text.split(",") if part.strip()]
    except ValueError:
        values = []
    if not values or not all(valid(value) for value in values):
        raise typer.BadParameter(f"{expected} (got {text!r})", param_hint=option)
    return values


def backend_settings(ctx: int, threads: int | None, gpu_layers: int | None, verbose: bool,
                     timeout: float = HttpSettings.timeout) -> BackendSettings:
    return BackendSettings(LlamaCppSettings(n_ctx=ctx, threads=threads, gpu_layers=gpu_layers, verbose=verbose),
                           HttpSettings(timeout=timeout))


def decode_settings(pair: Pair, max_tokens: int | None, temperature: float, seed: int) -> DecodeSettings:
    return DecodeSettings(max_tokens=max_tokens or pair.profile.max_tokens, temperature=temperature, seed=seed)
