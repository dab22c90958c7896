"""Latency, throughput and memory of `hawkeye ask --compare` with both models loaded once.

Usage: python benchmarks/ask_latency.py [--profile tiny] [--questions 3] [--budget N] [--max-tokens N]
       [--threads N] [--smoke]

Prints per question the seconds of each stage, and at the end the mean speedup of hawkeye (plan + expand) over
the planner's full CoT, decode throughput per model, load time and peak resident memory. --smoke: one question,
16-token stages, to check that the script runs (CI).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time

from hawkeye_cli.backends.base import Sampling
from hawkeye_cli.backends.settings import BackendSettings, LlamaCppSettings
from hawkeye_cli.errors import HawkeyeError
from hawkeye_cli.loading import LoadedModels, choose_pair
from hawkeye_cli.pipeline import DecodeSettings, StageResult
from hawkeye_cli.store.registry import load_registry

QUESTIONS = [
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
    "How many clips did Natalia sell altogether?",
    "Weng earns $12 an hour for babysitting. Yesterday, she just did 50 minutes of babysitting. How much did she earn?",
    "Betty is saving money for a new wallet which costs $100. Betty has only half of the money she needs. Her parents "
    "decided to give her $15 for that purpose, and her grandparents twice as much as her parents. How much more money "
    "does Betty need to buy the wallet?",
]
SMOKE_TOKENS = 16


def stage_line(name: str, stage: StageResult) -> str:
    return f"{name} {stage.completion.completion_tokens:4d} tok {stage.completion.seconds:6.2f}s"


def mean_rate(stages: list[StageResult]) -> str:
    """Mean decode tok/s over the stages long enough to measure one."""
    rates = [rate for stage in stages if (rate := stage.completion.tokens_per_second) is not None]
    return f"{statistics.fmean(rates):.1f}" if rates else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="tiny")
    parser.add_argument("--questions", type=int, default=len(QUESTIONS))
    parser.add_argument("--budget", type=int, help="Planner budget (default: the profile's).")
    parser.add_argument("--max-tokens", type=int, help="Expander and baseline cap (default: the profile's).")
    parser.add_argument("--threads", type=int, help="llama.cpp threads (default: hawkeye's, every usable core).")
    parser.add_argument("--smoke", action="store_true", help="One question, 16-token stages.")
    args = parser.parse_args()
    questions = QUESTIONS[: 1 if args.smoke else args.questions]

    pair = choose_pair(load_registry(), profile=args.profile)
    budget = SMOKE_TOKENS if args.smoke else args.budget
    max_tokens = SMOKE_TOKENS if args.smoke else args.max_tokens
    settings = BackendSettings(llama_cpp=LlamaCppSettings(threads=args.threads))
    started = time.perf_counter()
    collaboration = LoadedModels(settings).collaboration(pair)
    decode = DecodeSettings.of(pair.profile, sampling=Sampling(), budget=budget, max_tokens=max_tokens)
    load_seconds = time.perf_counter() - started
    speedups: list[float] = []
    plans: list[StageResult] = []
    expansions: list[StageResult] = []
    baselines: list[StageResult] = []
    for question in questions:
        result = collaboration.ask(question, decode, compare=True)
        assert result.baseline is not None and result.savings is not None  # compare=True
        plans.append(result.plan.stage)
        expansions.append(result.expansion)
        baselines.append(result.baseline.stage)
        speedup = result.savings.speedup
        if speedup is not None:
            speedups.append(speedup)
        print(f"{stage_line('plan', result.plan.stage)} | {stage_line('expand', result.expansion)} | "
              f"{stage_line('baseline', result.baseline.stage)} | "
              f"speedup {'n/a' if speedup is None else f'{speedup:.2f}x'}, cost saved {result.savings.cost:.0%}")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    mean_speedup = f"{statistics.fmean(speedups):.2f}x" if speedups else "n/a"
    print(f"profile {pair.profile.name}, {settings.llama_cpp.resolved_threads} threads: load {load_seconds:.2f}s, "
          f"mean speedup {mean_speedup}")
    print(f"decode tok/s: planner {mean_rate(plans)} (plan) / {mean_rate(baselines)} (baseline), "
          f"expander {mean_rate(expansions)}; peak RSS {peak_mib:.0f} MiB")


if __name__ == "__main__":
    try:
        main()
    except HawkeyeError as exc:
        sys.exit(f"ask_latency.py: {exc.one_line()}")
