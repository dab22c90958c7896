"""A model served by an OpenAI-compatible engine (vLLM, SGLang, llama.cpp's llama-server, Ollama, hosted APIs).

hawkeye drives the engine over HTTP with the official `openai` client and never reimplements it: the server
applies its chat template, samples, and stops at stop strings. What differs between engines is handled here:
thinking arrives inline (`<think>…</think>` in the content) or in a field of its own (`reasoning_content`,
`reasoning`, `thinking`); usage may be missing from a stream; token counting exists on some servers only.

Streaming (`on_text`): it receives the text that ends up in `Completion.text`, plus thinking that arrives in a
separate field when the request stops at `</think>` (a budget-forced plan stage streams its thinking).

Every failure a user can fix becomes a RemoteError (or ContextOverflowError) naming the endpoint and the fix
(backends/http_errors.py); token counting is backends/tokenize_endpoints.py.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, closing
from dataclasses import dataclass
from typing import Any

import openai

from hawkeye_cli.backends import http_errors, tokenize_endpoints
from hawkeye_cli.backends.base import (
    LOCAL_INSTEAD,
    THINK_CLOSE,
    THINK_OPEN,
    Backend,
    Completion,
    FinishReason,
    Request,
    join_prefix,
)
from hawkeye_cli.backends.chat_template import ChatTemplate
from hawkeye_cli.backends.http_errors import NotOpenAI
from hawkeye_cli.backends.ollama_native import generate_raw
from hawkeye_cli.backends.settings import HttpSettings
from hawkeye_cli.backends.tokenize_endpoints import TokenCounter
from hawkeye_cli.errors import CapabilityError, HawkeyeError, RemoteError, RequestError
from hawkeye_cli.store.registry import ModelSpec

REASONING_FIELDS = ("reasoning_content", "reasoning", "thinking")
"""Where engines put thinking: SGLang, llama-server, DeepSeek and older vLLM; newer vLLM and Ollama's OpenAI
layer; Ollama's native API."""


