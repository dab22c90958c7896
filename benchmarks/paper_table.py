"""The paper's table, measured here: the planner alone, hawkeye at the profile's budget, at fixed budgets and
`auto`, and the expander alone, on GSM8K and MATH-500, with accuracy ± stderr, CoT share, end-to-end speedup and
cost saving (each against the planner alone on the same problems, in the same run), and the agreement signal.

Usage: python benchmarks/paper_table.py [--profile small] [--gsm8k 200] [--math500 100] [--budgets 64,128,auto]
       [--out paper-table/] [--threads N] [--no-resume] [--report] [--smoke]

It runs `hawkeye bench gsm8k` and `hawkeye bench math500` (one process each, models loaded once, results saved
as each item finishes: run it again and it resumes), then reads their results files and prints one Markdown
table per benchmark. Every hawkeye row runs with the default `--on-disagree planner`; the `keep` row is the same
run scored on the expander's own answer, so what acting on disagreement recovers costs no second run. The
`resume` row reruns `auto` with `--on-disagree resume` (skipped by --no-resume; without that row, the report says
on how many `auto` rows it could act). --report prints the tables from the results already in --out, without
running anything: also from runs split over several processes, whose results folders are OUT/gsm8k-* and
OUT/math500-* beside OUT/gsm8k and OUT/math500.

Target (issue: a pair that can do the math): hawkeye at the profile's budget within 3 points of the planner
alone on GSM8K, with at most 50 % of its CoT tokens (plan and probes) and at least 1.4x faster end to end; the
expander alone at least 15 points below hawkeye. Each is printed as held or missed, with by how much.

Data: GSM8K's test set and the MATH-500 problems of the R1 traces, from ../shared/data (what the hub would
give where it cannot be reached); --smoke runs 2 bundled problems of each on the tiny profile with 16-token
stages, to check that the script runs (CI).
"""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hawkeye_cli.evaluation.results import ItemResult, read_results
from hawkeye_cli.pipeline.probing import BY_THE_RULE
from hawkeye_cli.scoring.verdict import score

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared" / "data"
DATA = {"gsm8k": (SHARED / "gsm8k" / "test.jsonl", "question", "answer"),
        "math500": (SHARED / "cot-traces" / "r1-distill-qwen-7b_math500.jsonl", "question", "answer")}
SMOKE_DATA = {"gsm8k": (ROOT / "tests" / "data" / "gsm8k-quality.jsonl", "question", "answer"),
              "math500": (ROOT / "tests" / "data" / "math500-tiny.jsonl", "problem", "answer")}
TARGETS = {"accuracy_points": 3.0, "cot_share": 0.50, "speedup": 1.4, "expander_gap_points": 15.0}


@dataclass(frozen=True)
class Row:
    label: str
    n: int
    accuracy: float
    stderr: float | None
    cot_tokens: float | None
    cot_share: float | None
    seconds: float
    speedup: float | None
    cost_saving: float | None
    agree_share: float | None = None
    accuracy_agreeing: str = ""
    accuracy_disagreeing: str = ""


def stderr(hits: Sequence[bool]) -> float | None:
    """lm-eval's standard error of a mean of 0/1 scores: sqrt(p(1-p)/(n-1))."""
    if len(hits) < 2:
        return None
    return statistics.stdev([float(hit) for hit in hits]) / math.sqrt(len(hits))


def cot_tokens(row: ItemResult) -> int:
    """The planner's chain of thought: the baseline's whole thinking, or hawkeye's plan and probes."""
    if row.mode == "baseline":
        return row.cot_tokens or 0
    return sum(row.stages[stage]["completion_tokens"] for stage in ("plan", "probe") if stage in row.stages)


def rate(hits: Sequence[bool]) -> str:
    return f"{statistics.fmean(hits):.0%} of {len(hits)}" if hits else "—"


