"""The llama.cpp backend (llama-cpp-python): CPU, Metal or CUDA, whichever the wheel was built with."""

from __future__ import annotations

import codecs
import ctypes
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import llama_cpp
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from hawkeye_cli.backends.base import Backend, Completion, FinishReason, Message, TokenScore
from hawkeye_cli.errors import ContextOverflowError, IntegrityError

# Used only when a chat model's GGUF carries no template of its own.
_CHATML = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

# Too few tokens left for an answer means the prompt itself is the problem.
_MIN_ANSWER_TOKENS = 16


_verbose_logs = False


@llama_cpp.llama_log_callback
def _log_to_stderr_if_verbose(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
    """llama-cpp-python's own callback prints some level-0 messages even with verbose=False."""
    if _verbose_logs:
        print(text.decode("utf-8", errors="replace"), end="", file=sys.stderr, flush=True)


llama_cpp.llama_log_set(_log_to_stderr_if_verbose, ctypes.c_void_p(0))


def default_gpu_layers() -> int:
    """All layers on the GPU when llama.cpp was built with Metal/CUDA/Vulkan, none otherwise."""
    return -1 if llama_cpp.llama_supports_gpu_offload() else 0


class LlamaCppBackend(Backend):
    def __init__(
        self,
        path: Path,
        *,
        name: str,
        n_ctx: int = 4096,
        threads: int | None = None,
        gpu_layers: int | None = None,
        verbose: bool = False,
    ) -> None:
        global _verbose_logs
        _verbose_logs = verbose
        self.name = name
        self.path = path
        self._options = {
            "n_threads": threads,
            "n_gpu_layers": default_gpu_layers() if gpu_layers is None else gpu_layers,
            "verbose": verbose,
        }
        self._llm = self._load(n_ctx, logits_all=False)
        self.n_ctx = self._llm.n_ctx()
        self._scorer: llama_cpp.Llama | None = None
        self._bos = self._llm.token_bos()
        self._eos = self._llm.token_eos()
        self._chat = Jinja2ChatFormatter(
            template=self._llm.metadata.get("tokenizer.chat_template", _CHATML),
            eos_token=self._token_text(self._eos),
            bos_token=self._token_text(self._bos),
        )

    def _load(self, n_ctx: int, *, logits_all: bool) -> llama_cpp.Llama:
        try:
            return llama_cpp.Llama(model_path=str(self.path), n_ctx=n_ctx, logits_all=logits_all, **self._options)
        except (ValueError, RuntimeError) as exc:
            raise IntegrityError(
                f"llama.cpp could not load {self.path} ({exc})",
                fix="the file may be corrupt or of an unsupported architecture; delete it and pull it again",
            ) from exc

    def _token_text(self, token: int) -> str:
        return self._llm.detokenize([token], special=True).decode("utf-8", errors="ignore") if token >= 0 else ""

    def _tokens(self, text: str, *, bos: bool) -> list[int]:
        tokens = self._llm.tokenize(text.encode("utf-8"), add_bos=bos, special=bos)
        # Chat templates often write the BOS token themselves; llama.cpp would then add a second one.
        if bos and len(tokens) > 1 and tokens[0] == tokens[1] == self._bos:
            tokens = tokens[1:]
        return tokens

    def render_chat(self, messages: Sequence[Message]) -> str:
        return self._chat(messages=list(messages)).prompt

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

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
        started = time.perf_counter()
        prompt_tokens = self._tokens(prompt, bos=True)
        room = self.n_ctx - len(prompt_tokens)
        if room < min(max_tokens, _MIN_ANSWER_TOKENS):
            raise ContextOverflowError(
                f"the prompt is {len(prompt_tokens)} tokens but {self.name}'s context is {self.n_ctx}",
                fix="shorten the question or raise --ctx",
            )
        limit = min(max_tokens, room)
        self._llm.set_seed(seed)
        # Reusing a cached prompt prefix evaluates tokens in different batches, which changes the floating
        # point results enough to flip greedy choices: same question, different answer. Start clean instead.
        self._llm.reset()
        decoder = codecs.getincrementaldecoder("utf-8")(errors="ignore")
        stream = _StopScanner(stop, on_text)
        generated = 0
        prompt_seconds = 0.0
        finish: FinishReason = "length"
        for token in self._llm.generate(prompt_tokens, temp=temperature, top_k=40, top_p=0.95, min_p=0.05,
                                        repeat_penalty=1.0, reset=True):
            if generated == 0:
                prompt_seconds = time.perf_counter() - started
            if llama_cpp.llama_vocab_is_eog(self._llm._model.vocab, token):
                finish = "eos"
                break
            generated += 1
            if stream.feed(decoder.decode(self._llm.detokenize([token], prev_tokens=None))):
                finish = "stop"
                break
            if generated >= limit:
                break
        stream.feed(decoder.decode(b"", final=True))
        return Completion(
            text=stream.finish(),
            prompt_tokens=len(prompt_tokens),
            completion_tokens=generated,
            prompt_seconds=prompt_seconds,
            seconds=time.perf_counter() - started,
            finish_reason=finish,
        )

    def score_tokens(self, text: str) -> list[TokenScore]:
        tokens = self._tokens(text, bos=False)
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


class _StopScanner:
    """Accumulates generated text, cuts it at the first stop string, and streams only text that is final."""

    def __init__(self, stop: Sequence[str], on_text: Callable[[str], None] | None) -> None:
        self._stop = [s for s in stop if s]
        self._hold = max((len(s) for s in self._stop), default=1) - 1
        self._on_text = on_text
        self._text = ""
        self._sent = 0

    def feed(self, piece: str) -> bool:
        """Add `piece`; True once a stop string has appeared."""
        start = max(0, len(self._text) - self._hold)
        self._text += piece
        hits = [i for i in (self._text.find(s, start) for s in self._stop) if i >= 0]
        if hits:
            self._text = self._text[: min(hits)]
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
