"""Settings of each kind of backend, declared once; the factory hands each backend only its own."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def usable_cores() -> int:
    """Cores this process may run on (CPU affinity, cgroup-pinned containers), not all the machine has."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity API
        return os.cpu_count() or 1


@dataclass(frozen=True)
class LlamaCppSettings:
    n_ctx: int = 4096
    threads: int | None = None
    """Decode and batch threads; None: every usable core (llama-cpp-python's own default is half of them)."""
    gpu_layers: int | None = None
    """None: all layers on the GPU when llama.cpp was built with one, else 0."""
    verbose: bool = False

    @property
    def resolved_threads(self) -> int:
        return self.threads or usable_cores()


@dataclass(frozen=True)
class HttpSettings:
    timeout: float = 600.0
    """Seconds the server may stay silent (the openai client's read timeout): before the first token, a long
    prompt on a busy server; once streaming, between two deltas. A long stream that keeps coming never hits it."""
    connect_timeout: float = 5.0
    """Seconds to wait for the connection itself, so that a server that is down fails fast."""
    max_retries: int = 2
    """Retries of a failed connection or a 429/5xx answer, with the openai client's backoff."""


@dataclass(frozen=True)
class BackendSettings:
    llama_cpp: LlamaCppSettings = field(default_factory=LlamaCppSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