class OpenAIBackend(Backend):
    def __init__(self, spec: ModelSpec, settings: HttpSettings) -> None:
        assert spec.source.openai is not None, "the openai driver only loads openai sources"
        self.name = spec.alias
        self.spec = spec
        self.url = spec.source.openai.rstrip("/")
        self.root = self.url.removesuffix("/v1")
        self.settings = settings
        key_env = spec.source.api_key_env
        self._client = openai.OpenAI(
            base_url=self.url,
            # Servers without authentication ignore the key, but the client insists on one.
            api_key=(os.environ.get(key_env) if key_env else None) or "not-needed",
            timeout=openai.Timeout(settings.timeout, connect=settings.connect_timeout),
            max_retries=settings.max_retries,
        )
        self._served: str | None = spec.source.model
        self._listing: list[dict[str, Any]] | None = None
        self._tokenizer: TokenCounter | None = None
        self._tokenizer_probed = False
        self._template = ChatTemplate(spec.chat_template, name=spec.alias) if spec.chat_template else None

    # -- what the server serves -------------------------------------------------------------------------------

    @property
    def where(self) -> str:
        return f"{self.url} ({self._served})" if self._served else self.url

    def _models(self) -> list[dict[str, Any]]:
        """The server's /v1/models listing, fetched once; read as plain JSON, so that an answer of another shape
        (an HTML page, plain text) is told apart from a listing here rather than inside the client."""
        if self._listing is None:
            with http_errors.mapped(self.where, self.settings, api_key_env=self.spec.source.api_key_env):
                answer = self._client.get("/models", cast_to=object)
            entries = answer.get("data") if isinstance(answer, dict) else None
            if not isinstance(entries, list) or not all(
                    isinstance(entry, dict) and isinstance(entry.get("id"), str) for entry in entries):
                raise http_errors.not_openai(self.where)
            self._listing = entries
        return self._listing

    def served_models(self) -> list[str]:
        """The names the server serves (GET /v1/models): asking this is how to tell that it answers."""
        return [entry["id"] for entry in self._models()]

    @property
    def model(self) -> str:
        """The served model's name: the registry's, or the only one the server serves."""
        if self._served is None:
            names = self.served_models()
            if len(names) != 1:
                served = ", ".join(names) if names else "none"
                raise RemoteError(f"{self.url} serves {len(names)} models ({served}), so hawkeye cannot pick one",
                                  fix=f"name one: {self.url}#MODEL")
            self._served = names[0]
        return self._served

    @property
    def n_ctx(self) -> int | None:  # type: ignore[override]  # a read-only attribute, looked up on first use
        """vLLM tells its context window (`max_model_len` in /v1/models); other engines do not."""
        try:
            entries = [entry for entry in self._models() if entry["id"] == self.model]
        except RemoteError:
            return None
        value = entries[0].get("max_model_len") if entries else None
        return value if isinstance(value, int) else None

    # -- generation ---------------------------------------------------------------------------------------------

    def complete(self, request: Request, on_text: Callable[[str], None] | None = None) -> Completion:
        model = self.model  # before any other request, so that errors name it
        if self.spec.source.api == "ollama" and (raw := self._prompt_text(request)) is not None:
            with self._errors():
                return generate_raw(self._client, f"{self.root}/api/generate", model, raw, request, on_text,
                                    self.where)
        started = time.perf_counter()
        thinking_ends = THINK_CLOSE in request.stop
        text: list[str] = []
        reasoning: list[str] = []
        streamed = 0
        first_delta: float | None = None
        usage: Any = None
        server_finish: str | None = None
        stop_reason: object = _UNSET
        thinking_ended = False
        chunks = 0
        with self._errors():
            stream = self._create(request)
        with self._errors(streaming=True), closing(stream):
            for chunk in stream:
                chunks += 1
                usage = getattr(chunk, "usage", None) or usage
                delta = _read_chunk(chunk)
                if delta is None:
                    continue
                if delta.content or delta.thinking:
                    first_delta = first_delta if first_delta is not None else time.perf_counter() - started
                if delta.thinking:
                    reasoning.append(delta.thinking)
                    streamed += 1
                    if thinking_ends and on_text is not None:
                        on_text(delta.thinking)
                if delta.content:
                    if thinking_ends and reasoning:
                        # Thinking came in a field of its own and is over; closing the stream stops the
                        # generation on vLLM and llama.cpp servers (budget forcing, remotely).
                        thinking_ended = True
                        break
                    text.append(delta.content)
                    streamed += 1
                    if on_text is not None:
                        on_text(delta.content)
                server_finish = delta.finish_reason or server_finish
                stop_reason = delta.stop_reason if delta.stop_reason is not _UNSET else stop_reason
        seconds = time.perf_counter() - started
        if not chunks:  # a 200 that is no event stream at all (an HTML page, plain text, a JSON object)
            raise http_errors.not_openai(self.where)
        if server_finish is None and not thinking_ended:
            raise RequestError(f"{self.where} ended its answer without saying why (no finish_reason): the server "
                               "interrupted or dropped the request",
                               fix="run it again; llama-cpp-python's server needs --interrupt_requests False to "
                                   "serve concurrent requests")
        finish: FinishReason = "stop" if thinking_ended else _finish(server_finish, stop_reason, request)
        prompt_tokens, completion_tokens = self._accounting(request, usage, streamed, closed_early=thinking_ended)
        return Completion(
            text="".join(text),
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            prompt_seconds=first_delta if first_delta is not None else seconds,
            seconds=seconds,
            finish_reason=finish,
            reasoning="".join(reasoning) if reasoning else None,
            reasoning_tokens=_reasoning_tokens(usage, len(reasoning)) if reasoning else None,
            clock="client",
            cached_tokens=min(_cached_tokens(usage), prompt_tokens),
        )

    def _create(self, request: Request) -> openai.Stream[Any]:
        """Open the stream: chat messages to /v1/chat/completions, text to /v1/completions."""
        sampling = request.sampling
        common: dict[str, Any] = {
            "model": self.model, "max_tokens": request.max_tokens, "temperature": sampling.temperature,
            "seed": sampling.seed, "stream": True, "stream_options": {"include_usage": True},
        }
        if request.stop:
            common["stop"] = list(request.stop)
        extra_body: dict[str, Any] = dict(self.spec.source.extra_body)
        if sampling.temperature > 0:  # greedy ignores them, and hosted APIs reject fields they do not know
            common["top_p"] = sampling.top_p
            extra_body.update(top_k=sampling.top_k, min_p=sampling.min_p)
        field = self.spec.source.thinking_budget
        if request.thinking_budget is not None and field in BUDGET_FIELDS:
            extra_body.update(BUDGET_FIELDS[field](request.thinking_budget))
        if request.effort is not None and field == "effort":
            common["reasoning_effort"] = request.effort  # Ollama's OpenAI layer maps it to its `think` level
        prompt = self._prompt_text(request)
        if prompt is not None:
            return self._client.completions.create(prompt=prompt, extra_body=extra_body or None, **common)
        messages: list[Any] = [dict(message) for message in request.messages]
        if request.prefix and request.prefix.strip() != THINK_OPEN:
            # An opened <think> alone is left to the server's chat template (it opens thinking for a reasoning
            # model); any other prefix is the start of the assistant's reply, continued (vLLM, SGLang).
            messages.append({"role": "assistant", "content": request.prefix})
            extra_body.update(continue_final_message=True, add_generation_prompt=False)
        return self._client.chat.completions.create(messages=messages, extra_body=extra_body or None, **common)

    def _prompt_text(self, request: Request) -> str | None:
        """The text to send to /v1/completions, or None for a chat request the server templates itself. A chat
        request that continues a reply (the adaptive planner's rounds and probes) is rendered here when the registry
        gives the model's chat template: a raw prompt is continued by every engine, a chat message only by some."""
        if request.prompt is not None:
            return join_prefix(request.prompt, request.prefix)
        continues = request.prefix.strip() not in ("", THINK_OPEN)
        if self.spec.prompt_format != "completion" and not (continues and self._template is not None):
            return None
        if self._template is None:
            raise RemoteError(f"{self.name} has prompt_format `completion` but no chat template to render "
                              "chat messages with", fix="give it a `chat_template` in the registry")
        return self._template.render(request)

    def _accounting(self, request: Request, usage: Any, streamed: int, *, closed_early: bool) -> tuple[int, int]:
        """(prompt, completion) tokens: the server's usage, else estimates.

        A stream closed early has no usage chunk, and some servers (llama-cpp-python's) never send one. Then
        each streamed content or reasoning delta counts as one token (engines stream one token per delta, a
        little fewer when they hold back a possible stop string), and the prompt is counted with the server's
        tokenize endpoint when it has one (the messages' text, without the chat template's markup), else 0.
        """
        prompt = getattr(usage, "prompt_tokens", None)
        completion = getattr(usage, "completion_tokens", None)
        if isinstance(completion, int) and not closed_early:
            return (prompt if isinstance(prompt, int) else 0), completion
        if not isinstance(prompt, int):
            sent = self._prompt_text(request) or "".join(m["content"] for m in request.messages) + request.prefix
            try:
                prompt = self.count_tokens([sent])[0]
            except HawkeyeError:  # no tokenize endpoint, or it failed: an estimate is not worth the completion
                prompt = 0
        return prompt, streamed

    # -- token counting -----------------------------------------------------------------------------------------

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        counter = self._counter()
        if counter is None:
            raise CapabilityError(f"{self.where} has no tokenize endpoint hawkeye knows (vLLM /tokenize, "
                                  "llama-server /tokenize, llama-cpp-python /extras/tokenize/count), so it "
                                  "cannot count tokens", fix=LOCAL_INSTEAD.format(name=self.name))
        with self._errors():
            return counter.count(texts)

    def _counter(self) -> TokenCounter | None:
        """The server's tokenize endpoint, probed once."""
        if not self._tokenizer_probed:
            model = self.model
            with self._errors():
                self._tokenizer = tokenize_endpoints.probe(self._post, model)
            self._tokenizer_probed = True
        return self._tokenizer

    def _post(self, path: str, body: dict[str, Any]) -> object:
        """POST to a path under the server's root (not under /v1), with the client's retries and timeouts."""
        return self._client.post(f"{self.root}/{path}", body=body, cast_to=object)

    # -- errors -------------------------------------------------------------------------------------------------

    def _errors(self, *, streaming: bool = False) -> AbstractContextManager[None]:
        """The client's errors as one-line errors naming this endpoint (call `model` first, so they name it);
        `streaming`: while an answer is read, where nothing is retried."""
        return http_errors.mapped(self.where, self.settings, api_key_env=self.spec.source.api_key_env,
                                  not_found=self._not_found, streaming=streaming)

    def _not_found(self, message: str) -> RemoteError:
        """A 404 to a request: a model the server does not serve, a kind of request it lacks, or a wrong URL. The
        listing it asks for maps its own 404 plainly, so a URL that answers 404 to everything ends here."""
        try:
            names = self.served_models()
        except RemoteError:
            return http_errors.answered_404(self.where, message)
        if self._served in names:
            return RemoteError(f"{self.where} answered HTTP 404 ({message})",
                               fix="the server may not support this kind of request; check its options")
        return RemoteError(f"{self.url} does not serve model '{self._served}'",
                           fix=f"use one of: {', '.join(names) or 'none listed'} (as {self.url}#MODEL)")

    def close(self) -> None:
        self._client.close()