def table_row(label: str, rows: list[ItemResult], baseline: dict[int, ItemResult],
              correct: list[bool] | None = None) -> Row:
    """One method's row; speedup, CoT share and cost saving over the problems the baseline also ran."""
    hits = correct if correct is not None else [row.correct for row in rows]
    paired = [(row, baseline[row.index]) for row in rows if row.index in baseline]
    mine = [row for row, _ in paired]
    theirs = [base for _, base in paired]
    planned = rows[0].mode != "expander" if rows else False
    cot_share = sum(map(cot_tokens, mine)) / max(1, sum(map(cot_tokens, theirs))) if planned and paired else None
    speedup = sum(r.model_seconds for r in theirs) / sum(r.model_seconds for r in mine) if paired else None
    saving = 1 - sum(r.cost for r in mine) / sum(r.cost for r in theirs) if paired else None
    compared = [(row, hit) for row, hit in zip(rows, hits, strict=True) if row.agree is not None]
    agreeing = [hit for row, hit in compared if row.agree]
    disagreeing = [hit for row, hit in compared if not row.agree]
    return Row(label, len(rows), statistics.fmean(hits), stderr(hits),
               statistics.fmean(map(cot_tokens, rows)) if planned else None, cot_share,
               statistics.fmean(r.model_seconds for r in rows), speedup, saving,
               len(agreeing) / len(compared) if compared else None,
               rate(agreeing), rate(disagreeing))


def expander_correct(row: ItemResult) -> bool:
    """The expander's own answer, also where the planner's answered (--on-disagree keep would have kept it)."""
    if row.answered_by != "planner":
        return row.correct
    return score(row.stages["expand"]["text"], row.gold).correct


def rows_of(results: list[ItemResult], resumed: list[ItemResult], default: str) -> list[Row]:
    ok = [row for row in results if row.error is None]
    baseline = {row.index: row for row in ok if row.mode == "baseline"}
    labels = sorted({row.label for row in ok if row.mode == "hawkeye"},
                    key=lambda label: (label != f"hawkeye@{default}", label))
    table = [table_row("planner alone", list(baseline.values()), baseline)]
    for label in labels:
        rows = [row for row in ok if row.label == label]
        name = f"{label} (default)" if label == f"hawkeye@{default}" else label
        table.append(table_row(name, rows, baseline))
        table.append(table_row(f"{label}, --on-disagree keep", rows, baseline, [expander_correct(r) for r in rows]))
    if resumed:
        rows = [row for row in resumed if row.error is None and row.mode == "hawkeye"]
        table.append(table_row(f"{rows[0].label}, --on-disagree resume", rows, baseline))
    solo = [row for row in ok if row.mode == "expander"]
    if solo:
        table.append(table_row("expander alone", solo, baseline))
    return table


def markdown(title: str, rows: list[Row]) -> str:
    lines = [f"### {title}", "",
             "| method | n | accuracy | CoT tokens (share) | s/item | speedup | cost saving | agree | right when "
             "agreeing | right when disagreeing |", "|" + " --- |" * 10]
    for row in rows:
        accuracy = f"{row.accuracy:.1%}" + (f" ± {row.stderr:.1%}" if row.stderr is not None else "")
        cot = "—" if row.cot_tokens is None else f"{row.cot_tokens:.0f}" + (
            f" ({pct(row.cot_share)})" if row.cot_share is not None and row.label != "planner alone" else "")
        speedup = "—" if row.speedup is None or row.label == "planner alone" else f"{row.speedup:.2f}x"
        saving = "—" if row.cost_saving is None or row.label == "planner alone" else f"{row.cost_saving:+.0%}"
        lines.append(f"| {row.label} | {row.n} | {accuracy} | {cot} | {row.seconds:.1f} | {speedup} | {saving} | "
                     f"{pct(row.agree_share)} | {row.accuracy_agreeing or '—'} | {row.accuracy_disagreeing or '—'} |")
    return "\n".join(lines)


def verdicts(rows: list[Row]) -> list[str]:
    """The targets, held or missed, for the default row against the planner alone and the expander alone."""
    by_label = {row.label.removesuffix(" (default)"): row for row in rows}
    default = next(row for row in rows if row.label.endswith("(default)"))
    base, solo = by_label["planner alone"], by_label.get("expander alone")
    loss = (base.accuracy - default.accuracy) * 100
    checks = [(f"accuracy within {TARGETS['accuracy_points']:.0f} points of the planner alone",
               loss <= TARGETS["accuracy_points"], f"{-loss:+.1f} points"),
              (f"at most {TARGETS['cot_share']:.0%} of its CoT tokens",
               default.cot_share is not None and default.cot_share <= TARGETS["cot_share"], pct(default.cot_share)),
              (f"at least {TARGETS['speedup']}x faster end to end",
               default.speedup is not None and default.speedup >= TARGETS["speedup"], f"{default.speedup or 0:.2f}x")]
    if solo is not None:
        gap = (default.accuracy - solo.accuracy) * 100
        checks.append((f"the expander alone at least {TARGETS['expander_gap_points']:.0f} points below",
                       gap >= TARGETS["expander_gap_points"], f"{gap:.1f} points below"))
    return [f"- {'held' if held else 'MISSED'}: {what} ({measured})" for what, held, measured in checks]


