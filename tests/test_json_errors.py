"""--json documents carry `version`, and a failure is a document too: `{"version": 1, "error": {"code", "message",
"fix"}}` on stdout with the exit code of the failure (the line on stderr stays); a failure after results were made
joins their document as its `error`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from cli_runner import Hawkeye, run_hawkeye
from scripted_models import Answering, scripted_models


def document(result: Result) -> dict[str, Any]:
    parsed = json.loads(result.stdout)  # one document, nothing else on stdout
    assert next(iter(parsed)) == "version" and parsed["version"] == 1
    return parsed


def test_every_document_opens_with_its_version(tmp_path: Path, hawkeye: Hawkeye) -> None:
    data = tmp_path / "outputs.jsonl"
    data.write_text('{"response": "\\\\boxed{5}", "answer": "5"}\n')
    for args in (["models", "--json"], ["score", str(data), "--json"]):
        result = hawkeye(*args)
        assert result.exit_code == 0, result.output
        assert "error" not in document(result)


def test_a_failure_is_a_document_with_the_same_exit_code(tmp_path: Path, hawkeye: Hawkeye) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")

    result = hawkeye("score", str(empty), "--json")

    assert result.exit_code == 1
    assert document(result) == {"version": 1, "error": {
        "code": "data_error", "message": f"{empty} is empty: it holds no records",
        "fix": "give a JSONL file with one JSON object per line"}}
    assert result.stderr.startswith(f"error: {empty} is empty")


def test_each_kind_of_failure_has_its_code(tmp_path: Path, hawkeye: Hawkeye) -> None:
    missing = tmp_path / "missing.jsonl"
    cases = [
        (["compress-cot", "report", str(missing), "--json"], 1, "data_error"),
        (["ask", "What is 2 + 3?", "--profile", "tiny", "--ctx", "100000000", "--gpu-layers", "0", "--json"], 1,
         "out_of_memory"),
        (["ask", "What is 2 + 3?", "--profile", "nonesuch", "--json"], 1, "registry_error"),
    ]
    for args, exit_code, code in cases:
        result = hawkeye(*args)
        assert result.exit_code == exit_code, result.output
        assert document(result)["error"]["code"] == code, args


@pytest.mark.parametrize("args", [
    ["ask", "What is 2 + 3?", "--stream", "--json"],
    ["score", "outputs.jsonl", "--task", "aime", "--json"],
    ["models", "--json", "--nonesuch"],
], ids=["bad combination", "bad value", "no such option"])
def test_usage_errors_are_documents_too(args: list[str], hawkeye: Hawkeye) -> None:
    result = hawkeye(*args)

    assert result.exit_code == 2
    error = document(result)["error"]
    assert error["code"] == "usage_error" and error["message"]
    assert error["fix"] == f"see: hawkeye {args[0]} --help"


def test_usage_errors_without_json_stay_as_typer_prints_them(hawkeye: Hawkeye) -> None:
    result = hawkeye("models", "--nonesuch")
    assert result.exit_code == 2 and result.stdout == "" and "No such option" in result.stderr


# --- failures after a document was made: bench ------------------------------------------------------------------


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "data.jsonl"
    path.write_text("".join(json.dumps({"question": f"What is {n} + {n}?", "answer": f"#### {2 * n}"}) + "\n"
                            for n in (1, 2, 3)))
    return path


def bench(data: Path, out: Path) -> Result:
    return run_hawkeye("bench", "gsm8k", "--data", str(data), "--out", str(out), "--profile", "tiny", "--modes",
                       "expander", "--json")


def test_a_plot_that_cannot_be_written_joins_the_summary_as_its_error(
    data: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    with scripted_models(Answering(meanwhile=lambda: (out / "gsm8k.png").mkdir(exist_ok=True))):
        result = bench(data, out)

    assert result.exit_code == 1
    summary = document(result)
    assert [s["label"] for s in summary["summaries"]] == ["expander"]
    assert summary["error"] == {"code": "output_error", "message": f"cannot write {out / 'gsm8k.png'}: Is a directory",
                                "fix": "use --out with a writable folder"}


def test_ctrl_c_is_a_document_that_says_how_to_resume(
    data: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    with scripted_models(Answering(interrupt_at=2)):
        result = bench(data, out)

    assert result.exit_code == 130
    error = document(result)["error"]
    assert error["code"] == "interrupted"
    assert error["message"] == f"interrupted · 1 of 3 results saved in {out / 'gsm8k.jsonl'}"
    assert error["fix"].startswith("resume with: hawkeye bench gsm8k ") and f"--data {data}" in error["fix"]
