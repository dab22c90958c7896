"""A loaded model as one object: its registry entry and the backend that runs it (simonw/llm's Model, in spirit).

The pipeline, compression and serving hold Models; only the backends know how a model runs, and only the
registry entry knows how to prompt it (chat or plain completion, whether it thinks) and what its tokens cost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hawkeye_cli.backends.base import Backend, Completion, Request
from hawkeye_cli.store.registry import ModelSpec


@dataclass(frozen=True, eq=False)
class Model:
    spec: ModelSpec
    backend: Backend

    @property
    def alias(self) -> str:
        return self.spec.alias

    @property
    def reasoning(self) -> bool:
        """It thinks inside <think>…</think> before answering."""
        return self.spec.reasoning

    @property
    def effort_only(self) -> bool:
        """A hosted planner that takes an effort level and nothing else: it cannot be continued or probed."""
        return self.spec.source.thinking_budget == "effort"

    @property
    def n_ctx(self) -> int | None:
        return self.backend.n_ctx

    def complete(self, request: Request, on_text: Callable[[str], None] | None = None) -> Completion:
        return self.backend.complete(request, on_text)

    def prompt_tokens(self, request: Request) -> int | None:
        return self.backend.prompt_tokens(request)

    def count(self, text: str) -> int:
        return self.backend.count(text)

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        """Relative cost units: tokens x the registry's per-1k-token prices."""
        return (prompt_tokens * self.spec.cost.prompt + completion_tokens * self.spec.cost.completion) / 1000

    def close(self) -> None:
        self.backend.close()
