"""Bench results without models: the JSONL store (append, resume, torn lines) and the metrics on hand-made rows."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from hawkeye_cli.errors import DataError
from hawkeye_cli.evaluation.metrics import mean_stderr, summarize
from hawkeye_cli.evaluation.results import BenchResults, ItemResult, Mode, read_results
from hawkeye_cli.scoring.verdict import Verdict


def as_line(result: ItemResult) -> str:
    """A row as BenchResults writes it."""
    return json.dumps(result.to_dict(), ensure_ascii=False)

def stage(name: str, tokens: int, seconds: float, cost: float, model: str = "planner-7b") -> dict[str, Any]:
    return {"stage": name, "model": model, "text": "…", "prompt_tokens": 10, "completion_tokens": tokens,
            "prompt_seconds": 0.01, "seconds": seconds, "tokens_per_second": tokens / seconds,
            "finish_reason": "eos", "cost": cost}


def row(index: int, mode: Mode = "baseline", *, correct: bool = True, seconds: float = 1.0, tokens: int = 100,
        cot_tokens: int | None = None, cost: float = 1.0, budget: int | None = None, flexible: bool | None = None,
        planner: str = "planner-7b", seed: int = 0) -> ItemResult:
    """A row as the runner writes it; hawkeye rows split tokens, seconds and cost between plan and expand."""
    if mode == "hawkeye":
        plan = cot_tokens if cot_tokens is not None else tokens // 2
        stages = {"plan": stage("plan", plan, seconds / 2, cost / 2, planner),
                  "expand": stage("expand", tokens - plan, seconds / 2, cost / 2, "small")}
    elif mode == "expander":
        stages = {"solo": stage("solo", tokens, seconds, cost, "small")}
    else:
        stages = {"baseline": stage("baseline", tokens, seconds, cost, planner)}
    return ItemResult(
        index=index, mode=mode, budget=budget, planner=planner, expander="small", seed=seed, temperature=0.0,
        max_tokens=512, question_sha=f"q{index}", gold="7",
        verdict=Verdict(correct=correct, answer="7" if correct else None, strict="7" if correct else None,
                        flexible="7", correct_strict=correct,
                        correct_flexible=correct if flexible is None else flexible),
        stages=stages,
        cot_tokens=cot_tokens if mode != "expander" else None, truncated=None, seconds=seconds,
    )


# --- metrics ---------------------------------------------------------------------------------------------------


def test_stderr_is_lm_evals_sample_stderr_of_the_mean() -> None:
    scores = [1.0, 0.0, 1.0, 1.0, 0.0]
    p, n = 0.6, 5
    assert mean_stderr(scores) == pytest.approx(math.sqrt(p * (1 - p) / (n - 1)))
    assert mean_stderr([1.0, 1.0]) == 0.0
    assert mean_stderr([1.0]) is None


def test_accuracy_speedup_cot_ratio_and_cost_saving() -> None:
    rows = [
        row(0, "baseline", correct=True, seconds=4.0, tokens=200, cot_tokens=20, cost=2.0),
        row(1, "baseline", correct=False, seconds=6.0, tokens=400, cot_tokens=40, cost=4.0, flexible=True),
        row(0, "hawkeye", budget=16, correct=True, seconds=1.0, tokens=50, cot_tokens=7, cost=0.5),
        row(1, "hawkeye", budget=16, correct=True, seconds=3.0, tokens=60, cot_tokens=14, cost=1.0),
        # a problem the baseline never ran: counted in accuracy, left out of every comparison
        row(2, "hawkeye", budget=16, correct=False, seconds=100.0, tokens=999, cot_tokens=999, cost=99.0),
    ]
    baseline, hawkeye = summarize(rows)
    assert (baseline.label, hawkeye.label) == ("baseline", "hawkeye@16")
    assert baseline.n == 2 and baseline.accuracy.value == 0.5 and baseline.flexible.value == 1.0
    assert baseline.accuracy.stderr == pytest.approx(math.sqrt(0.25 / 1))
    assert baseline.speedup == 1.0 and baseline.cost_saving == 0.0 and baseline.cot_ratio is None
    assert hawkeye.n == 3 and hawkeye.accuracy.value == pytest.approx(2 / 3)
    assert hawkeye.speedup == pytest.approx(10.0 / 4.0)
    assert hawkeye.cot_ratio == pytest.approx(21 / 60)  # the paper's "35 %"
    assert hawkeye.cost_saving == pytest.approx(1 - 1.5 / 6.0)
    assert hawkeye.mean_seconds == pytest.approx(104 / 3) and hawkeye.total_seconds == pytest.approx(104.0)


def test_token_stats_per_stage() -> None:
    rows = [row(i, "hawkeye", budget=8, tokens=t, cot_tokens=c) for i, (t, c) in enumerate([(10, 4), (30, 8), (50, 9)])]
    (summary,) = summarize(rows)
    assert set(summary.stages) == {"plan", "expand"}
    assert (summary.stages["plan"].mean, summary.stages["plan"].median) == (7.0, 8.0)
    assert (summary.stages["expand"].mean, summary.stages["expand"].median) == (pytest.approx(23.0), 22.0)
    assert summary.stages["expand"].model == "small"
    assert summary.mean_tokens == 30.0


def test_without_baseline_there_is_nothing_to_compare() -> None:
    (summary,) = summarize([row(0, "expander"), row(1, "expander")])
    assert summary.speedup is None and summary.cost_saving is None and summary.cot_ratio is None


def test_groups_are_ordered_and_kept_apart_by_models_and_seed() -> None:
    rows = [row(0, "expander"), row(0, "hawkeye", budget=256), row(0, "hawkeye", budget=64), row(0, "baseline"),
            row(0, "baseline", seed=1), row(0, "baseline", planner="other")]
    labels = [(s.planner, s.seed, s.label) for s in summarize(rows)]
    assert labels == [
        ("other", 0, "baseline"),
        ("planner-7b", 0, "baseline"),
        ("planner-7b", 0, "hawkeye@64"),
        ("planner-7b", 0, "hawkeye@256"),
        ("planner-7b", 0, "expander"),
        ("planner-7b", 1, "baseline"),
    ]


# --- the JSONL store -------------------------------------------------------------------------------------------


def test_store_appends_and_a_new_store_knows_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "out" / "gsm8k.jsonl"
    with BenchResults(path) as store:
        store.append(row(0))
        store.append(row(1, "expander"))
    assert path.read_text().count("\n") == 2
    with BenchResults(path) as store:
        assert row(0).key in store and row(1, "expander").key in store and row(1).key not in store
    assert read_results(path) == [row(0), row(1, "expander")]


def test_a_torn_last_line_is_skipped_and_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "gsm8k.jsonl"
    whole = as_line(row(0)) + "\n"
    path.write_text(whole + as_line(row(1))[:50])  # a crash in the middle of writing row 1
    assert read_results(path) == [row(0)]
    with BenchResults(path) as store:
        assert row(1).key not in store
        store.append(row(1))
    assert path.read_text() == whole + as_line(row(1)) + "\n"


def test_a_complete_last_line_without_newline_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "gsm8k.jsonl"
    path.write_text(as_line(row(0)))
    with BenchResults(path) as store:
        store.append(row(1))
    assert read_results(path) == [row(0), row(1)]


def test_a_bad_line_before_the_end_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "gsm8k.jsonl"
    path.write_text(as_line(row(0)) + "\n{not json\n" + as_line(row(1)) + "\n")
    with pytest.raises(DataError, match=r"gsm8k\.jsonl line 2"):
        read_results(path)
    path.write_text(json.dumps({"index": 0}) + "\n")
    with pytest.raises(DataError, match="line 1: not a hawkeye bench result"):
        BenchResults(path)


def test_a_duplicated_row_counts_once(tmp_path: Path) -> None:
    path = tmp_path / "gsm8k.jsonl"
    first, again = row(0, seconds=1.0), row(0, seconds=2.0)
    path.write_text(as_line(first) + "\n" + as_line(again) + "\n")
    with BenchResults(path) as store:
        assert store.rows == {first.key: first}
    assert read_results(path) == [first]


def test_missing_results_say_how_to_make_them(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no results at"):
        read_results(tmp_path / "gsm8k.jsonl")
