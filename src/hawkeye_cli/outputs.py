"""Output files checked before a run starts, so that a typo in a path costs a second, not the run's results."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from hawkeye_cli.errors import OutputFileError


def require_outputs(outputs: Mapping[str, Path], inputs: Mapping[str, Path]) -> None:
    """The checks to make before a run starts: no two of these files the same, and every output writable."""
    require_distinct({**inputs, **outputs})
    for option, path in outputs.items():
        require_writable(path, option)


def require_writable(path: Path, option: str) -> None:
    """Fail now, naming `option`, where writing `path` at the end of the run would fail.

    An existing path must be a writable regular file; a new one needs its nearest existing folder to be writable
    (the folders in between are created when the file is written).
    """
    if path.is_dir():
        raise OutputFileError(f"{option} {path} is a folder", fix=f"give {option} a file name")
    if path.exists():
        if not path.is_file():
            raise OutputFileError(f"{option} {path} is not a regular file", fix=f"give {option} another path")
        if not os.access(path, os.W_OK):
            raise OutputFileError(f"{option} {path} is not writable",
                                  fix=f"change its permissions or give {option} another path")
        return
    folder = _nearest_existing(path.absolute().parent)
    if not folder.is_dir():
        raise OutputFileError(f"{option} {path} cannot be created: {folder} is a file, not a folder",
                              fix=f"give {option} another path")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputFileError(f"{option} {path} cannot be created: {folder} is not writable",
                              fix=f"change its permissions or give {option} another path")


def require_distinct(files: Mapping[str, Path]) -> None:
    """Refuse two options naming one file, whatever it holds.

    An output that is also the input re-reads its own appended lines without end; two outputs in one file
    corrupt each other. Names are compared resolved (symlinks), and existing files by device and inode (hard
    links).
    """
    named = list(files.items())
    for position, (first, first_path) in enumerate(named):
        for second, second_path in named[position + 1:]:
            if _same_file(first_path, second_path):
                raise OutputFileError(f"{second} {second_path} is the same file as {first} {first_path}",
                                      fix=f"give {second} another path")


def write_each(writes: Mapping[str, tuple[Path, Callable[[Path], object]]]) -> list[OutputFileError]:
    """Run every write (option -> (path, write)); one failing does not stop the others, and each is returned."""
    failures = []
    for option, (path, write) in writes.items():
        try:
            write(path)
        except OSError as exc:
            failures.append(OutputFileError(f"{option} {path} could not be written: {exc.strerror or exc}",
                                            fix=f"give {option} another path"))
    return failures


def write_text(path: Path, text: str) -> None:
    """UTF-8 text, creating the folders on the way (they were checked by require_writable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _nearest_existing(folder: Path) -> Path:
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def _same_file(first: Path, second: Path) -> bool:
    if first.resolve() == second.resolve():
        return True
    try:
        return os.path.samefile(first, second)
    except OSError:  # one of them does not exist (yet): then the resolved names decided
        return False
