"""Latency as serving benchmarks report it: time to first token (TTFT) and per-item latency at p50 / p90 / p99 per
mode, in bench's table and JSON (`vllm bench serve` reports the same percentiles, by numpy.percentile)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cli_runner import run_hawkeye
from hawkeye_cli.evaluation.metrics import Latency, summarize
from hawkeye_cli.evaluation.results import ItemResult, Mode, read_results
from hawkeye_cli.scoring.verdict import Verdict

PROBLEMS = [
    {"question": "Natalia sold 48 clips in April and half as many in May. How many clips in total?",
     "answer": "48/2 = <<48/2=24>>24\n48+24 = <<48+24=72>>72\n#### 72"},
    {"question": "Weng earns $12 an hour. She did 50 minutes of babysitting. How much did she earn?",
     "answer": "12/60 = <<12/60=0.2>>0.2\n0.2*50 = <<0.2*50=10>>10\n#### 10"},
]


def stage(seconds: float, first_token: float) -> dict[str, Any]:
    return {"model": "m", "completion_tokens": 4, "prompt_seconds": first_token, "seconds": seconds,
            "finish_reason": "eos", "cost": 0.0}


def row(index: int, mode: Mode, stages: dict[str, dict[str, Any]]) -> ItemResult:
    return ItemResult(index=index, mode=mode, budget=8 if mode == "hawkeye" else None, planner="p", expander="e",
                      seed=0, temperature=0.0, max_tokens=16, question_sha="", gold="1",
                      verdict=Verdict(correct=True, answer="1", strict="1", flexible="1", correct_strict=True,
                                      correct_flexible=True), stages=stages,
                      cot_tokens=None, truncated=None, seconds=sum(s["seconds"] for s in stages.values()))


def test_percentiles_interpolate_linearly_as_numpy_percentile() -> None:
    """numpy.percentile(range(1, 11), [50, 90, 99]) is [5.5, 9.1, 9.91]; one item is every percentile."""
    assert Latency.of([float(n) for n in range(10, 0, -1)]) == pytest.approx(Latency(5.5, 9.1, 9.91))
    assert Latency.of([2.5]) == Latency(2.5, 2.5, 2.5)


def test_ttft_is_the_first_token_of_the_answer_in_each_mode() -> None:
    baseline = [row(i, "baseline", {"baseline": stage(seconds, seconds / 10)})
                for i, seconds in enumerate([1.0, 2.0, 3.0, 4.0, 10.0])]
    hawkeye = [row(0, "hawkeye", {"plan": stage(2.0, 0.5), "probe": stage(0.3, 0.1), "expand": stage(1.0, 0.2)}),
               row(1, "hawkeye", {"plan": stage(4.0, 0.5), "expand": stage(2.0, 0.5)})]
    solo = [row(0, "expander", {"solo": stage(1.5, 0.25)})]
    summaries = {s.mode: s for s in summarize([*baseline, *hawkeye, *solo])}

    assert summaries["baseline"].ttft == pytest.approx(Latency(0.3, 0.76, 0.976))
    assert summaries["baseline"].latency == pytest.approx(Latency(3.0, 7.6, 9.76))
    # the expander starts answering after the whole plan: 2.0 + 0.3 + 0.2 and 4.0 + 0.5
    assert summaries["hawkeye"].ttft == pytest.approx(Latency(3.5, 4.3, 4.48))
    assert summaries["hawkeye"].latency == pytest.approx(Latency(4.65, 5.73, 5.973))
    assert summaries["expander"].ttft == Latency(0.25, 0.25, 0.25)


@pytest.mark.slow
def test_a_real_bench_reports_ttft_and_latency_in_its_json_and_an_80_column_table(tmp_path: Path) -> None:
    data, out = tmp_path / "gsm8k.jsonl", tmp_path / "results"
    data.write_text("".join(json.dumps(p) + "\n" for p in PROBLEMS), encoding="utf-8")
    result = run_hawkeye("bench", "gsm8k", "--data", str(data), "--out", str(out), "--profile", "tiny",
                                      "--limit", "2", "--modes", "baseline,hawkeye", "--budget", "8", "--max-tokens",
                                      "16", "--threads", "2", "--ctx", "2048", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert "TTFT: seconds to the first token of the answer" in document["latency_definition"]
    rows = read_results(out / "gsm8k.jsonl")
    for summary in document["summaries"]:
        mine = [r for r in rows if r.mode == summary["mode"]]
        assert summary["n"] == len(mine) == 2
        first_tokens = sorted(r.first_token_seconds for r in mine)
        assert summary["ttft"] == pytest.approx({"p50": sum(first_tokens) / 2,  # two items: numpy's interpolation
                                                 "p90": first_tokens[0] + 0.9 * (first_tokens[1] - first_tokens[0]),
                                                 "p99": first_tokens[0] + 0.99 * (first_tokens[1] - first_tokens[0])})
        assert summary["latency"]["p50"] == pytest.approx(sum(r.model_seconds for r in mine) / 2)
        assert all(summary["ttft"][p] < summary["latency"][p] for p in ("p50", "p90", "p99"))
    for r in rows:
        if r.mode == "hawkeye":  # the answer's first token comes after the whole plan
            assert r.first_token_seconds > r.stages["plan"]["seconds"] + r.stages["expand"]["prompt_seconds"] - 1e-9
        else:
            assert r.first_token_seconds == pytest.approx(r.stages["baseline"]["prompt_seconds"])

    table = subprocess.run([sys.executable, "-m", "hawkeye_cli", "bench", "report", str(out)], capture_output=True,
                           text=True, encoding="utf-8", timeout=120, env={**os.environ, "COLUMNS": "80"})
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert max(map(len, lines)) <= 80 and "…" not in table.stdout
    header = next(i for i, line in enumerate(lines) if "TTFT" in line and "latency" in line)
    assert lines[header + 1].split() == ["mode", "p50", "p90", "p99", "p50", "p90", "p99"]
    for mode in ("baseline", "hawkeye@8"):
        cells = next(line for line in lines[header:] if line.split()[:1] == [mode]).split()[1:]
        summary = next(s for s in document["summaries"] if s["label"] == mode)
        assert cells == [f"{summary[m][p]:.2f}" for m in ("ttft", "latency") for p in ("p50", "p90", "p99")]
