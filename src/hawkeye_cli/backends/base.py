"""The one interface the pipeline needs from an inference engine.

Prompts are plain text (chat messages are rendered with the model's own template first), because budget
forcing and `</think>` handling need to continue a prompt mid-turn; an OpenAI-compatible HTTP backend fits
this by using the completions endpoint.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

FinishReason = Literal["eos", "stop", "length"]


@dataclass(frozen=True)
class Completion:
    """Generated text with the accounting the savings report is built from."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    prompt_seconds: float
    """Time to evaluate the prompt (up to the first generated token)."""
    seconds: float
    """Wall time of the whole call."""
    finish_reason: FinishReason
    """eos: the model ended its turn; stop: a stop string was hit; length: max_tokens ran out."""

    @property
    def tokens_per_second(self) -> float:
        decode = self.seconds - self.prompt_seconds
        return self.completion_tokens / decode if decode > 0 else 0.0


@dataclass(frozen=True)
class TokenScore:
    """One token of a text with its log-probability given everything before it."""

    piece: str
    logprob: float
    start: int
    """Character offset of the piece in the scored text."""


Message = dict[str, str]


class Backend(ABC):
    """A loaded model. Implementations keep it loaded for the life of the object."""

    name: str
    n_ctx: int

    @abstractmethod
    def complete(
        self,
        prompt: str,
        *,
        max_tokens: int,
        stop: Sequence[str] = (),
        temperature: float = 0.0,
        seed: int = 0,
        on_text: Callable[[str], None] | None = None,
    ) -> Completion:
        """Continue `prompt`; `on_text` receives text as it is generated (never the stop string)."""

    @abstractmethod
    def render_chat(self, messages: Sequence[Message]) -> str:
        """The prompt text for `messages`, ending where the assistant's reply begins."""

    @abstractmethod
    def count_tokens(self, text: str) -> int:
        """Tokens of `text` alone (no BOS), as this model's tokenizer counts them."""

    @abstractmethod
    def score_tokens(self, text: str) -> list[TokenScore]:
        """Log-probability of every token of `text` in one forward pass (the first given BOS, or 0.0)."""

    def close(self) -> None:  # noqa: B027 - optional hook; most backends free memory on garbage collection
        """Release the model."""
