"""Append-only JSONL files that survive crashes, shared by bench results and compress-cot outputs.

Every line is written whole and flushed before the next, so a crash or Ctrl-C loses at most the line being
written. Such a line is left unterminated at the end of the file: reading skips it, and reopening for append cuts
it off, so a re-run resumes from the last complete line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


class BadLine(ValueError):
    """A line that is not what the file should hold, other than a torn last line."""

    def __init__(self, number: int, reason: str) -> None:
        super().__init__(f"line {number}: {reason}")
        self.number = number
        self.reason = reason


def read_lines(path: Path, parse: Callable[[Any], T]) -> Iterator[tuple[T, int]]:
    """`parse` of each non-blank line's JSON, with the byte offset where the line ends (before its newline).

    A last line with no newline that does not parse was torn by a crash and ends the iteration; any other line
    that does not parse (invalid JSON, or `parse` raising ValueError) raises BadLine. OSError propagates.
    """
    lines = path.read_bytes().split(b"\n")
    offset = 0
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                value = parse(json.loads(line))
            except ValueError as exc:
                if number == len(lines):
                    return
                reason = "not valid JSON" if isinstance(exc, json.JSONDecodeError) else str(exc)
                raise BadLine(number, reason) from exc
            yield value, offset + len(line)
        offset += len(line) + 1


class AppendOnlyJsonl:
    """`path` opened for appending after the line ending at byte `end`; whatever follows it is cut."""

    def __init__(self, path: Path, end: int, *, fsync: bool) -> None:
        self.cut_partial_line = False
        if path.is_file():
            with path.open("rb") as existing:
                existing.seek(end)
                self.cut_partial_line = bool(existing.read().strip())
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fsync = fsync
        self._file = path.open("ab")
        self._file.truncate(end)
        if end:
            self._file.write(b"\n")  # the newline a torn or unterminated last line lacked

    def append(self, value: Any) -> None:
        self._file.write(json.dumps(value, ensure_ascii=False).encode("utf-8") + b"\n")
        self._file.flush()
        if self._fsync:
            os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()
