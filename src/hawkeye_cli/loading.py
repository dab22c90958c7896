"""Which planner and expander a run uses, and loading each model and each pair's Collaboration once: registry
entries in, Models and Collaborations out."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from hawkeye_cli import backends
from hawkeye_cli.backends.model import Model
from hawkeye_cli.backends.settings import BackendSettings
from hawkeye_cli.errors import RegistryError
from hawkeye_cli.pipeline import Collaboration
from hawkeye_cli.pipeline.prompts import GSM8K_ANSWERS, AnswerStyle
from hawkeye_cli.store import paths
from hawkeye_cli.store.registry import ModelSpec, Profile, Registry

DEFAULT_PROFILE_FALLBACK = "tiny"
MODEL_PREFIX = "hawkeye/"
"""A profile offered as a model (hawkeye serve, the llm plugin) is named hawkeye/<profile>."""


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
    """HAWKEYE_PROFILE's, else the first profile in the registry whose two models are present; `tiny` when none
    is."""
    if named := os.environ.get(paths.PROFILE_ENV):
        if named not in registry.profiles:
            raise RegistryError(f"{paths.PROFILE_ENV} names profile '{named}', which the registry does not have",
                                fix=f"use one of: {', '.join(registry.profiles)}, or unset {paths.PROFILE_ENV}")
        return registry.profiles[named]
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
    """Each model loaded once, whatever roles it plays in a run (planner, expander, scorer, tokenizer), and each
    pair's Collaboration built once: what every entry point (the commands, serve, the llm plugin, the benchmarks)
    asks for a pair."""

    def __init__(self, settings: BackendSettings) -> None:
        self.settings = settings
        self._loaded: dict[ModelSpec, Model] = {}
        self._collaborations: dict[tuple[ModelSpec, ModelSpec, AnswerStyle], Collaboration] = {}
        self._lock = threading.Lock()  # llm's Python API may be called from several threads

    def get(self, spec: ModelSpec) -> Model:
        """Keyed by the whole spec: two .gguf paths of the same file name are two models."""
        if spec not in self._loaded:
            self._loaded[spec] = backends.load_model(spec, self.settings)
        return self._loaded[spec]

    def planner_and_expander(self, pair: Pair) -> tuple[Model, Model]:
        """(planner, expander); one model serves both roles when they coincide."""
        return self.get(pair.planner), self.get(pair.expander)

    def collaboration(self, pair: Pair, answers: AnswerStyle = GSM8K_ANSWERS) -> Collaboration:
        """The pair's planner and expander as one Collaboration for the task's answer style, built on first use."""
        with self._lock:
            key = (pair.planner, pair.expander, answers)
            if key not in self._collaborations:
                self._collaborations[key] = Collaboration(*self.planner_and_expander(pair), answers=answers)
            return self._collaborations[key]

    def close(self) -> None:
        for model in self._loaded.values():
            model.close()
