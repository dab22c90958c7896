"""JSONL traces in, JSONL records out, one line at a time, so files of any size stream and re-runs resume.

Input lines that cannot be used are reported with their line number, never dropped silently. Output is
append-only: each record is written as one line and flushed, so Ctrl-C or a crash loses at most the line being
written, and a half-written last line is cut off when the file is opened again.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Hashable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from hawkeye_cli.backends.base import THINK_CLOSE, THINK_OPEN
from hawkeye_cli.errors import DataError
from hawkeye_cli.jsonl import AppendOnlyJsonl, BadLine, Line, jsonl_lines

STDIO = "-"


@dataclass(frozen=True)
class TraceFields:
    """Which JSON fields hold what; only question and cot are required."""

    question: str = "question"
    cot: str = "cot"
    response: str = "response"
    """What the model wrote after thinking: the SFT target, and where the CoT's own final answer is read."""
    answer: str = "answer"
    """The gold answer, when the data has one."""


@dataclass(frozen=True)
class Trace:
    """One usable input record."""

    line: int
    data: dict[str, Any]
    question: str
    thinking: str
    """The chain of thought to compress, without <think> tags."""
    response: str
    gold: str | None

    @property
    def key(self) -> str:
        """Identifies the record across runs: its `id` when it has one, else its line number."""
        return record_key(self.data, self.line)


@dataclass(frozen=True)
class BadRecord:
    """A line that was skipped, and why."""

    line: int
    reason: str


def record_key(data: dict[str, Any], line: int) -> str:
    return f"id:{data['id']}" if "id" in data else f"line:{line}"


def split_thinking(cot: str, response: str) -> tuple[str, str]:
    """(thinking, answer) of an R1-style output that may be spread over the cot and response fields.

    The thinking ends at the first `</think>` of cot + response (some exports cut the text elsewhere and put
    the end of the thinking in the response); with no `</think>` the cot is all thinking.
    """
    before, closed, after = cot.partition(THINK_CLOSE)
    if closed:
        thinking, answer = before, after.strip() or response
    else:
        rest, closed, after = response.partition(THINK_CLOSE)
        thinking, answer = (cot + rest, after) if closed else (cot, response)
    return _drop_open_tag(thinking).strip(), answer.strip()


def _drop_open_tag(text: str) -> str:
    _, opened, after = text.partition(THINK_OPEN)
    return after if opened else text


def parse_record(source: Line, fields: TraceFields) -> Trace | BadRecord:
    line = source.number
    try:
        data = source.record()
    except ValueError as exc:
        return BadRecord(line, str(exc))
    values: dict[str, str] = {}
    for name in (fields.question, fields.cot):
        value = data.get(name)
        if not isinstance(value, str) or not value.strip():
            problem = "missing" if value is None else "empty" if isinstance(value, str) else "not a string in"
            return BadRecord(line, f"{problem} field '{name}'")
        values[name] = value
    response = data.get(fields.response)
    thinking, answer = split_thinking(values[fields.cot], response if isinstance(response, str) else "")
    if not thinking:
        return BadRecord(line, f"no chain of thought in '{fields.cot}' (only tags or the answer)")
    gold = data.get(fields.answer)
    return Trace(line, data, values[fields.question].strip(), thinking, answer,
                 None if gold is None else str(gold))


def read_records(stream: IO[bytes], fields: TraceFields) -> Iterator[Trace | BadRecord]:
    """Every non-blank line, parsed as it is read; each is decoded alone, so one bad line spoils only itself."""
    for line in jsonl_lines(stream):
        yield parse_record(line, fields)


def count_records(path: str) -> int | None:
    """Non-blank lines of a regular file, for the progress bar; None for anything else (standard input, a pipe,
    a FIFO, <(command)), which can be read only once: the run reads it as it comes."""
    if path == STDIO or not Path(path).is_file():
        return None
    with Path(path).open("rb") as handle:
        return sum(1 for _ in jsonl_lines(handle))


def open_input(path: str) -> AbstractContextManager[IO[bytes]]:
    """The input as bytes; standard input stays open afterwards."""
    if path == STDIO:
        return nullcontext(sys.stdin.buffer)
    try:
        return Path(path).open("rb")
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror}", fix="check the path") from exc


class JsonlOutput:
    """An append-only JSONL file (or standard output) that knows which keys it already holds.

    Opening an existing file locks it against other hawkeye runs (a second one fails at once, naming `option`),
    reads the key of every complete line and cuts a half-written last line; a bad line anywhere else means the
    file is not ours to append to. `on_record` sees every record the output holds: those already in the file,
    then each one written.
    """

    def __init__(self, path: str | Path, key: Callable[[dict[str, Any]], Hashable], *, option: str = "--output",
                 on_record: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.path = str(path)
        self._key = key
        self._on_record = on_record
        self._file: AppendOnlyJsonl[Hashable] | None = None
        self.cut_partial_line = False
        self.done: set[Hashable] = set()
        if self.path == STDIO:
            return
        file = Path(self.path)
        try:
            self._file = AppendOnlyJsonl(file, self._seen, fsync=False, option=option)
        except BadLine as exc:
            raise DataError(f"{file} line {exc.number} is {exc.reason}, so it cannot be resumed",
                            fix="repair or delete that file, or write to another one") from exc
        self.cut_partial_line = self._file.cut_partial_line

    def write(self, record: dict[str, Any]) -> None:
        if self._file is None:
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
            sys.stdout.flush()
        else:
            self._file.append(record)
        self._seen(record)

    def _seen(self, data: Any) -> Hashable:
        """A record now in the output; raises ValueError (for read_lines) before noting anything if it is bad."""
        record = _json_object(data)
        key = self._key(record)
        if self._on_record is not None:
            self._on_record(record)
        self.done.add(key)
        return key

    def close(self) -> None:
        if self._file is not None:
            self._file.close()

    def __enter__(self) -> JsonlOutput:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _json_object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data
