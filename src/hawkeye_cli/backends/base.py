"""The one small interface the pipeline needs from an inference engine, and the request it sends as data.

A request is chat messages, an optional assistant prefix (the reply starts with it, e.g. an opened `<think>`),
sampling, max tokens and stop strings. Each backend turns it into what its engine takes: llama.cpp renders it
with the model's chat template; an OpenAI-compatible server gets the messages, or for a raw-prompt model a text
rendered here. Base models that have no chat template get a plain-text `prompt` instead of messages.

Token counting and per-token scoring are capabilities a backend may lack (a hosted API has neither); asking for
one raises CapabilityError, which names what to use instead.

A Session is one generation that pauses and resumes: the adaptive planner thinks in rounds, and between two
rounds a probe asks for its current answer without disturbing the thinking. Every backend has one: by default
each round and each probe is a request that continues the text so far (served from an engine's prefix cache);
llama.cpp keeps the evaluated prefix itself, so a probe evaluates only its own tokens.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from hawkeye_cli.errors import CapabilityError

TextEnd = Callable[[str], int | None]
"""Where a text is complete (the index just past its end), or None while it is not yet."""

FinishReason = Literal["eos", "stop", "length", "context"]
CUT_SHORT: frozenset[FinishReason] = frozenset({"length", "context"})
"""Finish reasons of an output that max tokens or the context stopped, not the model: its answer may be missing."""
Clock = Literal["client", "server"]
Message = dict[str, str]

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"

LOCAL_INSTEAD = "use a local .gguf model in place of {name} (an alias from `hawkeye models`, or a path)"
"""The fix for a capability a remote model lacks: llama.cpp has them all."""

MIN_ANSWER_TOKENS = 16
"""A model must have this much room left in its context for an answer; less means the prompt is the problem."""

MIN_RATE_TOKENS = 8
"""A decode rate from fewer generated tokens than this is noise (one token in a millisecond is not 1,000 tok/s)."""


MOST_TOKENS = 2**31 - 1
"""The largest answer cap (max_tokens) any entry point takes: llama.cpp counts tokens in 32-bit integers."""

SEEDS = (-(2**63), 2**63 - 1)
"""The seeds any entry point takes: a 64-bit signed integer, what OpenAI-compatible engines and the ledger (SQLite)
hold; llama.cpp uses the seed's low 32 bits."""


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
    thinking_budget: int | None = None
    """Thinking tokens an engine that enforces budgets itself should allow (sent in its own field)."""
    effort: str | None = None
    """An effort level for a planner that takes only one (OpenAI's reasoning_effort, Ollama's think)."""
    shared_turns: int = 0
    """How many leading messages every request of its kind begins with (worked examples): llama.cpp in process
    evaluates them once and keeps their KV cache, as a serving engine's prefix cache does."""

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
    cached_tokens: int = 0
    """Of `prompt_tokens`, those served from a cache rather than computed (hawkeye's own cache of the worked
    examples, or the engine's `prompt_tokens_details.cached_tokens`): they are not charged."""

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

    def session(self, request: Request) -> Session:
        """`request` as a generation that pauses and resumes (its max_tokens is not used: each step has its own)."""
        return RequestSession(self, request)

    def close(self) -> None:  # noqa: B027 - optional hook; most backends free memory on garbage collection
        """Release the model or the connection."""


GREEDY = Sampling()
"""Probes read the planner's most likely answer."""


