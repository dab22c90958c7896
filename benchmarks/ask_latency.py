"""Latency, throughput and memory of `hawkeye ask --compare` with both models loaded once.

Usage: python benchmarks/ask_latency.py [--profile tiny] [--questions 3] [--budget N]

Prints per question the seconds of each stage, and at the end the mean speedup of hawkeye (plan + expand) over
the planner's full CoT, decode throughput per model, load time and peak resident memory.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

from hawkeye_cli.engine import EngineSettings, choose_pair, load_collaboration
from hawkeye_cli.pipeline import DecodeSettings
from hawkeye_cli.registry import load_registry

QUESTIONS = [
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
    "How many clips did Natalia sell altogether?",
    "Weng earns $12 an hour for babysitting. Yesterday, she just did 50 minutes of babysitting. How much did she earn?",
    "Betty is saving money for a new wallet which costs $100. Betty has only half of the money she needs. Her parents "
    "decided to give her $15 for that purpose, and her grandparents twice as much as her parents. How much more money "
    "does Betty need to buy the wallet?",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="tiny")
    parser.add_argument("--questions", type=int, default=3)
    parser.add_argument("--budget", type=int)
    args = parser.parse_args()

    pair = choose_pair(load_registry(), profile=args.profile)
    started = time.perf_counter()
    collaboration = load_collaboration(
        pair, EngineSettings(), DecodeSettings(max_tokens=pair.profile.max_tokens)
    )
    load_seconds = time.perf_counter() - started
    budget = args.budget or pair.profile.budget
    speedups, plan_tps, expand_tps, baseline_tps = [], [], [], []
    for question in QUESTIONS[: args.questions]:
        result = collaboration.ask(question, budget, compare=True)
        assert result.baseline is not None and result.savings is not None
        speedups.append(result.savings.speedup)
        plan_tps.append(result.plan.tokens_per_second)
        expand_tps.append(result.expansion.tokens_per_second)
        baseline_tps.append(result.baseline.stage.tokens_per_second)
        print(
            f"plan {result.plan.completion_tokens:4d} tok {result.plan.seconds:6.2f}s | "
            f"expand {result.expansion.completion_tokens:4d} tok {result.expansion.seconds:6.2f}s | "
            f"baseline {result.baseline.stage.completion_tokens:4d} tok {result.baseline.stage.seconds:6.2f}s | "
            f"speedup {result.savings.speedup:.2f}x, cost saved {result.savings.cost:.0%}"
        )
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"profile {pair.profile.name}: load {load_seconds:.2f}s, mean speedup {statistics.mean(speedups):.2f}x")
    print(
        f"decode tok/s: planner {statistics.mean(plan_tps):.1f} (plan) / {statistics.mean(baseline_tps):.1f} "
        f"(baseline), expander {statistics.mean(expand_tps):.1f}; peak RSS {peak_mib:.0f} MiB"
    )


if __name__ == "__main__":
    main()
