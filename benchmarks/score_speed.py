"""Speed and agreement of `hawkeye score` on recorded reasoning traces.

Usage: python benchmarks/score_speed.py [--data TRACES.jsonl] [--output-field response] [--gold-field answer]
       [--smoke]

--data defaults to ../shared/data/cot-traces/r1-distill-qwen-7b_math500.jsonl (120 DeepSeek-R1-Distill-Qwen-7B
traces on MATH-500, relative to the repository root). Reports records/s of the whole command (a fresh process:
start-up, Math-Verify's child process, reading, scoring, writing verdicts) and of scoring alone (in this process,
child already started, caches cold), then accuracy by Math-Verify, lm-eval strict-match and flexible-extract,
and, where the records carry a `correct` flag, that flag's accuracy and how often Math-Verify agrees with it.
--smoke runs on the tests' own fixture (tests/data/math500-tiny.jsonl, its `solution` field as the output) in
seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hawkeye_cli.evaluation.score_file import Scored, score_file
from hawkeye_cli.scoring.verdict import score

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT / ".." / "shared" / "data" / "cot-traces" / "r1-distill-qwen-7b_math500.jsonl"
SMOKE_DATA = ROOT / "tests" / "data" / "math500-tiny.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--output-field", default="response")
    parser.add_argument("--gold-field", default="answer")
    parser.add_argument("--smoke", action="store_true", help="The tests' fixture, in seconds; no ../shared needed.")
    args = parser.parse_args()
    data, output_field = (SMOKE_DATA, "solution") if args.smoke else (args.data, args.output_field)

    with tempfile.TemporaryDirectory() as scratch:
        verdicts = Path(scratch) / "verdicts.jsonl"
        command = [sys.executable, "-m", "hawkeye_cli", "score", str(data), "--output-field", output_field,
                   "--gold-field", args.gold_field, "--json", "--out", str(verdicts)]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"),
                                                                         os.environ.get("PYTHONPATH")]))}
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
        command_seconds = time.perf_counter() - started
        document = json.loads(done.stdout)
        rows = [json.loads(line) for line in verdicts.read_text(encoding="utf-8").splitlines()]

    score("\\boxed{1}", "1")  # starts Math-Verify's child process, outside the timing (and its caches stay cold)
    started = time.perf_counter()
    rescored = [r for r in score_file(data, output_field, args.gold_field, "math") if isinstance(r, Scored)]
    scoring_seconds = time.perf_counter() - started
    assert len(rescored) == len(rows) == document["n"]

    n = document["n"]
    print(f"{data} · {n} records scored, {document['skipped']} skipped")
    print(f"hawkeye score, whole command: {command_seconds:.2f} s, {n / command_seconds:.0f} records/s")
    print(f"scoring alone (warm):         {scoring_seconds:.2f} s, {n / scoring_seconds:.0f} records/s")
    for name, key in (("Math-Verify", "accuracy"), ("strict-match", "strict"), ("flexible-extract", "flexible")):
        print(f"accuracy, {name + ':':<18}{document[key]['value']:6.1%}")
    flags = _flags(data)
    if len(flags) == n:
        agree = sum(row["correct"] == flags[row["line"]] for row in rows) / n
        print(f"accuracy, {'`correct` flags:':<18}{sum(flags.values()) / n:6.1%}")
        print(f"Math-Verify agrees with the flags on {agree:.1%} of records")


def _flags(data: Path) -> dict[int, bool]:
    """Line number -> the record's own `correct` flag, for records that have one."""
    flags = {}
    for number, line in enumerate(data.read_text(encoding="utf-8").splitlines(), start=1):
        record = json.loads(line) if line.strip() else None
        if isinstance(record, dict) and isinstance(record.get("correct"), bool):
            flags[number] = record["correct"]
    return flags


if __name__ == "__main__":
    main()
