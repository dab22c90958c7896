"""`hawkeye bench gsm8k` and `report` through the CLI: resume, Ctrl-C, report, sweeps, and a real tiny-model run.

Most tests swap the loaded models for scripted backends (fast, exact call counts); the last one runs the real
tiny models through llama.cpp.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from cli_runner import Hawkeye, run_hawkeye
from conftest import ScriptedBackend, ScriptedDriver
from hawkeye_cli import backends
from hawkeye_cli.backends import GgufDriver
from hawkeye_cli.backends.base import Backend, Completion, Request, Session
from hawkeye_cli.backends.settings import BackendSettings
from hawkeye_cli.evaluation.results import read_results
from hawkeye_cli.store.registry import ModelSpec

PLANNER, EXPANDER = "gemma3-270m", "smollm2-135m-instruct"  # the tiny profile: both shipped on PyPI

PROBLEMS = [
    {"question": "Natalia sold 48 clips in April and half as many in May. How many clips in total?",
     "answer": "48/2 = <<48/2=24>>24\n48+24 = <<48+24=72>>72\n#### 72"},
    {"question": "Weng earns $12 an hour. She did 50 minutes of babysitting. How much did she earn?",
     "answer": "12/60 = <<12/60=0.2>>0.2\n0.2*50 = <<0.2*50=10>>10\n#### 10"},
    {"question": "Betty needs $100. She has half, her parents give $15 and grandparents twice that. "
                 "How much more does she need?", "answer": "100/2=50\n15*2=30\n100-50-30-15=5\n#### 5"},
]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "gsm8k-test.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in PROBLEMS), encoding="utf-8")
    return path


class Answering(ScriptedBackend):
    """Answers every prompt with the same words; `interrupt_at` raises KeyboardInterrupt on that call (1-based)."""

    def __init__(self, answer: str, interrupt_at: int | None = None) -> None:
        super().__init__([], name="answering")
        self.answer = answer
        self.interrupt_at = interrupt_at

    def complete(self, request: Request, on_text: Callable[[str], None] | None = None) -> Completion:
        if len(self.prompts) + 1 == self.interrupt_at:
            raise KeyboardInterrupt
        self.outputs = [self.answer]
        return super().complete(request, on_text)

    def session(self, request: Request) -> Session:
        """The planner's thinking (a plan) answers the same words."""
        if len(self.prompts) + 1 == self.interrupt_at:
            raise KeyboardInterrupt
        self.outputs = [self.answer]
        return super().session(request)


Models = tuple[Answering, Answering]


@pytest.fixture
def scripted_models() -> Iterator[Callable[..., Models]]:
    """Plug scripted planner/expander into the backend factory; returns them to count their calls."""
    with ExitStack() as installed:

        def install(planner: Answering | None = None, expander: Answering | None = None) -> Models:
            models = (planner or Answering("half of 48 is 24 , 48 + 24 = 72"),
                      expander or Answering("So 72 . #### 72"))
            driver = ScriptedDriver(lambda spec: models[0] if spec.alias == PLANNER else models[1])
            installed.enter_context(backends.registered("pypi", driver))
            return models

        yield install


def run_bench(data: Path, out: Path, *args: str) -> Result:
    return run_hawkeye("bench", "gsm8k", "--data", str(data), "--out", str(out), "--profile", "tiny",
                       "--budget", "4", *args)


def keys(out: Path) -> list[tuple[Any, ...]]:
    return [row.key for row in read_results(out / "gsm8k.jsonl")]


def calls(models: Sequence[Answering]) -> list[int]:
    return [len(m.prompts) for m in models]


def test_resume_computes_only_new_items(data: Path, tmp_path: Path, scripted_models: Callable[..., Models]) -> None:
    out = tmp_path / "results"
    first = scripted_models()
    result = run_bench(data, out, "--limit", "2")
    assert result.exit_code == 0, result.output
    assert calls(first) == [4, 4]  # per problem: planner baseline + plan, expander expand + solo
    assert len(keys(out)) == 6

    again = scripted_models()
    result = run_bench(data, out, "--limit", "3")
    assert result.exit_code == 0, result.output
    assert calls(again) == [2, 2]  # only problem #2
    assert len(keys(out)) == 9 == len(set(keys(out)))
    assert "6 results already in" in result.stderr


