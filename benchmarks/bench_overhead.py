"""hawkeye's own overhead per bench item: everything in `hawkeye bench gsm8k` that is not llama.cpp generating.

Usage: python benchmarks/bench_overhead.py [--limit 20] [--profile tiny] [--data FILE.jsonl] [-- more bench options]

Runs `hawkeye bench gsm8k --limit 20 --profile tiny --data ../shared/data/gsm8k/test.jsonl` in-process into a
fresh results directory (so nothing is resumed), timing every call of LlamaCppBackend.complete and every
result row written. An item is one problem in one mode, from the end of the previous row's write (fsync
included) to the end of its own; its overhead is that time minus the time spent inside `complete`: prompt
building, answer extraction, JSON, fsync and the progress bars. Target: under 3 % of item time. Model loading,
data loading and the final tables and plot are reported apart, as one-off costs.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from hawkeye_cli.backends.llama_cpp import LlamaCppBackend
from hawkeye_cli.cli import app
from hawkeye_cli.evaluation.results import ItemResult, ResultStore
from hawkeye_cli.evaluation.runner import Bench

DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "gsm8k" / "test.jsonl"
TARGET = 0.03


class Clock:
    """Cumulative seconds inside llama.cpp, and (row, wall seconds, seconds inside) for every row written."""

    def __init__(self) -> None:
        self.inside = 0.0
        self.loop_started = 0.0
        self.items: list[tuple[ItemResult, float, float]] = []
        self._last = (0.0, 0.0)

    def patch(self) -> None:
        complete, append, run = LlamaCppBackend.complete, ResultStore.append, Bench.run

        def timed_complete(backend: LlamaCppBackend, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return complete(backend, *args, **kwargs)
            finally:
                self.inside += time.perf_counter() - started

        def timed_append(store: ResultStore, row: ItemResult) -> None:
            append(store, row)
            now = time.perf_counter()
            last_time, last_inside = self._last
            self.items.append((row, now - last_time, self.inside - last_inside))
            self._last = (now, self.inside)

        def timed_run(bench: Bench, *args: Any, **kwargs: Any) -> None:
            self.loop_started = time.perf_counter()
            self._last = (self.loop_started, self.inside)
            run(bench, *args, **kwargs)

        LlamaCppBackend.complete = timed_complete  # type: ignore[method-assign]
        ResultStore.append = timed_append  # type: ignore[method-assign]
        Bench.run = timed_run  # type: ignore[method-assign]


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
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args, extra = parser.parse_known_args()
    clock = Clock()
    clock.patch()
    with tempfile.TemporaryDirectory(prefix="hawkeye-overhead-") as out:
        command = ["bench", "gsm8k", "--limit", str(args.limit), "--profile", args.profile,
                   "--data", str(args.data), "--out", out, *[a for a in extra if a != "--"]]
        print("hawkeye " + " ".join(command))
        started = time.perf_counter()
        app(command, prog_name="hawkeye", standalone_mode=False)
        total = time.perf_counter() - started
    report(clock, total)


if __name__ == "__main__":
    main()
