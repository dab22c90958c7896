"""From registry entries to ready backends: pick the planner/expander pair, load each model once."""

from __future__ import annotations

from dataclasses import dataclass

from hawkeye_cli import backends
from hawkeye_cli.backends.base import Backend
from hawkeye_cli.backends.settings import BackendSettings
from hawkeye_cli.errors import RegistryError
from hawkeye_cli.pipeline import Collaboration, DecodeSettings
from hawkeye_cli.pipeline.prompts import FINAL_ANSWER_INSTRUCTION
from hawkeye_cli.store.registry import ModelSpec, Profile, Registry

DEFAULT_PROFILE_FALLBACK = "tiny"


@dataclass(frozen=True)
class Pair:
    """The planner and expander chosen for a run, and why."""

    profile: Profile
    planner: ModelSpec
    expander: ModelSpec
    chosen_by_default: bool
    """True when no --profile was given and hawkeye picked the best profile present on disk."""


def is_present(spec: ModelSpec) -> bool:
    """Usable without a download: on disk, buildable offline (an installed PyPI package), or served remotely."""
    return backends.availability(spec) != "missing"


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


class LoadedModels:
    """Each model loaded once, whatever roles it plays in a run (planner, expander, scorer, tokenizer)."""

    def __init__(self, settings: BackendSettings) -> None:
        self.settings = settings
        self._loaded: dict[ModelSpec, Backend] = {}

    def get(self, spec: ModelSpec) -> Backend:
        """Keyed by the whole spec: two .gguf paths of the same file name are two models."""
        if spec not in self._loaded:
            self._loaded[spec] = backends.load_backend(spec, self.settings)
        return self._loaded[spec]

    def close(self) -> None:
        for backend in self._loaded.values():
            backend.close()


def load_collaboration(pair: Pair, settings: BackendSettings, decode: DecodeSettings, *,
                       instruction: str = FINAL_ANSWER_INSTRUCTION) -> Collaboration:
    """Both models loaded once, for the whole process; one model serves both roles when they coincide."""
    models = LoadedModels(settings)
    return Collaboration(models.get(pair.planner), pair.planner, models.get(pair.expander), pair.expander, decode,
                         instruction=instruction)