def test_nothing_left_to_do_loads_no_model(data: Path, tmp_path: Path, scripted_models: Callable[..., Models]) -> None:
    out = tmp_path / "results"
    scripted_models()
    assert run_bench(data, out, "--limit", "1").exit_code == 0
    with backends.registered("pypi", ScriptedDriver(lambda spec: pytest.fail("loaded models with nothing to do"))):
        result = run_bench(data, out, "--limit", "1")
    assert result.exit_code == 0, result.output
    assert "accuracy" in result.stdout


def test_a_torn_last_line_is_recomputed(data: Path, tmp_path: Path, scripted_models: Callable[..., Models]) -> None:
    out = tmp_path / "results"
    scripted_models()
    assert run_bench(data, out, "--limit", "2").exit_code == 0
    results = out / "gsm8k.jsonl"
    content = results.read_bytes()
    last_start = content.rstrip(b"\n").rfind(b"\n") + 1
    results.write_bytes(content[: last_start + 40])  # as if the process died while writing the last row

    again = scripted_models()
    result = run_bench(data, out, "--limit", "2")
    assert result.exit_code == 0, result.output
    assert calls(again) == [0, 1]  # the expander-alone row of problem #1, nothing else
    assert len(keys(out)) == 6 == len(set(keys(out)))
    assert all(line.startswith(b"{") for line in results.read_bytes().splitlines())


