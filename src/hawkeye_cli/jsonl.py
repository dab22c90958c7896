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
from typing import Any, Generic, TypeVar

from filelock import FileLock, Timeout

from hawkeye_cli.errors import FileInUseError, OutputError

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


class AppendOnlyJsonl(Generic[T]):
    """`path`, locked against other processes, read, then opened for appending after its last complete line.

    The lock (filelock on `<path>.lock` beside it) is exclusive and held until close(), so a second
    hawkeye run on the same file fails at once instead of writing every line a second time. It is taken before
    the file is read, so what `existing` holds is still all there is when appending starts. `parse` works as for
    read_lines (BadLine for a bad line other than a torn last one); the torn line is cut off.
    """

    def __init__(self, path: Path, parse: Callable[[Any], T], *, fsync: bool, option: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = _lock(path, option)
        try:
            self.existing: list[T] = []
            self.cut_partial_line = False
            end = 0
            if path.is_file():
                for value, line_end in read_lines(path, parse):
                    self.existing.append(value)
                    end = line_end
                with path.open("rb") as whole:
                    whole.seek(end)
                    self.cut_partial_line = bool(whole.read().strip())
            self._fsync = fsync
            self._file = path.open("ab")
            self._file.truncate(end)
            if end:
                self._file.write(b"\n")  # the newline a torn or unterminated last line lacked
        except BaseException:
            self._lock.release()
            raise

    def append(self, value: Any) -> None:
        self._file.write(json.dumps(value, ensure_ascii=False).encode("utf-8") + b"\n")
        self._file.flush()
        if self._fsync:
            os.fsync(self._file.fileno())

    def close(self) -> None:
        try:
            self._file.close()
        finally:
            self._lock.release()


def _lock(path: Path, option: str) -> FileLock:
    """The file's exclusive lock, or a one-line error at once (timeout 0) when another process holds it."""
    lock_file = Path(f"{path}.lock")
    lock = FileLock(lock_file, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        if not lock_file.exists():  # filelock could not even create it: nobody holds it, something else is wrong
            raise OutputError(f"{path} cannot be locked: {lock_file} cannot be created",
                                  fix=f"check that its folder is writable, or use another {option}") from None
        raise FileInUseError(f"{path} is in use by another hawkeye run",
                             fix=f"wait for it to finish or use another {option}") from None
    except OSError as exc:
        raise OutputError(f"{path} cannot be locked: {exc.strerror or exc}",
                              fix=f"check that its folder is writable, or use another {option}") from exc
    return lock
