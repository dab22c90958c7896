"""JSONL, read one way everywhere, and append-only JSONL files that survive crashes.

Every input and output JSONL file (bench --data and results, score, compress-cot input and output) is read by
jsonl_lines: lines end at b"\n" only, a UTF-8 byte order mark opening the file is skipped, and each line keeps its
number. Appended lines are written whole and flushed before the next, so a crash or Ctrl-C loses at most the line
being written. Such a line is left unterminated at the end of the file: reading skips it, and reopening for
append cuts it off, so a re-run resumes from the last complete line.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from filelock import FileLock, Timeout

from hawkeye_cli.errors import FileInUseError, OutputError
from hawkeye_cli.outputs import cannot_write

T = TypeVar("T")


@dataclass(frozen=True)
class Line:
    """One non-blank line of a JSONL file or stream."""

    number: int
    """1-based, blank lines counted: what an editor shows."""
    text: bytes
    """Without its newline, and without the byte order mark that may open the file."""
    end: int
    """Byte offset where the line ends, before its newline."""
    terminated: bool
    """False for a last line without a newline, which a crash may have cut."""

    def value(self) -> Any:
        """The line's JSON: UnicodeDecodeError or json.JSONDecodeError (both ValueError) when it holds none."""
        return json.loads(self.text.decode("utf-8"))

    def record(self) -> dict[str, Any]:
        """The line's JSON object: ValueError saying why when it holds none (for a message naming the line)."""
        try:
            data = self.value()
        except ValueError as exc:
            raise ValueError(unreadable(exc)) from exc
        if not isinstance(data, dict):
            raise ValueError(f"not a JSON object ({type(data).__name__})")
        return data


def jsonl_lines(stream: Iterable[bytes]) -> Iterator[Line]:
    """Every non-blank line of a binary stream, read once as it comes (a pipe or FIFO cannot be read twice).

    Only b"\n" ends a line: a JSON string may hold U+2028, U+2029 or a form feed raw (json.dumps with
    ensure_ascii=False writes them so), where str.splitlines would cut it. A UTF-8 byte order mark, which some
    Windows editors write, is skipped at the start.
    """
    offset = 0
    for number, raw in enumerate(stream, start=1):
        offset += len(raw)
        terminated = raw.endswith(b"\n")
        text = raw[:-1] if terminated else raw
        if number == 1:
            text = text.removeprefix(codecs.BOM_UTF8)
        if text.strip():
            yield Line(number, text, offset - terminated, terminated)


def unreadable(error: ValueError) -> str:
    """Why a line holds no JSON, for a message that names its line: Line.value's errors, position included."""
    if isinstance(error, UnicodeDecodeError):
        return f"not UTF-8 (byte {error.start + 1})"
    if isinstance(error, json.JSONDecodeError):
        return f"malformed JSON ({error.msg}, column {error.colno})"
    return str(error)


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
    with path.open("rb") as stream:
        for line in jsonl_lines(stream):
            try:
                value = parse(line.value())
            except ValueError as exc:
                if not line.terminated:
                    return
                reason = "not valid JSON" if isinstance(exc, json.JSONDecodeError) else unreadable(exc)
                raise BadLine(line.number, reason) from exc
            yield value, line.end


class AppendOnlyJsonl(Generic[T]):
    """`path`, locked against other processes, read, then opened for appending after its last complete line.

    The lock (filelock on `<path>.lock` beside it) is exclusive and held until close(), so a second
    hawkeye run on the same file fails at once instead of writing every line a second time. It is taken before
    the file is read, so what `existing` holds is still all there is when appending starts. `parse` works as for
    read_lines (BadLine for a bad line other than a torn last one); the torn line is cut off.

    Writes are unbuffered: a line that cannot be written (a full disk) is an OutputError at once, the part of it
    that was written is cut off again, and close() has nothing left to fail on.
    """

    def __init__(self, path: Path, parse: Callable[[Any], T], *, fsync: bool, option: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._option = option
        self._lock = _lock(path, option)
        try:
            self.existing: list[T] = []
            self.cut_partial_line = False
            self._end = 0
            """Where the last complete line ends, newline included once appending started."""
            if path.is_file():
                for value, line_end in read_lines(path, parse):
                    self.existing.append(value)
                    self._end = line_end
                with path.open("rb") as whole:
                    whole.seek(self._end)
                    rest = whole.read()
                self.cut_partial_line = bool((rest if self._end else rest.removeprefix(codecs.BOM_UTF8)).strip())
            try:
                self._file = path.open("ab", buffering=0)
                regular = stat.S_ISREG(os.fstat(self._file.fileno()).st_mode)  # not a device or pipe
                if regular:
                    self._file.truncate(self._end)
            except OSError as exc:
                raise cannot_write(path, exc, f"use another {option}") from exc
            self._fsync = fsync and regular
            if self._end:
                self._write(b"\n")  # the newline a torn or unterminated last line lacked
        except BaseException:
            self._lock.release()
            raise

    def append(self, value: Any) -> None:
        self._write(json.dumps(value, ensure_ascii=False).encode("utf-8") + b"\n")

    def _write(self, data: bytes) -> None:
        try:
            written = 0
            while written < len(data):  # a write cut short by a full disk says so on the next one
                written += os.write(self._file.fileno(), data[written:])
            if self._fsync:
                os.fsync(self._file.fileno())
        except OSError as exc:
            with contextlib.suppress(OSError):
                self._file.truncate(self._end)
            raise cannot_write(self.path, exc, f"use another {self._option}; every line written before is kept, "
                               "and the same command resumes from them") from exc
        self._end += len(data)

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