def test_ctrl_c_keeps_finished_rows_and_says_how_to_resume(
    data: Path, tmp_path: Path, scripted_models: Callable[..., Models]
) -> None:
    out = tmp_path / "results"
    scripted_models(planner=Answering("48 + 24 = 72", interrupt_at=3))  # problem #1's baseline
    result = run_bench(data, out, "--limit", "2", "--seed", "3")
    assert result.exit_code == 130
    assert len(keys(out)) == 3  # problem #0 in all three modes
    assert "interrupted" in result.stderr and "3 of 6 results saved" in result.stderr
    resume = result.stderr.split("resume with: ")[1].strip()
    assert resume.startswith("hawkeye bench gsm8k --data ") and "--limit 2" in resume and "--seed 3" in resume
    assert not (out / "gsm8k.summary.json").exists()

    again = scripted_models()
    result = run_bench(data, out, "--limit", "2", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert calls(again) == [2, 2]
    assert len(keys(out)) == 6 == len(set(keys(out)))


def test_run_writes_summary_and_plot_and_report_reprints_them(
    data: Path, tmp_path: Path, scripted_models: Callable[..., Models], hawkeye: Hawkeye
) -> None:
    out = tmp_path / "results"
    scripted_models()
    result = run_bench(data, out, "--limit", "3", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document == json.loads((out / "gsm8k.summary.json").read_text())
    assert document["dataset"] == str(data) and document["problems"] == {"offset": 0, "count": 3}
    assert "after '####'" in document["prompt"]["final_answer"]
    by_label = {s["label"]: s for s in document["summaries"]}
    assert list(by_label) == ["baseline", "hawkeye@4", "expander"]
    # lm-eval stderr: sqrt(p(1 - p) / (n - 1)) = sqrt((1/3)(2/3) / 2) = 1/3
    assert by_label["expander"]["accuracy"] == {"value": pytest.approx(1 / 3), "stderr": pytest.approx(1 / 3)}
    assert by_label["hawkeye@4"]["cot_ratio"] == pytest.approx(4 / 11)  # 4-token plan / 11-word full CoT
    plot = out / "gsm8k.png"
    assert plot.read_bytes().startswith(b"\x89PNG")

    plot.unlink()
    report = hawkeye("bench", "report", str(out))
    assert report.exit_code == 0, report.output
    assert "hawkeye@4" in report.stdout and "33.3% ± 33.3%" in report.stdout and "CoT kept" in report.stdout
    assert plot.read_bytes().startswith(b"\x89PNG")
    as_json = hawkeye("bench", "report", str(out), "--json")
    assert json.loads(as_json.stdout)["summaries"] == document["summaries"]


def test_report_of_an_empty_directory_is_a_clear_error(tmp_path: Path, hawkeye: Hawkeye) -> None:
    result = hawkeye("bench", "report", str(tmp_path))
    assert result.exit_code == 1 and "no results at" in result.output


def test_budget_sweep_and_mode_selection(
    data: Path, tmp_path: Path, scripted_models: Callable[..., Models], hawkeye: Hawkeye
) -> None:
    out = tmp_path / "results"
    models = scripted_models()
    result = hawkeye("bench", "gsm8k", "--data", str(data), "--out", str(out), "--profile", "tiny",
                     "--limit", "1", "--modes", "hawkeye", "--budgets", "8,2")
    assert result.exit_code == 0, result.output
    assert [(k[1], k[2]) for k in keys(out)] == [("hawkeye", 2), ("hawkeye", 8)]
    assert calls(models) == [2, 2]


@pytest.mark.parametrize(
    "args",
    [["--modes", "baseline,fast"], ["--modes", ""], ["--budgets", "64,x"], ["--budgets", "0"],
     ["--budget", "8", "--budgets", "16"]],
)
def test_bad_modes_or_budgets_are_usage_errors(data: Path, tmp_path: Path, args: list[str], hawkeye: Hawkeye) -> None:
    result = hawkeye("bench", "gsm8k", "--data", str(data), "--out", str(tmp_path), *args)
    assert result.exit_code == 2


@pytest.mark.slow
def test_real_tiny_models_end_to_end(data: Path, tmp_path: Path) -> None:
    loaded: list[str] = []

    class Counting(GgufDriver):
        def load(self, spec: ModelSpec, settings: BackendSettings) -> Backend:
            loaded.append(spec.alias)
            return super().load(spec, settings)

    with backends.registered("pypi", Counting()):
        _real_tiny_models_end_to_end(data, tmp_path, loaded)


def _real_tiny_models_end_to_end(data: Path, tmp_path: Path, loaded: list[str]) -> None:
    out = tmp_path / "results"
    args = ["bench", "gsm8k", "--data", str(data), "--out", str(out), "--limit", "2",
            "--modes", "baseline,hawkeye,expander", "--budget", "16", "--max-tokens", "48", "--seed", "0",
            "--temperature", "0", "--ctx", "2048", "--threads", "2", "--profile", "tiny"]
    result = run_hawkeye(*args)
    assert result.exit_code == 0, result.output
    assert loaded == ["gemma3-270m", "smollm2-135m-instruct"]  # once for the whole run
    rows = read_results(out / "gsm8k.jsonl")
    assert [(r.index, r.mode) for r in rows] == [(i, m) for i in (0, 1) for m in ("baseline", "hawkeye", "expander")]
    for r in rows:
        assert r.gold == ("72", "10")[r.index]
        verdict = r.verdict
        assert verdict.correct_strict == (verdict.strict == r.gold)
        assert verdict.correct_flexible == (verdict.flexible == r.gold)
        assert r.seconds >= r.model_seconds > 0
        assert all(0 < s["completion_tokens"] <= 48 for s in r.stages.values())
        if r.mode == "hawkeye":
            assert r.budget == 16 and r.stages["plan"]["completion_tokens"] <= 16 and r.cot_tokens is not None
    for name in ("accuracy", "strict", "flex", "speedup", "CoT kept", "cost saving"):
        assert name in result.stdout
    assert (out / "gsm8k.summary.json").is_file() and (out / "gsm8k.png").is_file()

    again = run_hawkeye(*args)  # same command: everything is resumed, nothing recomputed
    assert again.exit_code == 0 and loaded == ["gemma3-270m", "smollm2-135m-instruct"]
    assert read_results(out / "gsm8k.jsonl") == rows


def test_stages_cut_by_max_tokens_are_counted_and_savings_called_lower_bounds(
    data: Path, tmp_path: Path, scripted_models: Callable[..., Models]
) -> None:
    scripted_models()  # the planner writes 11 words, the expander 5: --max-tokens 4 cuts all but the 4-token plan
    out = tmp_path / "results"
    result = run_bench(data, out, "--limit", "3", "--max-tokens", "4")
    assert result.exit_code == 0, result.output
    line = " ".join(result.stdout.split())
    assert ("cut short at --max-tokens or the context: baseline 3/3, hawkeye@4 expand 3/3, expander 3/3; a full "
            "baseline would cost more, so speedups and cost savings are lower bounds") in line
    document = json.loads(run_bench(data, out, "--limit", "3", "--max-tokens", "4", "--json").stdout)
    cuts = {s["label"]: {stage: stats["cut"] for stage, stats in s["stages"].items()} for s in document["summaries"]}
    assert cuts == {"baseline": {"baseline": 3}, "hawkeye@4": {"plan": 3, "probe": 0, "expand": 3},
                    "expander": {"solo": 3}}
    uncut = run_bench(data, tmp_path / "uncut", "--limit", "3")  # the expander's 5 words fit; the plan is cut at 4
    assert uncut.exit_code == 0 and "cut short" not in uncut.stdout


def test_math500_prompts_ask_for_a_boxed_answer(
    tmp_path: Path, scripted_models: Callable[..., Models], hawkeye: Hawkeye
) -> None:
    """The task table's instruction reaches every answering prompt: \\boxed{} for MATH-500, never GSM8K's ####."""
    planner, expander = scripted_models(Answering("five sixths"), Answering("So \\boxed{\\frac{5}{6}}"))
    data = Path(__file__).parent / "data" / "math500-tiny.jsonl"
    result = hawkeye("bench", "math500", "--data", str(data), "--out", str(tmp_path / "out"),
                     "--limit", "1", "--profile", "tiny", "--budget", "4", "--json")
    assert result.exit_code == 0, result.output
    baseline, _plan = planner.prompts
    assert all("Put your final answer within \\boxed{}." in prompt for prompt in (baseline, *expander.prompts))
    assert not any("####" in prompt for prompt in (*planner.prompts, *expander.prompts))
    document = json.loads(result.stdout)
    assert document["prompt"]["final_answer"] == "Put your final answer within \\boxed{}."
    assert all(s["accuracy"]["value"] == 1.0 for s in document["summaries"] if s["label"] != "baseline")


@pytest.mark.slow
def test_math500_with_tiny_models_stores_all_three_verdicts(tmp_path: Path, hawkeye: Hawkeye) -> None:
    """`bench math500` is the same bench on the MATH-500 row of the table: mechanics, not accuracy."""
    data = Path(__file__).parent / "data" / "math500-tiny.jsonl"
    out = tmp_path / "results"
    result = hawkeye("bench", "math500", "--data", str(data), "--out", str(out), "--limit", "2",
                     "--max-tokens", "16", "--budget", "8", "--threads", "2", "--ctx", "2048",
                     "--profile", "tiny", "--json")
    assert result.exit_code == 0, result.output
    assert "MATH-500 #0 to #1 (2 problems)" in result.stderr
    rows = read_results(out / "math500.jsonl")
    assert [(r.index, r.mode) for r in rows] == [(i, m) for i in (0, 1) for m in ("baseline", "hawkeye", "expander")]
    assert [r.gold for r in rows[::3]] == ["\\frac{5}{6}", "3, -3"]
    # lm-eval's filters compare numbers only
    assert not any(r.verdict.correct_strict or r.verdict.correct_flexible for r in rows)
    document = json.loads(result.stdout)
    assert document["benchmark"] == "math500" and document["results"] == str(out / "math500.jsonl")
    assert {"accuracy", "strict", "flexible"} <= set(document["summaries"][0])
    assert (out / "math500.png").is_file() and not (out / "gsm8k.jsonl").exists()
    report = hawkeye("bench", "report", str(out))
    assert report.exit_code == 0 and "MATH-500 · planner" in report.stdout
