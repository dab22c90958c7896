"""The llama.cpp backend (llama-cpp-python): CPU, Metal or CUDA, whichever the wheel was built with."""

from __future__ import annotations

import codecs
import ctypes
import functools
import hashlib
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import llama_cpp

from hawkeye_cli.backends.base import (
    Backend,
    Completion,
    Request,
    TokenScore,
    join_prefix,
)
from hawkeye_cli.backends.chat_template import CHATML, ChatTemplate
from hawkeye_cli.backends.llama_session import Context, LlamaSession
from hawkeye_cli.backends.settings import LlamaCppSettings
from hawkeye_cli.errors import ContextOverflowError, IntegrityError, OutOfMemoryError
from hawkeye_cli.interrupts import interrupts_kept
from hawkeye_cli.store.paths import prompt_cache_dir
from hawkeye_cli.store.registry import ModelSpec

_verbose_logs = False


@llama_cpp.llama_log_callback
def _log_to_stderr_if_verbose(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
    """llama-cpp-python's own callback prints some level-0 messages even with verbose=False."""
    if _verbose_logs:
        print(text.decode("utf-8", errors="replace"), end="", file=sys.stderr, flush=True)


llama_cpp.llama_log_set(_log_to_stderr_if_verbose, ctypes.c_void_p(0))


@functools.cache
def _build_has_amx() -> bool:
    return b"AMX_INT8 = 1" in llama_cpp.llama_print_system_info()


_defaults_patched = threading.Lock()


@contextmanager
def amx_kernels_off() -> Iterator[None]:
    """Models loaded in this block do not use llama.cpp's AMX matrix kernels, where the build has them.

    A native build on a CPU with AMX (Intel Xeon 4th generation and later) compiles them in, and in the llama.cpp
    of llama-cpp-python 0.3.36 they die with an illegal instruction on the first prompt (their tile configuration
    is lost; llama.cpp PR 26954). They are one of llama.cpp's extra buffer types, which the model parameter
    `use_extra_bufts` turns off; llama_cpp.Llama takes no argument for it, so the library's default model
    parameters say so while the block runs. Without AMX in the build this does nothing.
    """
    if not _build_has_amx():
        yield
        return
    defaults = llama_cpp.llama_cpp.llama_model_default_params

    def without_extra_buffers() -> llama_cpp.llama_model_params:
        params = defaults()
        params.use_extra_bufts = False
        return params

    with _defaults_patched:
        llama_cpp.llama_cpp.llama_model_default_params = without_extra_buffers
        try:
            yield
        finally:
            llama_cpp.llama_cpp.llama_model_default_params = defaults


_context_patched = threading.Lock()


def _kv_cache_bytes(model: llama_cpp.llama_model_p, n_ctx: int) -> int:
    """K and V of every position in every layer, at llama.cpp's defaults (f16, full-size for sliding windows)."""
    n_head = max(llama_cpp.llama_model_n_head(model), 1)
    head = llama_cpp.llama_model_n_embd(model) // n_head
    key = _metadata_int(model, "attention.key_length") or head
    value = _metadata_int(model, "attention.value_length") or head
    f16 = 2
    return n_ctx * llama_cpp.llama_model_n_layer(model) * llama_cpp.llama_model_n_head_kv(model) * (key + value) * f16


def _metadata_int(model: llama_cpp.llama_model_p, key: str) -> int | None:
    """An integer of the model's GGUF metadata, under its architecture's prefix (`gemma3.attention.key_length`)."""
    buffer = ctypes.create_string_buffer(256)
    architecture = llama_cpp.llama_model_meta_val_str(model, b"general.architecture", buffer, len(buffer))
    if architecture < 0:
        return None
    name = f"{buffer.value.decode()}.{key}".encode()
    if llama_cpp.llama_model_meta_val_str(model, name, buffer, len(buffer)) < 0:
        return None
    try:
        return int(buffer.value)
    except ValueError:
        return None


def _memory_bytes() -> int | None:
    """The machine's physical memory; None where the platform does not say (Windows)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def _gib(size: int) -> str:
    return f"{size / 2**30:,.1f} GiB"


def default_gpu_layers() -> int:
    """All layers on the GPU when llama.cpp was built with Metal/CUDA/Vulkan, none otherwise."""
    return -1 if llama_cpp.llama_supports_gpu_offload() else 0


class LlamaCppBackend(Backend):
    n_ctx: int
    """llama.cpp always knows its context window."""

    def __init__(self, path: Path, spec: ModelSpec, settings: LlamaCppSettings, *, load_fix: str) -> None:
        """`load_fix` tells the user what to do when llama.cpp cannot load the file (it depends on who owns it)."""
        global _verbose_logs
        _verbose_logs = settings.verbose
        self.name = spec.alias
        self.path = path
        self._load_fix = load_fix
        self._threads = settings.resolved_threads
        self._gpu_layers = default_gpu_layers() if settings.gpu_layers is None else settings.gpu_layers
        self._verbose = settings.verbose
        self._llm = self._load(settings.n_ctx, logits_all=False)
        self.n_ctx = self._llm.n_ctx()
        self._scorer: llama_cpp.Llama | None = None
        # One llama.cpp context runs one request at a time: concurrent callers (bench --concurrency, serve) queue.
        self._context = Context(self._llm, spec.alias, saved=self._saved_caches())
        self._bos = self._llm.token_bos()
        self._eos = self._llm.token_eos()
        self.template = ChatTemplate(
            spec.chat_template or self._llm.metadata.get("tokenizer.chat_template", CHATML),
            bos_token=self._token_text(self._bos),
            eos_token=self._token_text(self._eos),
            name=spec.alias,
        )

    def _saved_caches(self) -> Path:
        """The folder of this model file's saved prompt caches: a cache is only valid for the same file, llama.cpp
        build, context size, threads and GPU layers (the thread count changes llama.cpp's arithmetic)."""
        stat = self.path.stat()
        setup = (f"{stat.st_size}-{stat.st_mtime_ns}-{llama_cpp.__version__}-{self.n_ctx}-{self._threads}-"
                 f"{self._gpu_layers}")
        return prompt_cache_dir() / f"{self.path.stem}-{hashlib.sha256(setup.encode()).hexdigest()[:16]}"

    def _load(self, n_ctx: int, *, logits_all: bool) -> llama_cpp.Llama:
        try:
            with interrupts_kept(), amx_kernels_off(), self._context_checked():
                return llama_cpp.Llama(model_path=str(self.path), n_ctx=n_ctx, logits_all=logits_all,
                                       n_threads=self._threads, n_threads_batch=self._threads,
                                       n_gpu_layers=self._gpu_layers, verbose=self._verbose)
        except (ValueError, RuntimeError) as exc:
            raise IntegrityError(f"llama.cpp could not load {self.path} ({exc})",
                                 fix=f"the file may be corrupt or of an unsupported architecture; {self._load_fix}") \
                from exc

    @contextmanager
    def _context_checked(self) -> Iterator[None]:
        """llama_cpp.Llama creates the context (--ctx tokens of KV cache) right after loading the weights, and one
        too big for memory fails after seconds of trying as "Failed to create llama_context", which would read as
        a bad model file. In between, with the model loaded, this estimates the cache against the machine's memory
        (all on the CPU; a GPU's memory is llama.cpp's to judge), and names --ctx when either says no."""
        create = llama_cpp.llama_cpp.llama_init_from_model

        def checked(model: llama_cpp.llama_model_p, params: llama_cpp.llama_context_params) -> object:
            memory = _memory_bytes()
            needed = _kv_cache_bytes(model, params.n_ctx)
            if self._gpu_layers == 0 and memory is not None and needed > memory:
                raise self._too_big(model, params.n_ctx, f"its context would need about {_gib(needed)} of memory, "
                                                          f"and this machine has {_gib(memory)}")
            context = create(model, params)
            if context is None:
                raise self._too_big(model, params.n_ctx, "llama.cpp could not allocate its context")
            return context

        with _context_patched:
            llama_cpp.llama_cpp.llama_init_from_model = checked
            try:
                yield
            finally:
                llama_cpp.llama_cpp.llama_init_from_model = create

    def _too_big(self, model: llama_cpp.llama_model_p, n_ctx: int, why: str) -> OutOfMemoryError:
        trained = llama_cpp.llama_model_n_ctx_train(model)
        return OutOfMemoryError(f"--ctx {n_ctx} does not fit in memory for {self.name}: {why}",
                                fix=f"use a smaller --ctx ({self.name} was trained for {trained} tokens)")

    def _token_text(self, token: int) -> str:
        return self._llm.detokenize([token], special=True).decode("utf-8", errors="ignore") if token >= 0 else ""

    def _tokenize(self, text: str, *, bos: bool = False, special: bool = False) -> list[int]:
        return self._llm.tokenize(text.encode("utf-8"), add_bos=bos, special=special)

    def _prompt(self, request: Request) -> list[int]:
        """The prompt's tokens. Only the chat template's markup may become special tokens: a user who writes
        `<|im_end|>` in a question gets those characters, not the end of the turn (token-level prompt injection)."""
        if request.prompt is not None:
            return self._tokenize(join_prefix(request.prompt, request.prefix), bos=True)
        tokens: list[int] = []
        for text, markup in self.template.segments(request):
            tokens += self._tokenize(text, bos=not tokens, special=markup)
        # Chat templates often write the BOS token themselves; llama.cpp would then add a second one.
        if len(tokens) > 1 and tokens[0] == tokens[1] == self._bos:
            tokens = tokens[1:]
        return tokens

    def prompt_tokens(self, request: Request) -> int:
        return len(self._prompt(request))

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(self._tokenize(text)) for text in texts]

    def complete(self, request: Request, on_text: Callable[[str], None] | None = None) -> Completion:
        with self.session(request) as session:
            return session.extend(request.max_tokens, on_text)

    def session(self, request: Request) -> LlamaSession:
        prompt = self._prompt(request)
        return LlamaSession(self._context, request, prompt, self._shared(request, prompt))

    def _shared(self, request: Request, prompt: list[int]) -> int:
        """How many of `prompt`'s tokens are the request's shared turns (its worked examples), as rendered: the
        tokens the turns alone render to and the whole prompt begin with, the last prompt token left to evaluate."""
        if not request.shared_turns or not request.messages:
            return 0
        head = self._prompt(replace(request, messages=request.messages[: request.shared_turns], prefix=""))
        same = next((i for i, (a, b) in enumerate(zip(head, prompt, strict=False)) if a != b),
                    min(len(head), len(prompt)))
        return min(same, len(prompt) - 1)

    def perf(self) -> tuple[int, int]:
        """llama.cpp's own counters of this context: (prompt tokens evaluated in batches, tokens decoded one at
        a time); the tests read them to show what a probe costs."""
        data = llama_cpp.llama_perf_context(self._llm.ctx)
        return data.n_p_eval, data.n_eval


    def score_tokens(self, text: str) -> list[TokenScore]:
        with self._context.busy:
            return self._score(text)

    def _score(self, text: str) -> list[TokenScore]:
        tokens = self._tokenize(text)
        if len(tokens) + 1 > self.n_ctx:
            raise ContextOverflowError(
                f"text of {len(tokens)} tokens does not fit {self.name}'s context of {self.n_ctx}",
                fix="raise --ctx",
            )
        if self._scorer is None:
            # Per-position logits cost n_ctx x vocabulary floats, so only a scoring context keeps them all.
            self._scorer = self._load(self.n_ctx, logits_all=True)
        scorer = self._scorer
        sequence = [self._bos, *tokens] if self._bos >= 0 else tokens
        scorer.reset()
        scorer.eval(sequence)
        offset = len(sequence) - len(tokens)
        logprobs = llama_cpp.Llama.logits_to_logprobs(scorer.scores[offset - 1 : len(sequence) - 1])
        scores: list[TokenScore] = []
        position = 0
        # A character split over several tokens belongs to the token that completes it, so pieces join back
        # into `text` and every start is a true character offset (decoding tokens alone would yield U+FFFD).
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        for index, token in enumerate(tokens):
            piece = decoder.decode(scorer.detokenize([token]))
            logprob = float(logprobs[index, token]) if offset > 0 or index > 0 else 0.0
            scores.append(TokenScore(piece=piece, logprob=logprob, start=position))
            position += len(piece)
        return scores

    def close(self) -> None:
        for llm in (self._llm, self._scorer):
            if llm is not None:
                llm.close()
