"""hawkeye's own overhead per bench item: everything in `hawkeye bench gsm8k` that is not llama.cpp generating.

Usage: python benchmarks/bench_overhead.py [--limit 20] [--profile tiny] [--data FILE.jsonl] [--smoke]
       [-- more bench options]

Runs `hawkeye bench gsm8k --limit 20 --profile tiny --data ../shared/data/gsm8k/test.jsonl` in-process into a
fresh results directory (so nothing is resumed), timing every call of LlamaCppBackend.complete and every
result row written. An item is one problem in one mode, from the end of the previous row's write (fsync
included) to the end of its own; its overhead is that time minus the time spent inside `complete`: prompt
building, answer extraction, JSON, fsync and the progress bars. Target: under 3 % of item time. Model loading,
data loading and the final tables and plot are reported apart, as one-off costs. --smoke: two bundled problems,
16-token stages, to check that the script runs (CI); it needs no data.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from hawkeye_cli.backends.llama_cpp import LlamaCppBackend
from hawkeye_cli.cli import app
from hawkeye_cli.evaluation.results import BenchResults, ItemResult
from hawkeye_cli.evaluation.runner import Bench

DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "gsm8k" / "test.jsonl"
TARGET = 0.03
SMOKE_PROBLEMS = [
    {"question": "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
                 "How many clips did Natalia sell altogether in April and May?",
     "answer": "Natalia sold 48/2 = 24 clips in May.\nNatalia sold 48+24 = 72 clips altogether.\n#### 72"},
    {"question": "Weng earns $12 an hour for babysitting. Yesterday, she just did 50 minutes of babysitting. "
                 "How much did she earn?",
     "answer": "Weng earns 12/60 = $0.2 per minute.\nWorking 50 minutes, she earned 0.2 x 50 = $10.\n#### 10"},
]
SMOKE_OPTIONS = ["--max-tokens", "16", "--budget", "16"]


class Clock:
    """Cumulative seconds inside llama.cpp, and (row, wall seconds, seconds inside) for every row written."""

    def __init__(self) -> None:
        self.inside = 0.0
        self.loop_started = 0.0
        self.items: list[tuple[ItemResult, float, float]] = []
        self._last = (0.0, 0.0)

    @contextmanager
    def patched(self) -> Iterator[None]:
        """Times llama.cpp, every row written and the bench loop, for as long as the context lasts."""
        complete, append, run = LlamaCppBackend.complete, BenchResults.append, Bench.run

        def timed_complete(backend: LlamaCppBackend, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return complete(backend, *args, **kwargs)
            finally:
                self.inside += time.perf_counter() - started

        def timed_append(results: BenchResults, row: ItemResult) -> None:
            append(results, row)
            now = time.perf_counter()
            last_time, last_inside = self._last
            self.items.append((row, now - last_time, self.inside - last_inside))
            self._last = (now, self.inside)

        def timed_run(bench: Bench, *args: Any, **kwargs: Any) -> None:
            self.loop_started = time.perf_counter()
            self._last = (self.loop_started, self.inside)
            run(bench, *args, **kwargs)

        with ExitStack() as stack:
            stack.enter_context(mock.patch.object(LlamaCppBackend, "complete", timed_complete))
            stack.enter_context(mock.patch.object(BenchResults, "append", timed_append))
            stack.enter_context(mock.patch.object(Bench, "run", timed_run))
            yield


def report(clock: Clock, total: float) -> None:
    items = clock.items
    wall = sum(w for _, w, _ in items)
    overhead = [w - inside for _, w, inside in items]
    print(f"\n{len(items)} items (problem x mode) in {wall:.1f} s; command total {total:.1f} s, "
          f"of which {total - wall:.1f} s one-off (data, model loading, tables, plot)")
    print(f"{'mode':<12}{'n':>4}{'item s':>9}{'llama s':>9}{'overhead ms':>13}{'max ms':>9}{'overhead':>10}")
    by_label: dict[str, list[int]] = {}
    for position, (row, _, _) in enumerate(items):
        by_label.setdefault(f"{row.mode}@{row.budget}" if row.budget else row.mode, []).append(position)
    for label, positions in [*by_label.items(), ("all", list(range(len(items))))]:
        walls = [items[i][1] for i in positions]
        extra = [overhead[i] for i in positions]
        print(f"{label:<12}{len(positions):>4}{statistics.fmean(walls):>9.2f}"
              f"{statistics.fmean(items[i][2] for i in positions):>9.2f}{statistics.fmean(extra) * 1000:>13.1f}"
              f"{max(extra) * 1000:>9.1f}{sum(extra) / sum(walls):>10.2%}")
    share = sum(overhead) / wall
    print(f"overhead outside llama.cpp: {share:.2%} of item time "
          f"({'within' if share < TARGET else 'ABOVE'} the {TARGET:.0%} target)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--profile", default="tiny")
    parser.add_argument("--data", type=Path, help=f"GSM8K JSONL (default: {DEFAULT_DATA.resolve()})")
    parser.add_argument("--smoke", action="store_true", help="Two bundled problems, 16-token stages.")
    args, extra = parser.parse_known_args()
    options = [a for a in extra if a != "--"]
    with tempfile.TemporaryDirectory(prefix="hawkeye-overhead-") as scratch:
        data = args.data or DEFAULT_DATA
        if args.smoke:
            data = Path(scratch) / "gsm8k-smoke.jsonl"
            data.write_text("".join(json.dumps(problem) + "\n" for problem in SMOKE_PROBLEMS), encoding="utf-8")
            options = [*SMOKE_OPTIONS, *options]
        elif not data.is_file():
            sys.exit(f"bench_overhead.py: no GSM8K data at {data.resolve()}; pass --data FILE.jsonl, or --smoke")
        out = Path(scratch) / "results"
        command = ["bench", "gsm8k", "--limit", str(len(SMOKE_PROBLEMS) if args.smoke else args.limit),
                   "--profile", args.profile, "--data", str(data), "--out", str(out), *options]
        print("hawkeye " + " ".join(command))
        clock = Clock()
        started = time.perf_counter()
        with clock.patched():
            status = app(command, prog_name="hawkeye", standalone_mode=False)
        total = time.perf_counter() - started
    if status:  # the command printed its one-line error already
        sys.exit(status)
    report(clock, total)


if __name__ == "__main__":
    main()