BUDGET_FIELDS: dict[str, Callable[[int], dict[str, Any]]] = {
    "vllm": lambda tokens: {"thinking_token_budget": tokens},
    "llama-server": lambda tokens: {"thinking_budget_tokens": tokens, "reasoning_budget_tokens": tokens},
    "sglang": lambda tokens: {"custom_params": {"thinking_budget": tokens}},
}
"""Where each engine takes a thinking budget it enforces: vLLM's request field (with --reasoning-parser),
llama-server's (newer builds read reasoning_budget_tokens first, older ones only thinking_budget_tokens; the
server's own --reasoning-budget must be -1), SGLang's custom parameter (with --enable-strict-thinking)."""

_UNSET: Any = object()


@dataclass(frozen=True)
class _Delta:
    content: str
    thinking: str
    finish_reason: str | None
    stop_reason: object
    """vLLM's `stop_reason` / SGLang's `matched_stop`: the stop string, a token id, None (EOS), or _UNSET."""


def _read_chunk(chunk: object) -> _Delta | None:
    """The first choice of a streamed chunk (chat or text completion); None for a usage-only chunk."""
    choices = getattr(chunk, "choices", None)
    if not isinstance(choices, list):
        raise NotOpenAI
    if not choices:
        return None
    choice = choices[0]
    extra_choice = getattr(choice, "model_extra", None) or {}
    delta = getattr(choice, "delta", None)
    if delta is not None:  # chat
        content = getattr(delta, "content", None)
        extra = getattr(delta, "model_extra", None) or {}
        thinking = next((extra[name] for name in REASONING_FIELDS if isinstance(extra.get(name), str)), "")
    else:
        content = getattr(choice, "text", None)
        thinking = ""
    if content is not None and not isinstance(content, str):
        raise NotOpenAI
    finish = getattr(choice, "finish_reason", None)
    stop_reason = next((extra_choice[key] for key in ("stop_reason", "matched_stop") if key in extra_choice), _UNSET)
    return _Delta(content or "", thinking, finish if isinstance(finish, str) else None, stop_reason)