class Session(ABC):
    """One reply generated in steps. `text` is what it holds so far (the prefix excluded, stop strings cut)."""

    text: str

    @abstractmethod
    def extend(self, max_tokens: int, on_text: Callable[[str], None] | None = None) -> Completion:
        """Up to `max_tokens` more tokens of the reply. finish_reason `length`: they ran out and the reply may go
        on; anything else: it has ended (a stop string, the end of its turn, the context)."""

    @abstractmethod
    def probe(self, text: str, max_tokens: int, stop: tuple[str, ...], end: TextEnd | None = None) -> Completion:
        """A greedy continuation of the reply so far + `text`, forgotten afterwards: the reply goes on as if it had
        not happened. prompt_tokens counts what it evaluated on top of the reply (`text`'s tokens). It ends at a
        stop string or where `end` finds its text complete."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release what the session holds."""

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class RequestSession(Session):
    """Each step a request that continues the reply so far (the prefix grows): engines with prefix caching
    (vLLM, SGLang, llama-server, llama-cpp-python's server) evaluate only what is new. Stop strings are also
    looked for across steps, since a server sees one step at a time."""

    def __init__(self, backend: Backend, request: Request) -> None:
        self.backend = backend
        self.request = request
        self.text = ""
        self._context = 0
        """Tokens the last step's prompt and reply took: what a probe continues."""

    def extend(self, max_tokens: int, on_text: Callable[[str], None] | None = None) -> Completion:
        budget = None if self.request.thinking_budget is None else max_tokens  # the engine counts the new tokens
        step = replace(self.request, prefix=self.request.prefix + self.text, max_tokens=max_tokens,
                       thinking_budget=budget)
        scanner = StopScanner(self.request.stop, on_text, start=self.text)
        completion = self.backend.complete(step, on_text=scanner.stream)
        piece = completion.text if completion.reasoning is None else completion.reasoning
        scanner.feed(piece[scanner.fed :])  # what the backend did not stream
        self.text = scanner.finish()
        self._context = completion.prompt_tokens + completion.completion_tokens
        finish: FinishReason = "stop" if scanner.stopped else completion.finish_reason
        return replace(completion, text=self.text[len(scanner.start) :], finish_reason=finish, reasoning=None,
                       reasoning_tokens=None)

    def probe(self, text: str, max_tokens: int, stop: tuple[str, ...], end: TextEnd | None = None) -> Completion:
        """The engine writes up to max_tokens (a request cannot say where an answer ends); the text is cut where
        `end` finds it complete, as in process."""
        step = replace(self.request, prefix=self.request.prefix + self.text + text, max_tokens=max_tokens,
                       stop=stop, sampling=GREEDY, thinking_budget=None, effort=None)
        completion = self.backend.complete(step)
        own = max(0, completion.prompt_tokens - self._context) if self._context else completion.prompt_tokens
        scanner = StopScanner(stop, None, end=end)
        scanner.feed(completion.text if completion.reasoning is None else completion.reasoning)
        finish: FinishReason = "stop" if scanner.stopped else completion.finish_reason
        return replace(completion, text=scanner.finish(), prompt_tokens=own, finish_reason=finish, reasoning=None,
                       reasoning_tokens=None)


class StopScanner:
    """Accumulates generated text, cuts it at the first stop string, and streams only text that is final.

    `start` is text of earlier steps of the same reply, where a stop string may begin; it is never streamed again.
    `end`, given the text of this step, says where it is complete (a probe's answer), if it is yet; it is for text
    that is not streamed (a probe's), since what it cuts may already have been passed on.
    """

    def __init__(self, stop: Sequence[str], on_text: Callable[[str], None] | None, *, start: str = "",
                 end: TextEnd | None = None) -> None:
        self._stop = [s for s in stop if s]
        self._end = end
        self._hold = max((len(s) for s in self._stop), default=1) - 1
        self._on_text = on_text
        self.start = start
        self._text = start
        self._sent = len(start)
        self.stopped = False
        self.fed = 0
        """Characters fed in this step."""

    def stream(self, piece: str) -> None:
        """`feed`, as a backend's streaming callback."""
        self.feed(piece)

    def feed(self, piece: str) -> bool:
        """Add `piece`; True once a stop string has appeared (later pieces are ignored)."""
        self.fed += len(piece)
        if self.stopped:
            return True
        begin = max(0, len(self._text) - len(piece) - self._hold)
        self._text += piece
        hits = [i for i in (self._text.find(s, begin) for s in self._stop) if i >= 0]
        complete = self._end(self._text[len(self.start) :]) if self._end is not None else None
        if complete is not None:
            hits.append(len(self.start) + complete)
        if hits:
            self._text = self._text[: min(hits)]
            self.stopped = True
            return True
        self._emit(len(self._text) - self._hold)
        return False

    def finish(self) -> str:
        self._emit(len(self._text))
        return self._text

    def _emit(self, upto: int) -> None:
        if self._on_text is not None and upto > self._sent:
            self._on_text(self._text[self._sent : upto])
            self._sent = upto


def join_prefix(rendered: str, prefix: str) -> str:
    """The rendered chat prompt continued by `prefix`, with `<think>` opened once.

    Some chat templates (newer DeepSeek-R1 revisions) open `<think>` in the generation prompt themselves; a prefix
    that opens it again would put the model in a second thinking block.
    """
    stripped = rendered.rstrip()
    if prefix.startswith(THINK_OPEN) and stripped.endswith(THINK_OPEN):
        return stripped[: -len(THINK_OPEN)] + prefix
    return rendered + prefix


def summed(completions: Sequence[Completion], text: str, finish_reason: FinishReason) -> Completion:
    """Several calls as one (a plan's rounds, a stage's probes): their tokens and seconds added up."""
    return Completion(text, sum(c.prompt_tokens for c in completions), sum(c.completion_tokens for c in completions),
                      completions[0].prompt_seconds, sum(c.seconds for c in completions), finish_reason,
                      cached_tokens=sum(c.cached_tokens for c in completions))


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
