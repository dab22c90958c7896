"""Two benchmarks in one --out keep one summary each: OUT/gsm8k.summary.json and OUT/math500.summary.json, where
one OUT/summary.json held only the last; `bench report` still reports both."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli_runner import Hawkeye, run_hawkeye
from scripted_models import Answering, scripted_models


@pytest.fixture(autouse=True)
def answering() -> Iterator[None]:
    with scripted_models(Answering("#### 5 so \\boxed{5}")):
        yield


def bench(benchmark: str, data: Path, out: Path) -> dict:
    result = run_hawkeye("bench", benchmark, "--data", str(data), "--out", str(out), "--profile",
                         "tiny", "--modes", "expander", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_each_benchmark_keeps_its_summary(tmp_path: Path, hawkeye: Hawkeye) -> None:
    gsm8k = tmp_path / "gsm8k.jsonl"
    gsm8k.write_text(json.dumps({"question": "What is 2 + 3?", "answer": "#### 5"}) + "\n")
    math500 = tmp_path / "math500.jsonl"
    math500.write_text("".join(json.dumps({"problem": f"What is {n} + 3?", "answer": str(n + 3)}) + "\n"
                               for n in (2, 4)))
    out = tmp_path / "out"

    first, second = bench("gsm8k", gsm8k, out), bench("math500", math500, out)

    assert json.loads((out / "gsm8k.summary.json").read_text()) == first
    assert json.loads((out / "math500.summary.json").read_text()) == second
    assert (first["benchmark"], first["problems"]["count"]) == ("gsm8k", 1)
    assert (second["benchmark"], second["problems"]["count"]) == ("math500", 2)
    assert not (out / "summary.json").exists()

    report = hawkeye("bench", "report", str(out))
    assert report.exit_code == 0, report.output
    assert "GSM8K" in report.stdout and "MATH-500" in report.stdout
