"""What the savings ledger adds to an `ask`: the time of recording it (building the entry, opening the database,
estimating the saving from the latest baseline, one transaction) against the time of the ask itself.

Usage: python benchmarks/ledger_overhead.py [--profile tiny] [--questions 3] [--budget 16] [--max-tokens 48]
       [--prefill 5000] [--threads 2] [--smoke]

The models load from the usual place; the ledger is a fresh one in a temporary HAWKEYE_HOME. It is first filled
with --prefill entries (timed as well: recording on its own, without a model), so that the asks are recorded into
a ledger of realistic size; then each question is asked and recorded as `hawkeye ask` does. Prints per question
the ask's seconds and the recording's milliseconds, then the share. Target: under 1 % of the ask's time.
--smoke: one question, 4-token stages, 200 entries (CI).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from hawkeye_cli import ledger
from hawkeye_cli.backends.settings import BackendSettings, LlamaCppSettings
from hawkeye_cli.errors import HawkeyeError
from hawkeye_cli.ledger.database import Ledger
from hawkeye_cli.ledger.entries import entry_of
from hawkeye_cli.ledger.estimates import Baseline
from hawkeye_cli.loading import LoadedModels, choose_pair
from hawkeye_cli.pipeline import DecodeSettings
from hawkeye_cli.reporting.ask import ask_document
from hawkeye_cli.store import paths
from hawkeye_cli.store.registry import load_registry

QUESTIONS = [
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
    "How many clips did Natalia sell altogether?",
    "Weng earns $12 an hour for babysitting. Yesterday, she just did 50 minutes of babysitting. How much did she earn?",
    "Betty is saving money for a new wallet which costs $100. Betty has only half of the money she needs. How much "
    "more money does she need?",
]
TARGET = 0.01


def fail(warning: HawkeyeError) -> None:
    sys.exit(f"ledger_overhead.py: {warning.one_line()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="tiny")
    parser.add_argument("--questions", type=int, default=3)
    parser.add_argument("--budget", type=int, default=16)
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--prefill", type=int, default=5000, help="Entries in the ledger before the asks.")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--smoke", action="store_true", help="One question, 4-token stages, 200 entries.")
    args = parser.parse_args()
    if args.smoke:
        args.questions, args.budget, args.max_tokens, args.prefill = 1, 4, 4, 200
    pair = choose_pair(load_registry(), profile=args.profile)
    decode = DecodeSettings(budget=args.budget, max_tokens=args.max_tokens)
    models = LoadedModels(BackendSettings(LlamaCppSettings(n_ctx=2048, threads=args.threads)))
    collaboration = models.collaboration(pair)
    with tempfile.TemporaryDirectory(prefix="hawkeye-ledger-") as home:
        os.environ[paths.HOME_ENV] = home  # after loading: the models came from the usual place
        os.environ.pop(paths.NO_LOG_ENV, None)
        log = Ledger(paths.ledger_path())
        document = ask_document(collaboration.ask(QUESTIONS[0], decode), pair, decode)  # warms the models up
        started = time.perf_counter()
        log.add_baselines([Baseline(planner=pair.planner.alias, source="bench", dataset="gsm8k", n=20,
                                    mean_tokens=300.0, mean_seconds=10.0, mean_cost=1.0, max_tokens=512, cut=0)])
        print(f"first write (creates the database): {(time.perf_counter() - started) * 1000:.1f} ms")
        prefill = []
        for _ in range(args.prefill):
            started = time.perf_counter()
            log.add(entry_of(document, "ask"))
            prefill.append(time.perf_counter() - started)
        if prefill:
            print(f"prefill: {len(prefill)} entries, {statistics.fmean(prefill) * 1000:.2f} ms each on average "
                  f"(p95 {statistics.quantiles(prefill, n=20)[-1] * 1000:.2f} ms), database "
                  f"{Path(paths.ledger_path()).stat().st_size / 1e6:.1f} MB")
        asks, records = [], []
        for question in QUESTIONS[: args.questions]:
            started = time.perf_counter()
            result = collaboration.ask(question, decode)
            asked = time.perf_counter()
            ledger.record(ask_document(result, pair, decode), "ask", warn=fail)
            recorded = time.perf_counter()
            asks.append(asked - started)
            records.append(recorded - asked)
            print(f"ask {asks[-1]:7.3f}s  record {records[-1] * 1000:6.2f} ms  ({records[-1] / asks[-1]:.3%})")
        assert log.count() == args.prefill + len(asks)
    share = sum(records) / sum(asks)
    print(f"recording adds {statistics.fmean(records) * 1000:.2f} ms to an ask of {statistics.fmean(asks):.2f} s: "
          f"{share:.3%} ({'within' if share < TARGET else 'ABOVE'} the {TARGET:.0%} target)")


if __name__ == "__main__":
    main()
