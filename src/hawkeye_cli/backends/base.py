"""The one small interface the pipeline needs from an inference engine, and the request it sends as data.

A request is chat messages, an optional assistant prefix (the reply starts with it, e.g. an opened `<think>`),
sampling, max tokens and stop strings. Each backend turns it into what its engine takes: llama.cpp renders it
with the model's chat template; an OpenAI-compatible server gets the messages, or for a raw-prompt model a text
rendered here. Base models that have no chat template get a plain-text `prompt` instead of messages.

Token counting and per-token scoring are capabilities a backend may lack (a hosted API has neither); asking for
one raises CapabilityError, which names what to use instead.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from hawkeye_cli.errors import CapabilityError

FinishReason = Literal["eos", "stop", "length", "context"]
CUT_SHORT: frozenset[FinishReason] = frozenset({"length", "context"})
"""Finish reasons of an output that max tokens or the context stopped, not the model: its answer may be missing."""
Clock = Literal["client", "server"]
Message = dict[str, str]

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"

LOCAL_INSTEAD = "use a local .gguf model in place of {name} (an alias from `hawkeye models`, or a path)"
"""The fix for a capability a remote model lacks: llama.cpp has them all."""

MIN_RATE_TOKENS = 8
"""A decode rate from fewer generated tokens than this is noise (one token in a millisecond is not 1,000 tok/s)."""


@dataclass(frozen=True)
class Sampling:
    """Decoding settings; temperature 0 is greedy, which makes every other field irrelevant."""

    temperature: float = 0.0
    seed: int = 0
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05


@dataclass(frozen=True)
class Request:
    max_tokens: int
    messages: tuple[Message, ...] = ()
    prompt: str | None = None
    """Plain text for a base model with no chat template; then `messages` is empty."""
    prefix: str = ""
    """The assistant's reply starts with this text, which the model continues (not part of the returned text)."""
    stop: tuple[str, ...] = ()
    sampling: Sampling = field(default_factory=Sampling)

    def __post_init__(self) -> None:
        if (self.prompt is None) == (not self.messages):
            raise ValueError("a request has either chat messages or a plain-text prompt")


@dataclass(frozen=True)
class Completion:
    """Generated text with the accounting the savings report is built from."""

    text: str
    """What the model wrote after the prefix, without the stop string."""
    prompt_tokens: int
    completion_tokens: int
    prompt_seconds: float
    """Time to the first generated token (prompt evaluation, plus the network for a remote engine)."""
    seconds: float
    """Time of the whole call."""
    finish_reason: FinishReason
    """eos: the model ended its turn; stop: a stop string was hit (or thinking ended); length: max_tokens ran out;
    context: the context window ran out first."""
    reasoning: str | None = None
    """Thinking an engine returned in a field of its own (reasoning_content, reasoning, thinking); None when the
    thinking, if any, is inline in `text`."""
    reasoning_tokens: int | None = None
    """Tokens of `reasoning`: the engine's usage (completion_tokens_details.reasoning_tokens), else one per
    streamed thinking delta; None when there is no separate thinking."""
    clock: Clock = "client"
    """Where the seconds come from: hawkeye's wall clock around the call, or the engine's own timings. Speedups
    are only computed between completions of the same clock."""

    @property
    def tokens_per_second(self) -> float | None:
        """Decode rate after the first token; None when too few tokens were generated to measure one."""
        decode = self.seconds - self.prompt_seconds
        if self.completion_tokens < MIN_RATE_TOKENS or decode <= 0:
            return None
        return (self.completion_tokens - 1) / decode


@dataclass(frozen=True)
class TokenScore:
    """One token of a text with its log-probability given everything before it."""

    piece: str
    logprob: float
    start: int
    """Character offset of the piece in the scored text."""


class Backend(ABC):
    """A model ready to generate: loaded in this process, or served by an engine elsewhere."""

    name: str
    n_ctx: int | None
    """Context window in tokens, when the backend knows it."""

    @abstractmethod
    def complete(self, request: Request, on_text: Callable[[str], None] | None = None) -> Completion:
        """Generate the reply to `request`; `on_text` receives the text as it is generated (never a stop string)."""

    def prompt_tokens(self, request: Request) -> int | None:
        """Tokens `request`'s prompt will take, or None when the backend cannot tell before sending it."""
        return None

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens of each text alone (no BOS), as this model's tokenizer counts them; one call for many texts."""
        raise CapabilityError(f"{self.name} cannot count tokens", fix=LOCAL_INSTEAD.format(name=self.name))

    def count(self, text: str) -> int:
        return self.count_tokens([text])[0]

    def score_tokens(self, text: str) -> list[TokenScore]:
        """Log-probability of every token of `text` in one forward pass (the first given BOS, or 0.0)."""
        raise CapabilityError(f"{self.name} cannot score tokens", fix="use a local .gguf model as --scorer")

    def close(self) -> None:  # noqa: B027 - optional hook; most backends free memory on garbage collection
        """Release the model or the connection."""


def join_prefix(rendered: str, prefix: str) -> str:
    """The rendered chat prompt continued by `prefix`, with `<think>` opened once.

    Some chat templates (newer DeepSeek-R1 revisions) open `<think>` in the generation prompt themselves; a prefix
    that opens it again would put the model in a second thinking block.
    """
    stripped = rendered.rstrip()
    if prefix.startswith(THINK_OPEN) and stripped.endswith(THINK_OPEN):
        return stripped[: -len(THINK_OPEN)] + prefix
    return rendered + prefix


def split_thinking(completion: Completion, *, opened: bool) -> tuple[str, str]:
    """(thinking, answer): the engine's separate thinking field, else the text around `</think>`.

    `opened`: the prompt (or the model's template) opened thinking, so text with no `</think>` is thinking cut
    short; otherwise such text is all answer.
    """
    if completion.reasoning is not None:
        return completion.reasoning.strip(), completion.text.strip()
    text = completion.text.lstrip()
    if text.startswith(THINK_OPEN):
        text, opened = text[len(THINK_OPEN) :], True
    thinking, closed, answer = text.partition(THINK_CLOSE)
    if closed:
        return thinking.strip(), answer.strip()
    return (text.strip(), "") if opened else ("", text.strip())
