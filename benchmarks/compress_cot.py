"""Throughput of `hawkeye compress-cot` per method on a file of real reasoning traces.

Usage: python benchmarks/compress_cot.py TRACES.jsonl [--methods filter,surprisal,rewrite] [--ratio 0.35]
       [--limit N] [--rewrite-limit 10] [--ctx N] [--threads N] [--profile tiny] [--out DIR]
       [--repetitive-kb 100,300,1000] [--smoke]

e.g. TRACES.jsonl = ../shared/data/cot-traces/r1-distill-qwen-7b_math500.jsonl (120 DeepSeek-R1-Distill-Qwen-7B
traces on MATH-500). Per method: records/s (reading, compressing and writing; model loading reported apart),
the achieved ratio, how many records met the target within the tolerance, the fraction whose compressed CoT
still holds the final answer, and for surprisal the scorer's tokens/s (one forward pass per record). rewrite
generates up to ratio x CoT tokens per record with the planner, so it runs on the first --rewrite-limit
records only. With filter, one CoT made of the first trace's opening sentences repeated to each size of
--repetitive-kb is compressed on its own: the seconds per MB should stay about the same from size to size (the
filter is near-linear; it used to take 6 s for 100 KB and 36 s for 300 KB). --smoke: one record of the test
suite's traces per method at ratio 0.2 with a 1,024-token context, and a 20 KB repetitive CoT, to check that the
script runs (CI).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from pathlib import Path
from typing import cast, get_args

from hawkeye_cli.backends.base import Sampling
from hawkeye_cli.backends.settings import BackendSettings, LlamaCppSettings
from hawkeye_cli.compression.compressor import Compressor
from hawkeye_cli.compression.records import JsonlOutput, Trace, TraceFields, read_records
from hawkeye_cli.compression.run import CompressionRun, Method, compressor_for, output_key
from hawkeye_cli.compression.stats import OutputStats
from hawkeye_cli.errors import HawkeyeError
from hawkeye_cli.loading import LoadedModels, choose_pair
from hawkeye_cli.pipeline import DecodeSettings
from hawkeye_cli.store.registry import load_registry

SMOKE_TRACES = Path(__file__).resolve().parents[1] / "tests" / "data" / "traces.jsonl"
SMOKE_LIMIT = 1
SMOKE_RATIO = 0.2
SMOKE_CTX = 1024
SMOKE_REPETITIVE_KB = "20"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("traces", type=Path, nargs="?", help="JSONL traces (--smoke: the test suite's).")
    parser.add_argument("--methods", default="filter,surprisal,rewrite")
    parser.add_argument("--ratio", type=float, default=0.35)
    parser.add_argument("--limit", type=int, help="Records per method (all by default).")
    parser.add_argument("--rewrite-limit", type=int, default=10)
    parser.add_argument("--ctx", type=int, default=LlamaCppSettings.n_ctx,
                        help="Context of every model (the scorer's windows).")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--profile", default="tiny")
    parser.add_argument("--out", type=Path, help="Keep each method's output here (default: a temporary folder).")
    parser.add_argument("--repetitive-kb", default="100,300,1000",
                        help="filter: sizes in KB of one repetitive CoT, comma-separated.")
    parser.add_argument("--smoke", action="store_true", help="One bundled record per method.")
    args = parser.parse_args()
    if not set(args.methods.split(",")) <= set(get_args(Method)):
        parser.error(f"--methods: use some of {', '.join(get_args(Method))}")
    methods = [cast(Method, method) for method in args.methods.split(",")]  # checked just above
    if args.smoke:
        args.traces, args.limit, args.rewrite_limit = SMOKE_TRACES, SMOKE_LIMIT, SMOKE_LIMIT
        args.ratio, args.ctx, args.repetitive_kb = SMOKE_RATIO, SMOKE_CTX, SMOKE_REPETITIVE_KB
    elif args.traces is None:
        parser.error("give TRACES.jsonl, or --smoke")
    if not args.traces.is_file():
        sys.exit(f"compress_cot.py: no traces at {args.traces}; pass a JSONL file of question + cot records")

    registry = load_registry()
    pair = choose_pair(registry, profile=args.profile)
    decode = DecodeSettings.of(pair.profile, sampling=Sampling())
    with tempfile.TemporaryDirectory() as scratch:
        out_dir = args.out or Path(scratch)
        out_dir.mkdir(parents=True, exist_ok=True)
        print(f"{args.traces} · ratio {args.ratio} · profile {pair.profile.name} "
              f"(planner {pair.planner.alias}, expander {pair.expander.alias}) · ctx {args.ctx}")
        for method in methods:
            limit = min(args.limit or args.rewrite_limit, args.rewrite_limit) if method == "rewrite" else args.limit
            # each method loads its own models
            models = LoadedModels(BackendSettings(llama_cpp=LlamaCppSettings(n_ctx=args.ctx, threads=args.threads)))
            started = time.perf_counter()
            compressor = compressor_for(method, models, pair, pair.expander, decode)
            load = time.perf_counter() - started
            output = out_dir / f"{method}.jsonl"
            output.unlink(missing_ok=True)
            written = OutputStats()
            with (
                args.traces.open("rb") as stream,
                JsonlOutput(output, output_key(method), on_record=written.add) as out,
            ):
                records = itertools.islice(read_records(stream, TraceFields()), limit)
                summary = CompressionRun(compressor, [args.ratio], source=str(args.traces)).run(records, out)
            stats = written.ratios[args.ratio]
            line = (
                f"{method:<9} {stats.records:4d} records in {summary.seconds:7.2f}s = "
                f"{summary.records_per_second:7.2f} records/s (load {load:.2f}s) · "
                f"tokens {stats.tokens_before / stats.records:.0f} -> {stats.tokens_after / stats.records:.0f} "
                f"({compressor.tokenizer.name}) · ratio {stats.ratio:.3f} · "
                f"{stats.on_target}/{stats.records} on target · answer kept {stats.answer_kept}/{stats.answer_known}"
            )
            if summary.scoring_seconds:
                line += (f" · scored {summary.tokens_scored} tokens at "
                         f"{summary.tokens_scored / summary.scoring_seconds:.0f} tokens/s")
            if summary.skipped:
                line += f" · skipped {dict(summary.skip_reasons)}"
            print(line, flush=True)
            if method == "filter":
                _repetitive(compressor, args.traces, [int(kb) for kb in args.repetitive_kb.split(",")], args.ratio)
            models.close()


def _repetitive(compressor: Compressor, traces: Path, sizes_kb: list[int], ratio: float) -> None:
    """One long CoT that says the same few sentences again and again, as a looping model writes them."""
    with traces.open("rb") as stream:
        first = next(trace for trace in read_records(stream, TraceFields()) if isinstance(trace, Trace))
    paragraph = " ".join(first.thinking.split(". ")[:4]) + ".\n"
    for kb in sizes_kb:
        cot = (paragraph * (kb * 1000 // len(paragraph) + 1))[: kb * 1000]
        started = time.perf_counter()
        [compression] = compressor.compress(first.question, cot, [ratio])
        seconds = time.perf_counter() - started
        print(f"filter    repetitive CoT of {kb:5d} KB in {seconds:7.2f}s = {seconds / (kb / 1000):6.2f} s/MB · "
              f"ratio {compression.ratio:.3f}", flush=True)


if __name__ == "__main__":
    try:
        main()
    except HawkeyeError as exc:
        sys.exit(f"compress_cot.py: {exc.one_line()}")
