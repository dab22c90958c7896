"""`hawkeye compress-cot` end to end through the CLI: files, stdin/stdout, bad lines, resume, SFT, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import Result

from cli_runner import run_hawkeye
from hawkeye_cli.compression.filter import FilterCompressor

TRACES = Path(__file__).parent / "data" / "traces.jsonl"
FAST = ["--threads", "1", "--ctx", "1024"]
ADDED = {"cot_compressed", "cot_tokens", "cot_kept_tokens", "cot_ratio", "compression"}


def run(*args: str, input: str | None = None) -> Result:
    return run_hawkeye("compress-cot", *args, *FAST, input=input)


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_filter_writes_each_record_with_its_compression(tmp_path: Path) -> None:
    out = tmp_path / "concise.jsonl"
    result = run(str(TRACES), "-o", str(out), "--ratio", "0.35")
    assert result.exit_code == 0, result.output
    originals = [json.loads(line) for line in TRACES.read_text(encoding="utf-8").splitlines()]
    written = records(out)
    assert len(written) == len(originals)
    for original, record in zip(originals, written, strict=True):
        assert set(record) == set(original) | ADDED
        assert {k: record[k] for k in original} == original
        meta = record["compression"]
        assert meta["method"] == "filter" and meta["target_ratio"] == 0.35
        assert meta["tokenizer"] == "smollm2-135m-instruct" and meta["answer_kept"] is True
        assert record["cot_ratio"] == pytest.approx(record["cot_kept_tokens"] / record["cot_tokens"], abs=1e-4)
    assert [r["compression"]["line"] for r in written] == [1, 2, 3, 4, 5, 6]
    assert "compress-cot · filter" in result.stdout and "6 compressed" in result.stdout


def test_bad_lines_are_skipped_by_number_or_fail_with_strict(tmp_path: Path) -> None:
    lines = TRACES.read_text(encoding="utf-8").splitlines()
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join([*lines[:2], '{"question": "cut', *lines[2:], '{"cot": "no question"}']) + "\n",
                      encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run(str(broken), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "line 3 skipped: malformed JSON" in result.stderr
    assert "line 8 skipped: missing field 'question'" in result.stderr
    assert "2 skipped" in result.stdout and "line 3" in result.stdout
    assert [r["compression"]["line"] for r in records(out)] == [1, 2, 4, 5, 6, 7]

    strict_out = tmp_path / "strict.jsonl"
    result = run(str(broken), "-o", str(strict_out), "--strict")
    assert result.exit_code == 1
    assert f"{broken} line 3: malformed JSON" in result.stderr
    assert len(records(strict_out)) == 2  # what came before the bad line stays written


def test_a_rerun_appends_only_the_missing_records(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    assert run(str(TRACES), "-o", str(out), "--limit", "2").exit_code == 0
    with out.open("a", encoding="utf-8") as handle:
        handle.write('{"question": "Natalia sold", "co')  # a run killed mid-line
    result = run(str(TRACES), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "half-written last line" in result.stderr
    assert "4 compressed · 2 already in the output" in result.stdout
    assert [r["compression"]["line"] for r in records(out)] == [1, 2, 3, 4, 5, 6]
    again = run(str(TRACES), "-o", str(out))
    assert "0 compressed · 6 already in the output" in again.stdout
    assert len(records(out)) == 6


def test_another_method_does_not_resume_into_the_same_file(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    assert run(str(TRACES), "-o", str(out), "--limit", "1").exit_code == 0
    result = run(str(TRACES), "-o", str(out), "--method", "surprisal")
    assert result.exit_code == 1 and "written with --method filter" in result.stderr


def test_stdin_to_stdout() -> None:
    result = run("-", "--limit", "2", input=TRACES.read_text(encoding="utf-8"))
    assert result.exit_code == 0, result.output
    written = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["compression"]["line"] for r in written] == [1, 2]
    assert "compress-cot · filter" in result.stderr  # the summary keeps out of the data


def test_export_sft_writes_chat_records(tmp_path: Path) -> None:
    out, sft = tmp_path / "out.jsonl", tmp_path / "sft.jsonl"
    result = run(str(TRACES), "-o", str(out), "--export-sft", str(sft))
    assert result.exit_code == 0, result.output
    exported = records(sft)
    assert len(exported) == 6
    for record, row in zip(records(out), exported, strict=True):
        user, assistant = row["messages"]
        assert user == {"role": "user", "content": record["question"]}
        assert assistant["role"] == "assistant"
        head, response = assistant["content"].split("\n</think>\n\n")
        assert head == "<think>\n" + record["cot_compressed"]
        assert response and response in record["cot"] + record.get("response", "")


def test_json_summary(tmp_path: Path) -> None:
    summary = tmp_path / "summary.json"
    result = run(str(TRACES), "-o", str(tmp_path / "out.jsonl"), "--ratios", "0.2,0.5", "--json", "--summary",
                 str(summary))
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert json.loads(summary.read_text(encoding="utf-8")) == document
    assert document["method"] == "filter" and document["records"]["compressed"] == 6
    assert [r["target"] for r in document["ratios"]] == [0.2, 0.5]
    assert all(r["records"] == 6 and abs(r["ratio"] - r["target"]) <= 0.05 for r in document["ratios"])
    assert document["ratios"][0]["accuracy_vs_gold"] is None  # not verified


@pytest.mark.parametrize(
    "args",
    [
        ["--plot", "curve.png"],
        ["--ratios", "0.2,abc"],
        ["--ratios", "0.2,1.5"],
        ["--ratios", "0.2,0.5", "--export-sft", "sft.jsonl"],
        ["--export-sft", "-"],
        ["--json"],
        ["--method", "magic"],
        ["--ratio", "0"],
        ["--effort", "low"],  # nothing plans here: the adaptive options would be ignored, so they are not taken
        ["--max-budget", "64"],
        ["--stop-when", "agree"],
        ["--on-disagree", "resume"],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    assert run(str(TRACES), *args).exit_code == 2


def test_missing_input_exits_1(tmp_path: Path) -> None:
    result = run(str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "out.jsonl"))
    assert result.exit_code == 1 and "cannot read" in result.stderr


def test_ctrl_c_stops_cleanly_keeping_what_was_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    compress = FilterCompressor.compress

    def interrupted_on_the_third(self: FilterCompressor, *args: object) -> object:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return compress(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(FilterCompressor, "compress", interrupted_on_the_third)
    out = tmp_path / "out.jsonl"
    result = run(str(TRACES), "-o", str(out))
    assert result.exit_code == 130
    assert "interrupted" in result.stdout and "2 compressed" in result.stdout
    assert len(records(out)) == 2


@pytest.mark.slow
def test_surprisal_reports_scoring_speed(tmp_path: Path) -> None:
    result = run(str(TRACES), "-o", str(tmp_path / "out.jsonl"), "--method", "surprisal", "--limit", "2")
    assert result.exit_code == 0, result.output
    assert "compress-cot · surprisal" in result.stdout and "tokens (smollm2-135m-instruct)" in result.stdout
    assert "tokens/s" in result.stdout and "2 compressed" in result.stdout


@pytest.mark.slow
def test_verify_draws_the_redundancy_curve(tmp_path: Path) -> None:
    out, plot = tmp_path / "curve.jsonl", tmp_path / "curve.png"
    result = run("-", "-o", str(out), "--verify", "--ratios", "0.35,1.0", "--plot", str(plot), "--json",
                 "--max-tokens", "24", input="\n".join(TRACES.read_text(encoding="utf-8").splitlines()[4:]))
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    for point in document["ratios"]:
        assert point["records"] == 2
        assert point["accuracy_vs_gold"]["n"] == 2 and point["agreement_with_cot"]["n"] == 2
    assert document["ratios"][1]["ratio"] == 1.0
    assert plot.read_bytes().startswith(b"\x89PNG")
    written = records(out)
    assert len(written) == 4  # two records at two ratios
    for record in written:
        check = record["verify"]
        assert check["gold"] == record["answer"] and check["cot_answer"] == record["answer"]
        assert 0 < check["expander_tokens"] <= 24