def _reasoning_tokens(usage: Any, deltas: int) -> int:
    """The engine's count of thinking tokens (OpenAI's, DeepSeek's and vLLM's usage carry it), else the streamed
    thinking deltas, one token each."""
    details = getattr(usage, "completion_tokens_details", None)
    counted = getattr(details, "reasoning_tokens", None)
    return counted if isinstance(counted, int) and counted > 0 else deltas


def _cached_tokens(usage: Any) -> int:
    """Prompt tokens the engine served from its prefix cache (OpenAI's and vLLM's usage carry it), else 0."""
    details = getattr(usage, "prompt_tokens_details", None)
    counted = getattr(details, "cached_tokens", None)
    return counted if isinstance(counted, int) and counted > 0 else 0


def _finish(server_finish: str | None, stop_reason: object, request: Request) -> FinishReason:
    """OpenAI says "stop" both for the end of the turn and for a stop string; tell them apart where possible.

    vLLM (`stop_reason`) and SGLang (`matched_stop`) name what stopped it: a stop string, or a token id / None
    for EOS. Other servers do not say; then a request with stop strings is taken to have hit one (the text never
    shows it: servers cut it off) and a request without any ended its turn.
    """
    if server_finish == "length":
        return "length"
    if stop_reason is not _UNSET:
        return "stop" if isinstance(stop_reason, str) else "eos"
    return "stop" if request.stop and server_finish is not None else "eos"
