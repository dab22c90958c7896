"""Generation on llama.cpp that pauses and resumes with its evaluated prefix kept: every completion, and the
adaptive planner's rounds and probes.

The context's KV cache holds the prompt and the reply so far. A probe is evaluated on top of it, answers, and is
dropped again (the cache is cut back to the reply); the reply then goes on from the next token, which was sampled
before the probe, so nothing is evaluated twice and the probe leaves the reply exactly as it would have been.

A token the reply accepts is evaluated only when the next one is needed, as llama-cpp-python's own generate()
does, so a completion that ends evaluates no token it does not need. A session holds its model from its first step
until it is closed (other threads queue, as for any request). Only a request in the same thread (one model as
planner and expander) can use the context in between; the session then evaluates its prompt and reply again, in
the same batches as the first time, so greedy decoding stays the same.
"""

from __future__ import annotations

import codecs
import ctypes
import hashlib
import os
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import llama_cpp

from hawkeye_cli.backends.base import (
    GREEDY,
    MIN_ANSWER_TOKENS,
    Completion,
    FinishReason,
    Request,
    Sampling,
    Session,
    StopScanner,
    TextEnd,
)
from hawkeye_cli.errors import ContextOverflowError

SHARED_PREFIXES_KEPT = 4
"""KV caches of shared prompt beginnings kept per model: one per kind of request that has them (plan, expand)."""


class Context:
    """One model's llama.cpp context, and which session its KV cache holds: the sessions and requests of one model
    take turns (`busy`; re-entrant, since a planner's session holds it while the same model may expand)."""

    def __init__(self, llm: llama_cpp.Llama, name: str, saved: Path | None = None) -> None:
        """`saved`: a folder where the kept caches are also written, for the next process on the same model file
        and setup (a single `hawkeye ask` would otherwise evaluate its examples every time); None keeps them in
        memory only."""
        self.llm = llm
        self.name = name
        self.n_ctx = llm.n_ctx()
        self.busy = threading.RLock()
        self.owner: object | None = None
        self._kept: OrderedDict[tuple[int, ...], bytes] = OrderedDict()
        self._saved = saved

    def evaluate(self, prompt: list[int], shared: int) -> int:
        """A prompt into the emptied KV cache. Its first `shared` tokens (the worked examples every request of its
        kind begins with) are evaluated once and their cache kept (and saved for later processes), then copied back
        for the next prompt that begins with them; on a CPU, where a prompt costs seconds, that is most of an
        expander's prompt. They are always evaluated in a batch of their own, so a prompt gives the same logits
        whether or not they were kept. Returns how many tokens came from the cache."""
        self.llm.reset()
        if shared <= 0:
            self.llm.eval(prompt)
            return 0
        head = tuple(prompt[:shared])
        kept = self._kept.get(head) or self._read_saved(head)
        cached = kept is not None and self._restore(kept, head)
        if kept is None or not cached:
            self.llm.eval(prompt[:shared])
            kept = self._copy()
            self._write_saved(head, kept)
        self._kept[head] = kept
        self._kept.move_to_end(head)
        while len(self._kept) > SHARED_PREFIXES_KEPT:
            self._kept.popitem(last=False)
        self.llm.eval(prompt[shared:])
        return shared if cached else 0

    def _saved_file(self, head: tuple[int, ...]) -> Path | None:
        if self._saved is None:
            return None
        return self._saved / f"{hashlib.sha256(repr(head).encode()).hexdigest()[:32]}.kv"

    def _read_saved(self, head: tuple[int, ...]) -> bytes | None:
        """A cache an earlier process wrote; None when there is none or it cannot be read (it is only a cache)."""
        path = self._saved_file(head)
        if path is None:
            return None
        try:
            stored = path.read_bytes()
        except OSError:
            return None
        digest, kept = stored[:32], stored[32:]
        return kept if hashlib.sha256(kept).digest() == digest else None  # torn or damaged: evaluate instead

    def _write_saved(self, head: tuple[int, ...], kept: bytes) -> None:
        """Written whole or not at all (a temporary file renamed into place); a full disk or a read-only folder
        only means the next process evaluates the examples again."""
        path = self._saved_file(head)
        if path is None:
            return
        with suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
            try:
                with os.fdopen(handle, "wb") as file:
                    file.write(hashlib.sha256(kept).digest() + kept)
                os.replace(temporary, path)
            finally:
                with suppress(OSError):
                    os.unlink(temporary)

    def _copy(self) -> bytes:
        """The KV cache of the context's one sequence."""
        size = llama_cpp.llama_state_seq_get_size(self.llm.ctx, 0)
        buffer = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(self.llm.ctx, buffer, size, 0)
        return bytes(buffer)[:written]

    def _restore(self, kept: bytes, head: tuple[int, ...]) -> bool:
        """The cache of `head` back in place of whatever the context holds; False where llama.cpp refuses it."""
        self.llm._ctx.kv_cache_seq_rm(-1, 0, -1)
        buffer = (ctypes.c_uint8 * len(kept)).from_buffer_copy(kept)
        if llama_cpp.llama_state_seq_set_data(self.llm.ctx, buffer, len(kept), 0) != len(kept):
            self.llm._ctx.kv_cache_seq_rm(-1, 0, -1)
            return False
        self.llm.input_ids[: len(head)] = head
        self.llm.n_tokens = len(head)
        return True

    def tokenize(self, text: str) -> list[int]:
        """Plain text, no BOS, no special tokens."""
        return self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)

    def is_end_of_turn(self, token: int) -> bool:
        return bool(llama_cpp.llama_vocab_is_eog(self.llm._model.vocab, token))


