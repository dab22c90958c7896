"""Token counting on a remote engine: each engine has its own tokenize endpoint (or none), found by asking.

vLLM and llama-server answer POST /tokenize (with different bodies), llama-cpp-python's server POST
/extras/tokenize/count; hosted APIs and Ollama have none. Each is tried once per backend, in that order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import openai

from hawkeye_cli.backends.http_errors import MALFORMED, NotOpenAI

TOKENIZE_WORKERS = 4
"""Concurrent tokenize requests for many texts: fewer round trips in a row, without flooding the server."""

NO_SUCH_ENDPOINT = (400, 404, 405, 422, 501)
"""How servers answer a tokenize request meant for another engine's endpoint."""

Post = Callable[[str, dict[str, Any]], object]
"""POST a JSON body to a path under the server's root; the answer's JSON."""


@dataclass(frozen=True)
class Tokenizer:
    """A server's tokenize endpoint: where, what to send, how to read the count."""

    path: str
    body: Callable[[str, str], dict[str, Any]]
    """(model, text) -> request body."""
    count: Callable[[object], int | None]
    """Response -> token count, or None when the response is not this endpoint's."""


def _int_field(name: str) -> Callable[[object], int | None]:
    def read(answer: object) -> int | None:
        value = answer.get(name) if isinstance(answer, dict) else None
        return value if isinstance(value, int) else None

    return read


def _list_length(answer: object) -> int | None:
    tokens = answer.get("tokens") if isinstance(answer, dict) else None
    return len(tokens) if isinstance(tokens, list) else None


TOKENIZERS = (
    Tokenizer("tokenize", lambda model, text: {"model": model, "prompt": text, "add_special_tokens": False},
              _int_field("count")),  # vLLM
    Tokenizer("tokenize", lambda model, text: {"content": text, "add_special": False}, _list_length),  # llama-server
    Tokenizer("extras/tokenize/count", lambda model, text: {"model": model, "input": text},
              _int_field("count")),  # llama-cpp-python's server (adds BOS: see TokenCounter.baseline)
)


def probe(post: Post, model: str) -> TokenCounter | None:
    """The first tokenize endpoint the server answers as that endpoint would; the client's errors other than
    "no such endpoint" are raised, for the caller to map."""
    for tokenizer in TOKENIZERS:
        counter = TokenCounter(post, model, tokenizer)
        if counter.works():
            return counter
    return None


class TokenCounter:
    """Counts tokens with one of the server's tokenize endpoints, several texts at once."""

    def __init__(self, post: Post, model: str, tokenizer: Tokenizer) -> None:
        self._post = post
        self._model = model
        self._tokenizer = tokenizer
        self.baseline = 0
        """Tokens the endpoint counts for an empty text (a BOS it adds), taken off every count."""

    def works(self) -> bool:
        """Whether this endpoint answers with this endpoint's answer; other failures are the server's, raised."""
        try:
            self.baseline = self._raw("")
            self._raw("hawkeye")
        except openai.APIStatusError as exc:
            if exc.status_code in NO_SUCH_ENDPOINT:
                return False
            raise
        except (NotOpenAI, *MALFORMED):
            return False
        return True

    def count(self, texts: Sequence[str]) -> list[int]:
        """Raises the client's errors, and NotOpenAI for an answer of the wrong shape, for the caller to map."""
        def one(text: str) -> int:
            return max(0, self._raw(text) - self.baseline)

        if len(texts) <= 1:
            return [one(text) for text in texts]
        with ThreadPoolExecutor(max_workers=min(TOKENIZE_WORKERS, len(texts))) as pool:
            return list(pool.map(one, texts))

    def _raw(self, text: str) -> int:
        answer = self._post(self._tokenizer.path, self._tokenizer.body(self._model, text))
        count = self._tokenizer.count(answer)
        if count is None:
            raise NotOpenAI
        return count
