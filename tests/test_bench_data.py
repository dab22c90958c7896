"""Dataset loading: local JSONL, the hub's parquet through a fake hub and its cache, fast offline failures."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cli_runner import Hawkeye
from fakehub import FakeHub, block_network, closed_port_url, point_hub_at, set_hf_offline
from hawkeye_cli.errors import DataError, HubError
from hawkeye_cli.evaluation.datasets import ProblemFields, load_dataset, read_jsonl, read_parquet
from hawkeye_cli.evaluation.tasks import GSM8K, MATH500

pytest_plugins = ("fakehub",)

PROBLEMS = [
    {"question": "Natalia sold 48 clips in April and half as many in May. How many in total?",
     "answer": "48/2 = <<48/2=24>>24\n48+24 = <<48+24=72>>72\n#### 72"},
    {"question": "A shirt costs $1,200 and is 25% off. What is the price?", "answer": "1200*0.75=900\n#### 900"},
    {"question": "It was 5 degrees and fell 8. What is it now?", "answer": "5-8=-3\n#### -3"},
]


def write_jsonl(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def write_parquet(path: Path, rows: list[dict[str, str]]) -> Path:
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def test_jsonl_problems_are_indexed_with_gold_answers(tmp_path: Path) -> None:
    path = tmp_path / "test.jsonl"
    path.write_text(json.dumps(PROBLEMS[0]) + "\n\n" + json.dumps(PROBLEMS[1]) + "\n", encoding="utf-8")
    dataset = read_jsonl(path, GSM8K, ProblemFields.of(GSM8K))
    assert dataset.source == str(path)
    assert [(p.index, p.gold) for p in dataset.problems] == [(0, "72"), (1, "900")]
    assert dataset.problems[0].question_sha != dataset.problems[1].question_sha


def test_selection_by_offset_and_limit(tmp_path: Path) -> None:
    dataset = read_jsonl(write_jsonl(tmp_path / "test.jsonl", PROBLEMS), GSM8K, ProblemFields.of(GSM8K))
    assert [p.index for p in dataset.select(1, 1)] == [1]
    assert [p.index for p in dataset.select(1, None)] == [1, 2]
    assert [p.index for p in dataset.select(0, 99)] == [0, 1, 2]
    with pytest.raises(DataError, match="--offset 3 is past the end"):
        dataset.select(3, None)


@pytest.mark.parametrize(
    ("second_line", "message"),
    [
        ('{"question": "q", "answer": ', "line 2: invalid JSON"),
        ('{"question": "q"}', "line 2: needs string fields 'question' and 'answer'"),
        ('["q", "#### 1"]', "line 2: needs string fields"),
        ('{"question": "q", "answer": "no marker"}', "line 2: the answer is neither '#### N' nor a number"),
    ],
)
def test_a_malformed_line_names_file_and_line(tmp_path: Path, second_line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(PROBLEMS[0]) + "\n" + second_line + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=message) as caught:
        read_jsonl(path, GSM8K, ProblemFields.of(GSM8K))
    assert str(path) in caught.value.message


def test_missing_or_empty_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot read"):
        read_jsonl(tmp_path / "nope.jsonl", GSM8K, ProblemFields.of(GSM8K))
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(DataError, match="holds no problems"):
        read_jsonl(tmp_path / "empty.jsonl", GSM8K, ProblemFields.of(GSM8K))


def test_parquet_rows_are_problems(tmp_path: Path) -> None:
    dataset = read_parquet(write_parquet(tmp_path / "test.parquet", PROBLEMS), GSM8K, source="test.parquet")
    assert [p.gold for p in dataset.problems] == ["72", "900", "-3"]
    (tmp_path / "junk.parquet").write_bytes(b"not parquet")
    with pytest.raises(DataError, match="cannot read GSM8K parquet"):
        read_parquet(tmp_path / "junk.parquet", GSM8K, source="junk")


def test_hub_download_then_cache_without_network(
    fake_hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_hub.add(f"datasets/{GSM8K.hub_repo}", GSM8K.hub_file, write_parquet(tmp_path / "test.parquet", PROBLEMS))
    dataset = load_dataset(GSM8K)
    assert dataset.source == f"hf:{GSM8K.hub_repo}/{GSM8K.hub_file}"
    assert [p.gold for p in dataset.problems] == ["72", "900", "-3"]
    assert fake_hub.count("GET") == 1
    attempts = block_network(monkeypatch)
    assert load_dataset(GSM8K).problems == dataset.problems
    assert attempts == []


def test_unreachable_hub_fails_fast_and_names_data_option(hf_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    point_hub_at(monkeypatch, closed_port_url())
    started = time.monotonic()
    with pytest.raises(HubError) as caught:
        load_dataset(GSM8K)
    assert time.monotonic() - started < 3
    assert "--data FILE.jsonl" in caught.value.one_line()


def test_offline_mode_fails_at_once(hf_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    set_hf_offline(monkeypatch)
    attempts = block_network(monkeypatch)
    with pytest.raises(HubError, match="not in the Hugging Face cache"):
        load_dataset(GSM8K)
    assert attempts == []


def test_cli_offline_error_is_one_line_before_any_model_loads(
    hf_cache: Path, monkeypatch: pytest.MonkeyPatch, hawkeye: Hawkeye
) -> None:
    point_hub_at(monkeypatch, closed_port_url())
    result = hawkeye("bench", "gsm8k", "--profile", "tiny", "--out", str(hf_cache.parent / "out"))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: GSM8K") and "--data FILE.jsonl" in lines[0]


MATH_DATA = Path(__file__).parent / "data" / "math500-tiny.jsonl"


def test_math500_from_the_hub_jsonl_keeps_latex_golds(fake_hub: FakeHub) -> None:
    fake_hub.add(f"datasets/{MATH500.hub_repo}", MATH500.hub_file, MATH_DATA)
    dataset = load_dataset(MATH500)
    assert dataset.source == "hf:HuggingFaceH4/MATH-500/test.jsonl"
    assert [p.gold for p in dataset.problems] == ["\\frac{5}{6}", "3, -3", "(2, \\infty)"]
    assert dataset.problems[0].question.startswith("What is $\\frac{1}{2}")


def test_data_with_other_field_names(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "mine.jsonl", [{"prompt": "1+1?", "target": "2"}])
    dataset = load_dataset(MATH500, path, ProblemFields.of(MATH500, "prompt", "target"))
    assert [(p.question, p.gold) for p in dataset.problems] == [("1+1?", "2")]
    with pytest.raises(DataError, match="line 1: needs string fields 'problem' and 'answer'"):
        load_dataset(MATH500, path)
