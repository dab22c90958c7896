"""hawkeye's decode speed against llama.cpp's own: what a stage loses to hawkeye's per-token work.

Usage: python benchmarks/decode_limit.py [--models gemma3-270m,smollm2-135m-instruct] [--tokens 128]
       [--repeats 5] [--threads N] [--ctx N] [--smoke]

Per model, in one process and one run: a stage through hawkeye (backends.load_backend, then
LlamaCppBackend.complete on a Request: detokenizing, stop-string scanning, streaming hooks), and the same model
loaded by llama_cpp.Llama directly with the same context, threads and GPU layers, generating the same number of
tokens greedily from the same prompt with nothing done per token. Both decode rates are (tokens - 1) / the time
after the first token, so prompt evaluation is left out. The two alternate, after one warm-up each, and the
table gives the medians and hawkeye / raw (target: at least 0.95). --smoke: one repetition of 16 tokens (CI).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import llama_cpp

from hawkeye_cli import backends
from hawkeye_cli.backends.base import MIN_RATE_TOKENS, Request
from hawkeye_cli.backends.llama_cpp import amx_kernels_off, default_gpu_layers
from hawkeye_cli.backends.settings import BackendSettings, LlamaCppSettings
from hawkeye_cli.errors import HawkeyeError
from hawkeye_cli.store import model_files
from hawkeye_cli.store.registry import ModelSpec, load_registry

DEFAULT_MODELS = "gemma3-270m,smollm2-135m-instruct"
PROMPT = ("Once upon a time, in a small fishing village by the sea, there lived an old sailor who told the children "
          "long stories about his voyages. One evening he began:")
"""Plain text that base and instruct models alike continue at length (a stage's decode, without a chat turn)."""
TARGET = 0.95
SMOKE_TOKENS = 16


@dataclass(frozen=True)
class Row:
    model: str
    threads: int
    tokens: int
    hawkeye: list[float]
    raw: list[float]
    same_text: bool

    @property
    def ratio(self) -> float:
        return statistics.median(self.hawkeye) / statistics.median(self.raw)

    @property
    def paired(self) -> str:
        """Range of the per-repetition ratios: how much the machine's load moved the numbers."""
        ratios = [ours / theirs for ours, theirs in zip(self.hawkeye, self.raw, strict=True)]
        return f"{min(ratios):.2f}-{max(ratios):.2f}"


class RawLlama:
    """The model as llama-cpp-python runs it with no hawkeye code around the decode loop."""

    def __init__(self, path: Path, settings: LlamaCppSettings) -> None:
        threads = settings.resolved_threads
        gpu_layers = default_gpu_layers() if settings.gpu_layers is None else settings.gpu_layers
        with amx_kernels_off():  # the same model parameters as hawkeye's, on a build whose AMX kernels crash
            self.llm = llama_cpp.Llama(model_path=str(path), n_ctx=settings.n_ctx, n_threads=threads,
                                       n_threads_batch=threads, n_gpu_layers=gpu_layers, verbose=False)

    def decode(self, prompt: str, tokens: int) -> tuple[float, str]:
        """(decode tok/s, text) for exactly `tokens` greedy tokens after `prompt`."""
        prompt_tokens = self.llm.tokenize(prompt.encode("utf-8"), add_bos=True)
        self.llm.reset()
        generated: list[int] = []
        first = last = 0.0
        for token in self.llm.generate(prompt_tokens, temp=0.0, repeat_penalty=1.0, reset=True):
            last = time.perf_counter()
            if not generated:
                first = last
            generated.append(token)
            if len(generated) >= tokens:
                break
        text = self.llm.detokenize(generated).decode("utf-8", errors="ignore")
        return (len(generated) - 1) / (last - first), text

    def close(self) -> None:
        self.llm.close()


def measure(spec: ModelSpec, settings: LlamaCppSettings, max_tokens: int, repeats: int) -> Row:
    hawkeye = backends.load_backend(spec, BackendSettings(llama_cpp=settings))
    raw = RawLlama(model_files.require_local(spec), settings)
    request = Request(max_tokens=max_tokens, prompt=PROMPT)
    hawkeye_rates: list[float] = []
    raw_rates: list[float] = []
    same_text = True
    tokens = 0
    try:
        for repetition in range(repeats + 1):  # the first is a warm-up: weights paged in, caches filled
            completion = hawkeye.complete(request)
            rate = completion.tokens_per_second
            if rate is None:
                raise SystemExit(f"decode_limit.py: {spec.alias} ended after {completion.completion_tokens} tokens, "
                                 f"too few to measure (at least {MIN_RATE_TOKENS}); use another model or prompt")
            tokens = completion.completion_tokens
            raw_rate, raw_text = raw.decode(PROMPT, tokens)
            same_text = same_text and raw_text == completion.text
            if repetition:
                hawkeye_rates.append(rate)
                raw_rates.append(raw_rate)
    finally:
        hawkeye.close()
        raw.close()
    return Row(spec.alias, settings.resolved_threads, tokens, hawkeye_rates, raw_rates, same_text)


def print_table(rows: list[Row], repeats: int) -> None:
    print(f"decode tok/s, median of {repeats} (prompt evaluation excluded); target hawkeye/raw >= {TARGET}")
    print(f"{'model':<24}{'threads':>8}{'tokens':>8}{'hawkeye':>10}{'raw':>10}{'hawkeye/raw':>13}"
          f"{'per run':>12}  same text")
    for row in rows:
        print(f"{row.model:<24}{row.threads:>8}{row.tokens:>8}{statistics.median(row.hawkeye):>10.1f}"
              f"{statistics.median(row.raw):>10.1f}{row.ratio:>13.3f}{row.paired:>12}"
              f"  {'yes' if row.same_text else 'NO'}")
    worst = min(row.ratio for row in rows)
    print(f"lowest hawkeye/raw {worst:.3f}: {'within' if worst >= TARGET else 'BELOW'} the {TARGET} target")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=DEFAULT_MODELS, help="Comma-separated registry aliases of GGUF models.")
    parser.add_argument("--tokens", type=int, default=128, help="Tokens generated per run (fewer if the model stops).")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, help="llama.cpp threads (default: hawkeye's, every usable core).")
    parser.add_argument("--ctx", type=int, default=LlamaCppSettings.n_ctx, help="Context of both.")
    parser.add_argument("--smoke", action="store_true", help="One repetition of 16 tokens.")
    args = parser.parse_args()
    if args.smoke:
        args.tokens, args.repeats = SMOKE_TOKENS, 1
    if args.tokens < MIN_RATE_TOKENS or args.repeats < 1:
        parser.error(f"--tokens must be at least {MIN_RATE_TOKENS} and --repeats at least 1")
    settings = LlamaCppSettings(n_ctx=args.ctx, threads=args.threads)
    registry = load_registry()
    specs = [registry.model(alias) for alias in args.models.split(",")]  # an unknown alias fails before any run
    rows = []
    for spec in specs:
        rows.append(measure(spec, settings, args.tokens, args.repeats))
        print(f"{spec.alias}: done", flush=True)
    print_table(rows, args.repeats)


if __name__ == "__main__":
    try:
        main()
    except HawkeyeError as exc:
        sys.exit(f"decode_limit.py: {exc.one_line()}")
