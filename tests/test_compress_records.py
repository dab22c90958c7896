"""compress-cot input and output: R1 parsing, field names, bad lines, resumable JSONL, SFT records. No models."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from hawkeye_cli.compression.records import BadRecord, JsonlOutput, Trace, TraceFields, read_records, split_thinking
from hawkeye_cli.compression.sft import sft_key, sft_record
from hawkeye_cli.errors import DataError

TRACES = Path(__file__).parent / "data" / "traces.jsonl"


def parse(text: bytes, fields: TraceFields | None = None) -> list[Trace | BadRecord]:
    return list(read_records(io.BytesIO(text), fields or TraceFields()))


@pytest.mark.parametrize(
    ("cot", "response", "thinking", "answer"),
    [
        ("<think>\nstep one\n</think>\n\nThe answer is 4.", "", "step one", "The answer is 4."),
        ("step one\n</think>\nanswer", "ignored", "step one", "answer"),
        ("<think>step one</think>", "the response", "step one", "the response"),
        ("step one. So the sum is", " 4.\n</think>\n\nIt is 4.", "step one. So the sum is 4.", "It is 4."),
        ("plain reasoning", "plain answer", "plain reasoning", "plain answer"),
        ("<think>\nunclosed thinking", "", "unclosed thinking", ""),
    ],
)
def test_split_thinking_handles_r1_layouts(cot: str, response: str, thinking: str, answer: str) -> None:
    assert split_thinking(cot, response) == (thinking, answer)


def test_fixture_traces_parse_with_thinking_only() -> None:
    traces = parse(TRACES.read_bytes())
    assert all(isinstance(trace, Trace) for trace in traces) and len(traces) == 6
    for trace in traces:
        assert isinstance(trace, Trace)
        assert "<think>" not in trace.thinking and "</think>" not in trace.thinking
        assert trace.gold and trace.response
    split = traces[3]
    assert isinstance(split, Trace) and split.thinking.endswith("So the sum is \\(\\dfrac{14}{3}\\).")
    assert split.response.startswith("We have f(-2) = 2")
    assert [trace.key for trace in traces] == [*(f"line:{n}" for n in range(1, 6)), "id:pens"]


def test_custom_field_names_and_ids() -> None:
    line = {"id": 7, "problem": "What is 2 + 2?", "reasoning": "<think>2 + 2 = 4</think>\n#### 4", "gold": "4"}
    (trace,) = parse(json.dumps(line).encode(), TraceFields(question="problem", cot="reasoning", answer="gold"))
    assert isinstance(trace, Trace)
    assert (trace.question, trace.thinking, trace.response) == ("What is 2 + 2?", "2 + 2 = 4", "#### 4")
    assert trace.gold == "4"
    assert trace.key == "id:7"


def test_bad_lines_are_reported_with_their_numbers() -> None:
    good = json.dumps({"question": "q", "cot": "c"})
    text = "\n".join([
        good,
        '{"question": "q", "cot": ',  # malformed
        "",  # blank lines are not records
        "[1, 2]",
        json.dumps({"question": "q"}),
        json.dumps({"question": "q", "cot": "   "}),
        json.dumps({"question": "q", "cot": "<think></think> only an answer"}),
        good,
    ]).encode() + b"\n\xff\xfe\n"
    results = parse(text)
    bad = {r.line: r.reason for r in results if isinstance(r, BadRecord)}
    assert [r.line for r in results if isinstance(r, Trace)] == [1, 8]
    assert bad[2].startswith("malformed JSON")
    assert bad[4] == "not a JSON object (list)"
    assert bad[5] == "missing field 'cot'"
    assert bad[6] == "empty field 'cot'"
    assert bad[7].startswith("no chain of thought")
    assert bad[9].startswith("not UTF-8")


def _key(record: dict) -> str:
    return record["k"]


def test_output_appends_and_knows_what_it_holds(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    with JsonlOutput(path, _key) as out:
        out.write({"k": "a", "text": "ü"})
        assert out.done == {"a"}
    with JsonlOutput(path, _key) as out:
        assert out.done == {"a"} and not out.cut_partial_line
        out.write({"k": "b"})
    assert [json.loads(line)["k"] for line in path.read_text(encoding="utf-8").splitlines()] == ["a", "b"]


def test_output_cuts_a_half_written_last_line(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text('{"k": "a"}\n{"k": "b", "te', encoding="utf-8")
    with JsonlOutput(path, _key) as out:
        assert out.done == {"a"} and out.cut_partial_line
        out.write({"k": "b"})
    assert path.read_text(encoding="utf-8") == '{"k": "a"}\n{"k": "b"}\n'


def test_output_completes_a_last_line_without_newline(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text('{"k": "a"}', encoding="utf-8")
    with JsonlOutput(path, _key) as out:
        assert out.done == {"a"} and not out.cut_partial_line
        out.write({"k": "b"})
    assert path.read_text(encoding="utf-8") == '{"k": "a"}\n{"k": "b"}\n'


def test_output_refuses_a_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text('{"k": "a"}\nnot json\n{"k": "b"}\n', encoding="utf-8")
    with pytest.raises(DataError, match="line 2 is not valid JSON"):
        JsonlOutput(path, _key)


def test_sft_record_is_a_chat_with_the_compressed_thinking() -> None:
    record = sft_record("What is 2 + 2?", "2 + 2 = 4", "The answer is 4.", "line:3")
    assert record["messages"] == [
        {"role": "user", "content": "What is 2 + 2?"},
        {"role": "assistant", "content": "<think>\n2 + 2 = 4\n</think>\n\nThe answer is 4."},
    ]
    assert sft_key(record) == "line:3"
