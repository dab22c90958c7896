"""Files a command writes: check before any work that they can be written, and write each one on its own.

A long run must not fail at its end on a folder it could never write, and one output that fails must not lose
the others.
"""

from __future__ import annotations

import os
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
    appended to. Creates nothing; `-` (stdout) is the caller's to skip."""
    problem = write_problem(path)
    if problem is not None:
        raise OutputError(f"cannot write {path}: {problem}", fix=writable_fix(option))


def writable_fix(option: str) -> str:
    """The advice for an output that cannot be written: the option that chooses its place."""
    return f"use {option} with a writable folder"


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
            failures.append(OutputError(f"cannot write {path}: {exc.strerror or exc}", fix=fix))
        else:
            written.append(path)
    return written, failures


def write_problem(path: Path) -> str | None:
    """Why `path` could not be created or appended to, or None when it could."""
    if os.path.lexists(path):  # os.path, not Path: it answers False where a parent cannot be searched
        if os.path.isdir(path):
            return "it is a folder"
        return None if os.access(path, os.W_OK) else "permission denied"
    ancestor = path.parent
    while not os.path.lexists(ancestor) and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not os.path.isdir(ancestor):
        return f"{ancestor} is a file, not a folder"
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return f"folder {ancestor} is not writable"
    return None


def write_text(path: Path, text: str) -> None:
    """UTF-8 text, creating the folders on the way (they were checked by require_writable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _same_file(first: Path, second: Path) -> bool:
    if first.resolve() == second.resolve():
        return True
    try:
        return os.path.samefile(first, second)
    except OSError:  # one of them does not exist (yet): then the resolved names decided
        return False
