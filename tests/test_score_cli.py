"""`hawkeye score` through the CLI: the three metrics over a file, verdicts per record, bad lines, a missing file."""

from __future__ import annotations

import json
from pathlib import Path

from cli_runner import Hawkeye

RECORDS = [
    {"id": "a", "response": "So she earns \\boxed{\\$70,\\!000}.", "answer": "70000"},
    {"id": "b", "response": "The answer is $\\boxed{\\dfrac{5}{6}}$.", "answer": "\\frac{5}{6}"},
    {"id": "c", "response": "#### 12", "answer": "12"},
    {"id": "d", "response": "\\boxed{7}", "answer": "8"},
]


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_scores_a_file_with_all_three_metrics_and_writes_verdicts(tmp_path: Path, hawkeye: Hawkeye) -> None:
    data = write(tmp_path / "outputs.jsonl", [json.dumps(r) for r in RECORDS])
    verdicts = tmp_path / "verdicts.jsonl"
    result = hawkeye("score", str(data), "--output-field", "response", "--gold-field", "answer",
                     "--json", "--out", str(verdicts))
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["n"] == 4 and document["skipped"] == 0
    assert document["accuracy"]["value"] == 0.75  # Math-Verify: 70000, 5/6 and 12
    assert document["strict"]["value"] == 0.25  # lm-eval strict-match: only '#### 12' (\boxed{\$70,\!000} reads 70)
    rows = [json.loads(line) for line in verdicts.read_text().splitlines()]
    assert [(r["line"], r["correct"], r["correct_strict"]) for r in rows] == [
        (1, True, False), (2, True, False), (3, True, True), (4, False, False)
    ]
    table = hawkeye("score", str(data))
    assert table.exit_code == 0 and "Math-Verify" in table.stdout and "75.0% ± 25.0%" in table.stdout


def test_gsm8k_golds_may_be_solutions(tmp_path: Path, hawkeye: Hawkeye) -> None:
    data = write(tmp_path / "gsm8k.jsonl", [json.dumps({"out": "#### 1,234", "gold": "1000+234=1234\n#### 1234"})])
    result = hawkeye("score", str(data), "--output-field", "out", "--gold-field", "gold", "--task", "gsm8k", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["accuracy"]["value"] == 1.0


def test_bad_lines_are_reported_with_their_numbers_and_skipped(tmp_path: Path, hawkeye: Hawkeye) -> None:
    data = write(tmp_path / "mixed.jsonl", [
        json.dumps(RECORDS[0]), "{not json", json.dumps({"answer": "3"}), "", json.dumps(["a list"]),
        json.dumps({"response": "\\boxed{3}", "answer": None}), json.dumps({"response": "5", "answer": "  "}),
        json.dumps(RECORDS[2]),
    ])
    result = hawkeye("score", str(data), "--json")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "line 2 skipped: malformed JSON (Expecting property name enclosed in double quotes, column 2)",
        "line 3 skipped: missing field 'response'",
        "line 5 skipped: not a JSON object (list)",
        "line 6 skipped: missing field 'answer'",
        "line 7 skipped: field 'answer': the answer is empty",
    ]
    document = json.loads(result.stdout)
    assert (document["n"], document["skipped"], document["accuracy"]["value"]) == (2, 5, 1.0)


def test_missing_file_and_no_scorable_record_are_one_line_errors(tmp_path: Path, hawkeye: Hawkeye) -> None:
    result = hawkeye("score", str(tmp_path / "nope.jsonl"))
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"error: cannot read {tmp_path / 'nope.jsonl'}: No such file or "
                                                  "directory — check the path"]
    data = write(tmp_path / "other.jsonl", [json.dumps({"text": "5", "gold": "5"})])
    result = hawkeye("score", str(data))
    assert result.exit_code == 1 and "holds no record that could be scored" in result.stderr
    assert hawkeye("score", str(data), "--task", "aime").exit_code == 2


def test_verdicts_may_not_overwrite_the_input_and_an_unfinished_run_keeps_the_old_verdicts(
    tmp_path: Path, hawkeye: Hawkeye
) -> None:
    data = write(tmp_path / "outputs.jsonl", [json.dumps(r) for r in RECORDS])
    before = data.read_bytes()
    link = tmp_path / "link.jsonl"
    link.symlink_to(data)
    for out in (data, link):
        result = hawkeye("score", str(data), "--out", str(out))
        assert result.exit_code == 1, result.output
        assert "is the same file as FILE.jsonl" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert data.read_bytes() == before
    verdicts = tmp_path / "verdicts" / "v.jsonl"  # a missing folder is made
    assert hawkeye("score", str(data), "--out", str(verdicts)).exit_code == 0
    kept = verdicts.read_bytes()
    other = write(tmp_path / "other.jsonl", [json.dumps({"text": "5", "gold": "5"})])  # nothing to score: fails
    assert hawkeye("score", str(other), "--out", str(verdicts)).exit_code == 1
    assert verdicts.read_bytes() == kept and sorted(p.name for p in verdicts.parent.iterdir()) == ["v.jsonl"]
