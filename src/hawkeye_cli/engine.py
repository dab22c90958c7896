"""From registry entries to loaded backends: pick the planner/expander pair, find the files, load them."""

from __future__ import annotations

from dataclasses import dataclass

from hawkeye_cli.backends.base import Backend
from hawkeye_cli.errors import RegistryError
from hawkeye_cli.model_files import is_installable_locally, local_path, require_local
from hawkeye_cli.pipeline import Collaboration, DecodeSettings
from hawkeye_cli.registry import ModelSpec, Profile, Registry

DEFAULT_PROFILE_FALLBACK = "tiny"


@dataclass(frozen=True)
class EngineSettings:
    n_ctx: int = 4096
    threads: int | None = None
    gpu_layers: int | None = None
    """None: all layers on the GPU when llama.cpp has one, else 0."""
    verbose: bool = False


@dataclass(frozen=True)
class Pair:
    """The planner and expander chosen for a run, and why."""

    profile: Profile
    planner: ModelSpec
    expander: ModelSpec
    chosen_by_default: bool
    """True when no --profile was given and hawkeye picked the best profile present on disk."""


def is_present(spec: ModelSpec) -> bool:
    """On disk, or buildable without a network (an installed PyPI package)."""
    return local_path(spec) is not None or is_installable_locally(spec)


def default_profile(registry: Registry) -> Profile:
    """The first profile in the registry whose two models are present; `tiny` when none is."""
    for profile in registry.profiles.values():
        if all(is_present(registry.model(name)) for name in (profile.planner, profile.expander)):
            return profile
    if DEFAULT_PROFILE_FALLBACK in registry.profiles:
        return registry.profiles[DEFAULT_PROFILE_FALLBACK]
    raise RegistryError("no profile has its models on disk", fix="run: hawkeye pull --profile <name>")


def choose_pair(
    registry: Registry,
    *,
    profile: str | None = None,
    planner: str | None = None,
    expander: str | None = None,
) -> Pair:
    chosen = registry.profile(profile) if profile else default_profile(registry)
    return Pair(
        profile=chosen,
        planner=registry.model(planner or chosen.planner),
        expander=registry.model(expander or chosen.expander),
        chosen_by_default=profile is None,
    )


def load_backend(spec: ModelSpec, settings: EngineSettings) -> Backend:
    """Load `spec` from disk; never touches the network (missing files name `hawkeye pull`)."""
    from hawkeye_cli.backends.llama_cpp import LlamaCppBackend  # heavy import, only when a model is needed

    return LlamaCppBackend(
        require_local(spec),
        name=spec.alias,
        n_ctx=settings.n_ctx,
        threads=settings.threads,
        gpu_layers=settings.gpu_layers,
        verbose=settings.verbose,
    )


class LoadedModels:
    """Each model loaded once, whatever roles it plays in a run (planner, expander, scorer, tokenizer)."""

    def __init__(self, engine: EngineSettings) -> None:
        self.engine = engine
        self._loaded: dict[ModelSpec, Backend] = {}

    def get(self, spec: ModelSpec) -> Backend:
        """Keyed by the whole spec: two .gguf paths of the same file name are two models."""
        if spec not in self._loaded:
            self._loaded[spec] = load_backend(spec, self.engine)
        return self._loaded[spec]

    def close(self) -> None:
        for backend in self._loaded.values():
            backend.close()


def load_collaboration(pair: Pair, engine: EngineSettings, decode: DecodeSettings) -> Collaboration:
    """Both models loaded once, for the whole process; one model serves both roles when they coincide."""
    models = LoadedModels(engine)
    return Collaboration(models.get(pair.planner), pair.planner, models.get(pair.expander), pair.expander, decode)
