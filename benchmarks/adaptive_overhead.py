"""What the adaptive stop's probes cost: the seconds spent probing as a share of the planner's time (thinking +
probes), at the default round length, on the tiny planner, in one run. Target: at most 10 %.

Usage: python benchmarks/adaptive_overhead.py [--profile tiny] [--questions 5] [--data FILE.jsonl] [--effort LEVEL]
       [--max-budget N] [--smoke]

Each question is planned with `--budget auto` (or the effort level given): the planner thinks in rounds and is
probed after each. A probe evaluates its own tokens on top of the cached thinking and writes a few; the share is
what that costs against thinking itself. Prints one line per question (rounds, stop reason, thinking and probe
tokens and seconds) and the total share. Questions come from GSM8K's test set (default: ../shared/data/gsm8k);
--smoke plans one bundled question under a cap of two rounds, to check that the script runs (CI).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from hawkeye_cli.backends.base import Sampling
from hawkeye_cli.backends.settings import BackendSettings, LlamaCppSettings
from hawkeye_cli.budget import AUTO, EFFORTS, parse_budget
from hawkeye_cli.errors import HawkeyeError
from hawkeye_cli.evaluation.datasets import load_dataset
from hawkeye_cli.evaluation.tasks import GSM8K
from hawkeye_cli.loading import LoadedModels, choose_pair
from hawkeye_cli.pipeline import DecodeSettings
from hawkeye_cli.store.registry import load_registry

DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "gsm8k" / "test.jsonl"
SMOKE_QUESTION = ("Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
                  "How many clips did Natalia sell altogether in April and May?")
TARGET = 0.10
SMOKE_CAP = 128
"""Two rounds of the default 64 tokens: seconds, not minutes."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="tiny")
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--data", type=Path, help=f"GSM8K JSONL (default: {DEFAULT_DATA.resolve()})")
    parser.add_argument("--effort", choices=EFFORTS, help="An effort level instead of auto.")
    parser.add_argument("--max-budget", type=int, help="The cap (default: the profile's).")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--smoke", action="store_true", help="One question, a cap of two rounds.")
    args = parser.parse_args()

    pair = choose_pair(load_registry(), profile=args.profile)
    settings = DecodeSettings.of(pair.profile, sampling=Sampling(), budget=parse_budget(args.effort or AUTO),
                                 max_budget=SMOKE_CAP if args.smoke else args.max_budget, max_tokens=16)
    if args.smoke:
        questions = [SMOKE_QUESTION]
    else:
        questions = [problem.question for problem in load_dataset(GSM8K, args.data or DEFAULT_DATA).problems]
        questions = questions[: args.questions]
    collaboration = LoadedModels(BackendSettings(llama_cpp=LlamaCppSettings(threads=args.threads))).collaboration(pair)
    thinking = probing = 0.0
    rows: list[dict[str, Any]] = []
    for index, question in enumerate(questions):
        plan = collaboration.plan(question, settings)
        probes = plan.probe_stage.completion if plan.probe_stage else None
        think_seconds, probe_seconds = plan.stage.completion.seconds, probes.seconds if probes else 0.0
        thinking += think_seconds
        probing += probe_seconds
        row: dict[str, Any] = {"question": index, "stop": plan.stop, "rounds": len(plan.probes),
               "thinking_tokens": plan.stage.completion.completion_tokens,
               "probe_tokens": {"evaluated": probes.prompt_tokens if probes else 0,
                                "written": probes.completion_tokens if probes else 0},
               "thinking_seconds": round(think_seconds, 3), "probe_seconds": round(probe_seconds, 3)}
        rows.append(row)
        print(f"#{index}: {row['rounds']} probes, stop {plan.stop}, thinking {row['thinking_tokens']} tok "
              f"{think_seconds:.2f}s, probes {row['probe_tokens']['evaluated']}+{row['probe_tokens']['written']} tok "
              f"{probe_seconds:.2f}s", flush=True)
    share = probing / (thinking + probing) if thinking + probing > 0 else 0.0
    verdict = "within" if share <= TARGET else "over"
    print(f"probes took {share:.1%} of the planner's time at rounds of {getattr(settings.budget, 'round_tokens', '?')} "
          f"tokens ({verdict} the {TARGET:.0%} target)")
    print(json.dumps({"profile": pair.profile.name, "budget": args.effort or AUTO, "cap": settings.max_budget,
                      "probe_share": round(share, 4), "target": TARGET, "questions": rows}))


if __name__ == "__main__":
    try:
        main()
    except HawkeyeError as exc:
        sys.exit(f"adaptive_overhead.py: {exc.one_line()}")
