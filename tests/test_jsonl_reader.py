"""One JSONL reader for every file: lines end at b"\\n" only (a raw U+2028 stays inside its string), a UTF-8 byte
order mark opening a file is skipped, line numbers count every line; through bench --data, score, compress-cot
and a bench results file."""

from __future__ import annotations

import codecs
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli_runner import Hawkeye
from hawkeye_cli.evaluation.results import read_results
from hawkeye_cli.jsonl import jsonl_lines
from scripted_models import Answering, scripted_models

SEPARATORS = "\u2028\u2029\x0c\x1c\x85\r"
"""What str.splitlines() splits at besides \\n; json.dumps(ensure_ascii=False) writes the first two raw."""
QUESTION = f"Natalia sold 48 clips in April{SEPARATORS}and half as many in May. How many clips in total?"
BOM = codecs.BOM_UTF8


def jsonl(path: Path, rows: list[dict[str, str]], *, bom: bool = False) -> Path:
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    path.write_bytes((BOM if bom else b"") + text.encode("utf-8"))
    return path


def test_lines_end_at_newlines_only_and_keep_their_numbers() -> None:
    raw = BOM + b'{"a": "x\xe2\x80\xa8y"}\r\n\n  \n{"b": 2}\n{"c": 3'
    lines = list(jsonl_lines(io.BytesIO(raw)))
    assert [(line.number, line.terminated) for line in lines] == [(1, True), (4, True), (5, False)]
    assert lines[0].value() == {"a": "x\u2028y"}
    assert [line.end for line in lines] == [raw.index(b"\r\n") + 1, raw.index(b'{"b"') + 8, len(raw)]


def test_a_bom_is_skipped_only_where_a_file_starts() -> None:
    lines = list(jsonl_lines(io.BytesIO(b'{"a": 1}\n' + BOM + b'{"b": 2}\n')))
    with pytest.raises(json.JSONDecodeError, match="BOM"):
        lines[1].value()


@pytest.fixture
def answering() -> Iterator[None]:
    with scripted_models(Answering("48 + 24 = 72 #### 72")):
        yield


@pytest.mark.parametrize("bom", [False, True], ids=["plain", "bom"])
def test_bench_reads_every_problem_of_such_a_file(tmp_path: Path, answering: None, bom: bool, hawkeye: Hawkeye) -> None:
    rows = [{"question": QUESTION, "answer": "#### 72"}, {"question": "What is 2 + 3?", "answer": "#### 5"}]
    data = jsonl(tmp_path / "data.jsonl", rows, bom=bom)
    out = tmp_path / "out"

    result = hawkeye("bench", "gsm8k", "--data", str(data), "--out", str(out), "--profile", "tiny",
                     "--modes", "expander", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["problems"] == {"offset": 0, "count": 2}
    assert sorted(row.index for row in read_results(out / "gsm8k.jsonl")) == [0, 1]


def test_a_results_file_with_a_bom_reads_and_resumes(tmp_path: Path, answering: None, hawkeye: Hawkeye) -> None:
    data = jsonl(tmp_path / "data.jsonl", [{"question": QUESTION, "answer": "#### 72"}])
    out = tmp_path / "out"
    args = ["bench", "gsm8k", "--data", str(data), "--out", str(out), "--profile", "tiny", "--modes", "expander"]
    assert hawkeye(*args).exit_code == 0
    results = out / "gsm8k.jsonl"
    results.write_bytes(BOM + results.read_bytes())  # as an editor that saved it may leave it

    again = hawkeye(*args)

    assert again.exit_code == 0, again.output
    assert "1 results already in" in again.stderr  # nothing run again
    assert results.read_bytes().startswith(BOM) and len(read_results(results)) == 1


@pytest.mark.parametrize("bom", [False, True], ids=["plain", "bom"])
def test_score_scores_every_record_of_such_a_file(tmp_path: Path, bom: bool, hawkeye: Hawkeye) -> None:
    rows = [{"response": f"So{SEPARATORS} \\boxed{{72}}", "answer": "72"}, {"response": "\\boxed{5}", "answer": "5"}]
    data = jsonl(tmp_path / "outputs.jsonl", rows, bom=bom)

    result = hawkeye("score", str(data), "--json")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert (document["n"], document["skipped"], document["accuracy"]["value"]) == (2, 0, 1.0)
    assert result.stderr == ""


@pytest.mark.parametrize("bom", [False, True], ids=["plain", "bom"])
def test_compress_cot_compresses_every_record_of_such_a_file(tmp_path: Path, bom: bool, hawkeye: Hawkeye) -> None:
    traces = [json.loads(line) for line in (Path(__file__).parent / "data" / "traces.jsonl").read_text().splitlines()]
    traces[0]["cot"] = traces[0]["cot"].replace("\n", "\u2028", 1)
    data = jsonl(tmp_path / "traces.jsonl", traces[:2], bom=bom)
    out = tmp_path / "concise.jsonl"

    result = hawkeye("compress-cot", str(data), "-o", str(out), "--threads", "1", "--ctx", "1024")

    assert result.exit_code == 0, result.output
    assert "skipped" not in result.stderr
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").split("\n") if line]
    assert [record["compression"]["line"] for record in written] == [1, 2]
    assert written[0]["cot"] == traces[0]["cot"]  # the U+2028 inside it, not a line break