def resumable(results: list[ItemResult]) -> str | None:
    """What `--on-disagree resume` could change, read from the adaptive rows: it acts only where the adaptive rule
    stopped the planner (not where its plan ended by itself) and the expander then disagreed."""
    adaptive = [row for row in results if row.error is None and row.mode == "hawkeye" and isinstance(row.budget, str)]
    if not adaptive:
        return None
    by_rule = [row for row in adaptive if row.stop in BY_THE_RULE]
    return (f"- --on-disagree resume acts where the adaptive rule stopped the planner and the expander disagreed: "
            f"{sum(row.agree is False for row in by_rule)} of {len(adaptive)} adaptive rows "
            f"({len(by_rule)} stopped by the rule, {sum(row.stop == 'ended' for row in adaptive)} ended by themselves)")


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def bench(benchmark: str, out: Path, args: argparse.Namespace, *extra: str) -> list[ItemResult]:
    """`hawkeye bench` in a process of its own; its results rows."""
    data, question, answer = (SMOKE_DATA if args.smoke else DATA)[benchmark]
    limit = 2 if args.smoke else getattr(args, benchmark)
    command = [sys.executable, "-m", "hawkeye_cli", "bench", benchmark, "--data", str(data), "--question-field",
               question, "--answer-field", answer, "--limit", str(limit), "--profile", args.profile,
               "--out", str(out), *extra]
    if args.smoke:
        command += ["--max-tokens", "16", "--max-budget", "32"]
    if args.threads:
        command += ["--threads", str(args.threads)]
    print("$", " ".join(command[2:]), file=sys.stderr, flush=True)
    done = subprocess.run(command, stdout=subprocess.DEVNULL, check=False)
    if done.returncode != 0:
        sys.exit(done.returncode)
    return read_results(out / f"{benchmark}.jsonl")


def saved(out: Path, name: str) -> list[ItemResult]:
    """The results of OUT/NAME and of the runs beside it that split its problems (OUT/NAME-a, …; not -resume)."""
    stem = name.removesuffix("-resume")
    folders = [out / name] if name != stem else [
        out / name, *(folder for folder in sorted(out.glob(f"{name}-*")) if not folder.name.endswith("-resume"))]
    return [row for folder in folders if (folder / f"{stem}.jsonl").is_file()
            for row in read_results(folder / f"{stem}.jsonl")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="small")
    parser.add_argument("--gsm8k", type=int, default=200, help="GSM8K problems (0 skips it).")
    parser.add_argument("--math500", type=int, default=100, help="MATH-500 problems (0 skips it).")
    parser.add_argument("--budgets", default="64,128,auto", help="Budgets besides the profile's.")
    parser.add_argument("--out", type=Path, help="Results folder (default: paper-table/; --smoke: a temporary one).")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--no-resume", action="store_true", help="Skip the --on-disagree resume row.")
    parser.add_argument("--report", action="store_true", help="Print the tables of the results in --out; run nothing.")
    parser.add_argument("--smoke", action="store_true", help="2 bundled problems each, tiny profile, 16 tokens.")
    args = parser.parse_args()
    if args.smoke:
        args.profile, args.budgets = "tiny", "8,auto"
    from hawkeye_cli.store.registry import load_registry

    default = str(load_registry().profile(args.profile).budget)
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) if args.smoke else (args.out or ROOT / "paper-table")
        for benchmark, title in (("gsm8k", "GSM8K"), ("math500", "MATH-500")):
            if not args.smoke and getattr(args, benchmark) == 0:
                continue
            if args.report:
                results, resumed = saved(out, benchmark), saved(out, f"{benchmark}-resume")
                if not results:
                    continue
            else:
                budgets = ",".join(dict.fromkeys([default, *args.budgets.split(",")]))
                results = bench(benchmark, out / benchmark, args, "--budgets", budgets)
                resumed = [] if args.no_resume else bench(benchmark, out / f"{benchmark}-resume", args, "--budget",
                                                          "auto", "--modes", "hawkeye", "--on-disagree", "resume")
            rows = rows_of(results, resumed, default)
            print(markdown(f"{title}, profile {args.profile}", rows))
            if not resumed and (could := resumable(results)):
                print(could)
            print("\n".join(["", *verdicts(rows), ""]))


if __name__ == "__main__":
    main()