class LlamaSession(Session):
    def __init__(self, context: Context, request: Request, prompt: list[int], shared: int = 0) -> None:
        """`prompt`: the request's tokens, as the backend renders and tokenizes them; `shared`: how many of them
        begin every request of its kind (Context.evaluate keeps their cache)."""
        self._context = context
        self._shared = shared
        self._llm = context.llm
        self._request = request
        self._prompt = prompt
        if context.n_ctx - len(prompt) < min(request.max_tokens, MIN_ANSWER_TOKENS):
            raise ContextOverflowError(
                f"the prompt is {len(prompt)} tokens but {context.name}'s context is {context.n_ctx}",
                fix="shorten the question or raise --ctx",
            )
        self._evaluated: list[int] = []
        """Accepted tokens in the KV cache, in order."""
        self._unevaluated: int | None = None
        """The last accepted token, not evaluated yet."""
        self._pending: int | None = None
        """The next token, sampled from the reply's last logits before a probe replaced them."""
        self._ends: list[int] = []
        """Characters of the reply's text after each accepted token."""
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="ignore")
        self._sampler: object | None = None
        self._holding = False
        self._prompt_counted = False
        self._cached = 0
        """Prompt tokens the first evaluation took from the cache."""
        self.ended: FinishReason | None = None
        self.text = ""

    def close(self) -> None:
        if self._holding:
            self._holding = False
            self._context.busy.release()

    # -- the reply ----------------------------------------------------------------------------------------------

    def extend(self, max_tokens: int, on_text: Callable[[str], None] | None = None) -> Completion:
        started = time.perf_counter()
        if self.ended is not None:
            return Completion("", 0, 0, 0.0, 0.0, self.ended)
        self._own_context()
        scanner = StopScanner(self._request.stop, on_text, start=self.text)
        room = self._context.n_ctx - len(self._prompt) - self._accepted
        limit = min(max_tokens, room)
        generated = 0
        prompt_seconds: float | None = None
        finish: FinishReason = "length" if limit == max_tokens else "context"
        with self._sampling(self._request.sampling):
            while generated < limit:
                token = self._next()
                if prompt_seconds is None:
                    prompt_seconds = time.perf_counter() - started
                if self._context.is_end_of_turn(token):
                    finish = "eos"
                    break
                self._accept(token)
                generated += 1
                if scanner.feed(self._piece(token)):
                    finish = "stop"
                    break
        scanner.feed(self._decoder.decode(b"", final=True) if finish != "length" else "")
        self.text = scanner.finish()
        if finish != "length":
            self.ended = finish
        prompt_tokens, cached_tokens = (0, 0) if self._prompt_counted else (len(self._prompt), self._cached)
        self._prompt_counted = True
        return Completion(
            text=self.text[len(scanner.start) :],
            prompt_tokens=prompt_tokens,
            completion_tokens=generated,
            prompt_seconds=prompt_seconds if prompt_seconds is not None else time.perf_counter() - started,
            seconds=time.perf_counter() - started,
            finish_reason=finish,
            cached_tokens=cached_tokens,
        )

    # -- probes -------------------------------------------------------------------------------------------------

    def probe(self, text: str, max_tokens: int, stop: tuple[str, ...], end: TextEnd | None = None) -> Completion:
        started = time.perf_counter()
        self._own_context()
        kept = self._settle()
        tokens = self._context.tokenize(self.text[self._ends[kept - 1] if kept else 0 :] + text)
        room = self._context.n_ctx - len(self._prompt) - kept - len(tokens)
        if room <= 0:
            return Completion("", 0, 0, 0.0, time.perf_counter() - started, "context")
        max_tokens = min(max_tokens, room)
        self._llm.n_tokens = len(self._prompt) + kept
        self._llm.eval(tokens)
        prompt_seconds = time.perf_counter() - started
        scanner = StopScanner(stop, None, end=end)
        generated = 0
        finish: FinishReason = "length"
        decoder = codecs.getincrementaldecoder("utf-8")(errors="ignore")
        with self._sampling(GREEDY):
            token = self._llm.sample(idx=None)
            while generated < max_tokens:
                if self._context.is_end_of_turn(token):
                    finish = "eos"
                    break
                generated += 1
                if scanner.feed(decoder.decode(self._llm.detokenize([token]))):
                    finish = "stop"
                    break
                if generated < max_tokens:
                    self._llm.eval([token])
                    token = self._llm.sample(idx=None)
        self._llm.n_tokens = len(self._prompt) + len(self._evaluated)  # the next evaluation drops the probe
        return Completion(scanner.finish(), len(tokens), generated, prompt_seconds,
                          time.perf_counter() - started, finish)

    # -- the context ----------------------------------------------------------------------------------------------

    @property
    def _accepted(self) -> int:
        return len(self._evaluated) + (self._unevaluated is not None)

    def _own_context(self) -> None:
        """Hold the model, and make its context hold this session's prompt and evaluated reply (again when another
        request has used the context since)."""
        if not self._holding:
            self._context.busy.acquire()
            self._holding = True
        if self._context.owner is self:
            return
        self._llm.set_seed(self._request.sampling.seed)
        self._llm.reset()
        if self._evaluated or self._unevaluated is not None or self._pending is not None:
            self._context.evaluate(self._prompt, self._shared)
            for token in self._evaluated:
                self._llm.eval([token])
        self._context.owner = self

    def _next(self) -> int:
        """The next token of the reply: the one sampled before a probe, else one sampled now."""
        if self._pending is not None:
            token, self._pending = self._pending, None
            return token
        self._catch_up()
        return int(self._llm.sample(idx=None))

    def _catch_up(self) -> None:
        """Everything accepted into the cache: the prompt, then the last accepted token."""
        if self._llm.n_tokens == 0:
            cached = self._context.evaluate(self._prompt, self._shared)
            if not self._prompt_counted:
                self._cached = cached
        if self._unevaluated is not None:
            self._llm.eval([self._unevaluated])
            self._evaluated.append(self._unevaluated)
            self._unevaluated = None

    def _accept(self, token: int) -> None:
        self._unevaluated = token

    def _piece(self, token: int) -> str:
        piece = self._decoder.decode(self._llm.detokenize([token]))
        self._ends.append((self._ends[-1] if self._ends else 0) + len(piece))
        return piece

    def _settle(self) -> int:
        """Before a probe: every accepted token whose text the reply keeps in the cache, and the reply's next token
        sampled while its logits are there. Returns how many accepted tokens the probe continues (a reply cut at a
        stop string keeps the text before it: the tokens after that text are left out)."""
        self._catch_up()
        if self.ended is None and self._pending is None:
            with self._sampling(self._request.sampling):
                self._pending = int(self._llm.sample(idx=None))
        kept = len(self._evaluated)
        while kept and self._ends[kept - 1] > len(self.text):
            kept -= 1
        del self._evaluated[kept:]
        return kept

    @contextmanager
    def _sampling(self, sampling: Sampling) -> Iterator[None]:
        """llama-cpp-python samples with its Llama's current sampler chain: this session's (its seed and
        position kept from round to round), or a greedy one for a probe."""
        if sampling is GREEDY:
            chain = self._llm._init_sampler(temp=0.0)
        else:
            if self._sampler is None:
                self._sampler = self._llm._init_sampler(temp=sampling.temperature, top_k=sampling.top_k,
                                                        top_p=sampling.top_p, min_p=sampling.min_p,
                                                        repeat_penalty=1.0)
            chain = self._sampler
        previous, self._llm._sampler = self._llm._sampler, chain
        try:
            yield
        finally:
            self._llm._sampler = previous
