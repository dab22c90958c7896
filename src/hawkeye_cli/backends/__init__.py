"""Which backend serves a model, decided once by its source kind (in the spirit of pipx's backends/).

A GGUF file (hf, pypi, path) runs in-process on llama.cpp; an `openai` endpoint is driven over HTTP. Nothing
else in hawkeye asks where a model runs: it asks its driver whether the model is there and for a loaded Backend.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from hawkeye_cli.backends.base import Backend
from hawkeye_cli.backends.model import Model
from hawkeye_cli.backends.settings import BackendSettings
from hawkeye_cli.store import model_files
from hawkeye_cli.store.registry import ModelSpec, SourceKind

Availability = Literal["present", "size mismatch", "installable", "missing", "remote"]


@dataclass(frozen=True)
class EndpointCheck:
    """What asking an endpoint found (`hawkeye models --check`)."""

    usable: bool
    """It answers and serves the model."""
    detail: str


class Driver(ABC):
    @abstractmethod
    def availability(self, spec: ModelSpec) -> Availability:
        """Whether `spec` can be used now without a download; never touches the network."""

    def location(self, spec: ModelSpec) -> str | None:
        """Where the model is: its file on disk, or its endpoint; None when it is nowhere yet."""
        return None

    def check(self, spec: ModelSpec, settings: BackendSettings) -> EndpointCheck | None:
        """Whether the model answers (`hawkeye models --check`); None where there is nothing to ask."""
        return None

    def provenance(self, spec: ModelSpec) -> str | None:
        """Where the model's file came from and whether it was verified; None where there is no file."""
        return None

    @abstractmethod
    def load(self, spec: ModelSpec, settings: BackendSettings) -> Backend:
        """A ready backend; only remote drivers use the network."""


class GgufDriver(Driver):
    def availability(self, spec: ModelSpec) -> Availability:
        path = model_files.local_path(spec)
        if path is not None:
            return "present" if model_files.size_matches(path, spec) else "size mismatch"
        return "installable" if model_files.is_installable_locally(spec) else "missing"

    def location(self, spec: ModelSpec) -> str | None:
        path = model_files.local_path(spec)
        return str(path) if path is not None else None

    def provenance(self, spec: ModelSpec) -> str | None:
        return model_files.provenance(spec)

    def load(self, spec: ModelSpec, settings: BackendSettings) -> Backend:
        from hawkeye_cli.backends.llama_cpp import LlamaCppBackend  # heavy import, only when a model is needed

        return LlamaCppBackend(model_files.require_local(spec), spec, settings.llama_cpp,
                               load_fix=model_files.repair_advice(spec))


class OpenAIDriver(Driver):
    def availability(self, spec: ModelSpec) -> Availability:
        return "remote"

    def location(self, spec: ModelSpec) -> str | None:
        return spec.source.describe()

    def check(self, spec: ModelSpec, settings: BackendSettings) -> EndpointCheck:
        from hawkeye_cli.backends.openai_http import OpenAIBackend
        from hawkeye_cli.errors import RemoteError

        backend = OpenAIBackend(spec, settings.http)
        try:
            served = backend.served_models()
            if spec.source.model is not None and spec.source.model not in served:
                return EndpointCheck(False, f"answers, but does not serve {spec.source.model} (it serves "
                                            f"{', '.join(served) or 'none'})")
            return EndpointCheck(True, f"answers, serving {backend.model}")
        except RemoteError as exc:
            return EndpointCheck(False, f"does not answer: {exc.one_line()}")
        finally:
            backend.close()

    def load(self, spec: ModelSpec, settings: BackendSettings) -> Backend:
        from hawkeye_cli.backends.openai_http import OpenAIBackend

        return OpenAIBackend(spec, settings.http)


_DRIVERS: dict[SourceKind, Driver] = {
    "parts": GgufDriver(), "hf": GgufDriver(), "pypi": GgufDriver(), "path": GgufDriver(), "openai": OpenAIDriver(),
}


def driver(spec: ModelSpec) -> Driver:
    return _DRIVERS[spec.source.kind]


def load_backend(spec: ModelSpec, settings: BackendSettings) -> Backend:
    return driver(spec).load(spec, settings)


def load_model(spec: ModelSpec, settings: BackendSettings) -> Model:
    return Model(spec, load_backend(spec, settings))


def availability(spec: ModelSpec) -> Availability:
    return driver(spec).availability(spec)


@contextmanager
def registered(kind: SourceKind, replacement: Driver) -> Iterator[None]:
    """Serve `kind` with another driver for the duration (tests plug a scripted backend in here)."""
    previous = _DRIVERS[kind]
    _DRIVERS[kind] = replacement
    try:
        yield
    finally:
        _DRIVERS[kind] = previous
