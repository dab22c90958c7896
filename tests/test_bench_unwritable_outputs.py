"""bench's result files that cannot be written: an unwritable --out is refused before any data or model loads, and a
summary or plot that cannot be written costs neither the table nor the other files, with one error line each."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import pytest
from typer.testing import Result

from cli_runner import Hawkeye, error_lines, run_hawkeye
from conftest import ScriptedDriver
from hawkeye_cli import backends
from hawkeye_cli.cli_support import bench_run
from scripted_models import Answering

QUESTION = "Natalia sold 48 clips in April and half as many in May. How many clips in total?"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "gsm8k.jsonl"
    path.write_text(json.dumps({"question": QUESTION, "answer": "48/2 = 24\n48+24 = 72\n#### 72"}) + "\n")
    return path


def use_scripted_models(request: pytest.FixtureRequest, meanwhile: Callable[[], object] | None = None) -> None:
    """Scripted planner and expander in the backend factory for the rest of the test; the expander calls `meanwhile()`
    before each answer (the disk changing during a run)."""
    planner, expander = Answering("48 + 24 = 72"), Answering("So 72 . #### 72", meanwhile=meanwhile)
    driver = ScriptedDriver(lambda spec: planner if spec.alias == "gemma3-270m" else expander)
    stack = ExitStack()
    stack.enter_context(backends.registered("pypi", driver))
    request.addfinalizer(stack.close)


def run_bench(data: Path, out: Path, *args: str) -> Result:
    return run_hawkeye("bench", "gsm8k", "--data", str(data), "--out", str(out), "--profile", "tiny", "--budget", "4",
                       "--modes", "hawkeye", *args)


def test_an_unwritable_out_fails_in_one_line_before_any_data_or_model_loads(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    monkeypatch.setattr(bench_run, "load_dataset", lambda *a: pytest.fail("read the data before checking --out"))
    use_scripted_models(request, meanwhile=lambda: pytest.fail("ran a model before checking --out"))
    blocker = tmp_path / "results"
    blocker.write_text("a file where the results folder should be")

    result = run_bench(data, blocker / "run1")

    assert result.exit_code == 1
    assert error_lines(result) == [
        f"error: cannot write {blocker / 'run1' / 'gsm8k.jsonl'}: {blocker} is a file, not a folder — "
        "use --out with a writable folder"
    ]
    assert len(result.stderr.splitlines()) == 1


def test_a_summary_that_cannot_be_written_loses_neither_the_table_nor_the_plot(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    out = tmp_path / "results"
    use_scripted_models(request, meanwhile=lambda: (out / "gsm8k.summary.json").mkdir(exist_ok=True))

    result = run_bench(data, out)

    assert result.exit_code == 1
    assert "hawkeye@4" in result.stdout and "accuracy" in result.stdout  # the table came first
    assert (out / "gsm8k.png").read_bytes().startswith(b"\x89PNG")
    assert error_lines(result) == [
        f"error: cannot write {out / 'gsm8k.summary.json'}: Is a directory — use --out with a writable folder"
    ]
    assert "Traceback" not in result.output


def test_each_output_that_fails_gets_its_own_line(data: Path, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    out = tmp_path / "results"

    def spoil() -> None:
        for name in ("gsm8k.summary.json", "gsm8k.png"):
            (out / name).mkdir(exist_ok=True)

    use_scripted_models(request, meanwhile=spoil)
    result = run_bench(data, out, "--json")

    assert result.exit_code == 1
    assert json.loads(result.stdout)["summaries"][0]["label"] == "hawkeye@4"
    assert [line.split(":")[1].strip() for line in error_lines(result)] == [
        "cannot write " + str(out / "gsm8k.summary.json"), "cannot write " + str(out / "gsm8k.png")]


def test_report_prints_the_table_even_when_the_plot_cannot_be_written(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest, hawkeye: Hawkeye,
) -> None:
    out = tmp_path / "results"
    use_scripted_models(request)
    assert run_bench(data, out).exit_code == 0
    (out / "gsm8k.png").unlink()
    (out / "gsm8k.png").mkdir()

    result = hawkeye("bench", "report", str(out))

    assert result.exit_code == 1
    assert "hawkeye@4" in result.stdout
    assert error_lines(result) == [f"error: cannot write {out / 'gsm8k.png'}: Is a directory — make {out} writable"]
