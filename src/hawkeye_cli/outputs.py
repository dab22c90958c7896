"""Files a command writes: check before any work that they can be written, and write each one on its own.

A long run must not fail at its end on a folder it could never write, and one output that fails must not lose
the others.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from hawkeye_cli.errors import OutputError


def require_outputs(outputs: Mapping[str, Path], inputs: Mapping[str, Path]) -> None:
    """The checks to make before a run starts: no two of these files the same, and every output writable."""
    require_distinct({**inputs, **outputs})
    for option, path in outputs.items():
        require_writable(path, option)


def require_distinct(files: Mapping[str, Path]) -> None:
    """Refuse two options naming one file, whatever it holds.

    An output that is also the input re-reads its own appended lines without end; two outputs in one file
    corrupt each other. Names are compared resolved (symlinks), and existing files by device and inode (hard
    links).
    """
    named = list(files.items())
    for position, (first, first_path) in enumerate(named):
        for second, second_path in named[position + 1 :]:
            if _same_file(first_path, second_path):
                raise OutputError(f"{second} {second_path} is the same file as {first} {first_path}",
                                  fix=f"give {second} another path")


def require_writable(path: Path, option: str) -> None:
    """Raise OutputError naming `option` unless the file `path` could be created (with its missing folders) or
    appended to. Leaves nothing behind; `-` (stdout) is the caller's to skip."""
    problem = write_problem(path)
    if problem is not None:
        raise OutputError(f"cannot write {path}: {problem}", fix=writable_fix(option))


def writable_fix(option: str) -> str:
    """The advice for an output that cannot be written: the option that chooses its place."""
    return f"use {option} with a writable folder"


def cannot_write(path: Path | str, error: OSError, fix: str) -> OutputError:
    """The one-line error for a write that failed; on a full disk (or quota) the fix starts with freeing space."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        fix = f"free space on its disk, or {fix}"
    return OutputError(f"cannot write {path}: {error.strerror or error}", fix=fix)


def write_each(
    writes: Sequence[tuple[Path, Callable[[Path], object]]], fix: str
) -> tuple[list[Path], list[OutputError]]:
    """Call each `write(path)` even when an earlier one failed: the paths written, and one OutputError per file
    that could not be."""
    written, failures = [], []
    for path, write in writes:
        try:
            write(path)
        except OSError as exc:
            failures.append(cannot_write(path, exc, fix))
        else:
            written.append(path)
    return written, failures


def write_problem(path: Path) -> str | None:
    """Why `path` could not be created or appended to, or None when it could.

    Tried for real, since permission bits do not tell (root passes os.access for /proc or a read-only mount):
    an existing file is opened for appending, which changes nothing in it; a new one is created with its
    missing folders, and all of them are removed again. A device or pipe is not opened (that could block).
    """
    if os.path.lexists(path):  # os.path, not Path: it answers False where a parent cannot be searched
        if os.path.isdir(path):
            return "it is a folder"
        if not os.path.isfile(path):
            return None if os.access(path, os.W_OK) else "permission denied"
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_APPEND))
        except OSError as exc:
            return "permission denied" if exc.errno == errno.EACCES else exc.strerror or str(exc)
        return None
    missing = [path]
    while not os.path.lexists(missing[-1].parent) and missing[-1].parent != missing[-1]:
        missing.append(missing[-1].parent)
    ancestor = missing[-1].parent
    if not os.path.isdir(ancestor):
        return f"{ancestor} is a file, not a folder"
    created: list[Path] = []
    try:
        for folder in reversed(missing[1:]):
            folder.mkdir()
            created.append(folder)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        path.unlink()
    except OSError as exc:
        if exc.errno == errno.EACCES:
            return f"folder {ancestor} is not writable"
        return f"folder {ancestor} takes no new file ({exc.strerror or exc})"
    finally:
        for folder in reversed(created):
            with contextlib.suppress(OSError):
                folder.rmdir()
    return None


def write_text(path: Path, text: str) -> None:
    """UTF-8 text, creating the folders on the way (they were checked by require_writable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def stdout_write_failure(error: OSError) -> OutputError | None:
    """A write to standard output that failed for want of room (`> file` on a full disk): the error to print, with
    stdout discarded so that nothing more is tried there. None for any other OSError (a file's carries its name)."""
    if error.errno not in (errno.ENOSPC, errno.EDQUOT) or error.filename is not None:
        return None
    discard_stdout()
    return cannot_write("standard output", error, "send the output to a disk with room")


def discard_stdout() -> None:
    """After the reader of stdout went away (`| head`): what is still buffered for it goes to /dev/null, so that
    flushing it at exit raises nothing more."""
    with contextlib.suppress(OSError, ValueError):  # ValueError: not a file with a descriptor (tests capture it)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _same_file(first: Path, second: Path) -> bool:
    if first.resolve() == second.resolve():
        return True
    try:
        return os.path.samefile(first, second)
    except OSError:  # one of them does not exist (yet): then the resolved names decided
        return False
