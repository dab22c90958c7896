"""bench with the adaptive stop among its budgets: rows with their stop reason, probes and agreement; per mode the
planner and probe tokens, the stop reasons, the share of answers where planner and expander agree and the accuracy
on each side, in the JSON and the table. On the real tiny models (mechanics, not accuracy)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_runner import run_hawkeye
from hawkeye_cli.evaluation.results import read_results

pytestmark = pytest.mark.slow

PROBLEMS = [
    {"question": "Tom has 3 apples and buys 5 more. How many apples does he have?", "answer": "3 + 5 = 8\n#### 8"},
    {"question": "A box holds 4 pens. How many pens are in 3 boxes?", "answer": "4 * 3 = 12\n#### 12"},
]
FAST = ["--max-tokens", "16", "--max-budget", "64", "--ctx", "2048", "--threads", "2"]


@pytest.fixture(scope="module")
def benched(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("bench-adaptive")
    data = folder / "gsm8k.jsonl"
    data.write_text("".join(json.dumps(problem) + "\n" for problem in PROBLEMS), encoding="utf-8")
    out = folder / "out"
    result = run_hawkeye("bench", "gsm8k", "--data", str(data), "--out", str(out), "--modes",
                                      "hawkeye", "--budgets", "8,auto,low", "--json", *FAST)
    assert result.exit_code == 0, result.output
    return out, json.loads(result.stdout)


def test_rows_say_why_the_planner_stopped_and_whether_the_models_agree(benched: tuple[Path, dict]) -> None:
    out, _ = benched
    rows = read_results(out / "gsm8k.jsonl")
    assert sorted({row.label for row in rows}) == ["hawkeye@8", "hawkeye@auto", "hawkeye@low"]
    for row in rows:
        assert row.stop in ("ended", "converged", "budget", "cap") and row.probes and row.probes >= 1
        assert "probe" in row.stages and row.agree in (True, False, None)
        assert row.cap == (None if row.budget == 8 else 64 if row.budget == "auto" else 32)


def test_summaries_report_probe_tokens_stops_and_agreement(benched: tuple[Path, dict]) -> None:
    _, document = benched
    summaries = {summary["label"]: summary for summary in document["summaries"]}
    assert list(summaries) == ["hawkeye@8", "hawkeye@low", "hawkeye@auto"]  # fixed, then adaptive by cap
    for summary in summaries.values():
        assert set(summary["stages"]) >= {"plan", "probe", "expand"}
        assert sum(summary["stops"].values()) == summary["n"] == 2
        assert summary["stages"]["probe"]["mean"] >= 1
    assert summaries["hawkeye@8"]["stages"]["plan"]["mean"] <= 8
    assert summaries["hawkeye@low"]["stages"]["plan"]["mean"] <= 32


def test_the_table_shows_the_stops_and_the_agreement(benched: tuple[Path, dict],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    out, _ = benched
    monkeypatch.setenv("COLUMNS", "100")
    result = run_hawkeye("bench", "report", str(out))
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "Why the planner stopped, and whether the two models agree" in text
    assert "hawkeye@auto" in text and "probe (planner)" in text


def test_resuming_with_another_max_budget_is_refused(benched: tuple[Path, dict], tmp_path: Path) -> None:
    out, _ = benched
    data = tmp_path / "gsm8k.jsonl"
    data.write_text("".join(json.dumps(problem) + "\n" for problem in PROBLEMS), encoding="utf-8")
    result = run_hawkeye("bench", "gsm8k", "--data", str(data), "--out", str(out), "--modes",
                                      "hawkeye", "--budgets", "auto", "--max-budget", "128", "--max-tokens", "16")
    assert result.exit_code == 1
    assert "hawkeye@auto results made with --max-budget 64" in " ".join(result.output.split())
