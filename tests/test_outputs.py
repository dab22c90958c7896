"""outputs.require_writable and write_each: refuse unwritable outputs up front, write each output on its own."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hawkeye_cli.errors import OutputError
from hawkeye_cli.outputs import require_writable, write_each


def test_a_new_file_in_new_folders_under_a_writable_folder_is_fine(tmp_path: Path) -> None:
    require_writable(tmp_path / "a" / "b" / "out.jsonl", "--out")
    assert list(tmp_path.iterdir()) == []  # checking creates nothing


def test_an_existing_file_is_fine(tmp_path: Path) -> None:
    (tmp_path / "out.jsonl").write_text("{}\n")
    require_writable(tmp_path / "out.jsonl", "-o")


def test_a_file_where_a_folder_should_be_names_the_option(tmp_path: Path) -> None:
    (tmp_path / "results").write_text("not a folder")
    with pytest.raises(OutputError) as caught:
        require_writable(tmp_path / "results" / "sub" / "gsm8k.jsonl", "--out")
    line = caught.value.one_line()
    assert f"{tmp_path / 'results'} is a file, not a folder" in line
    assert "use --out with a writable folder" in line


def test_a_folder_where_the_file_should_be(tmp_path: Path) -> None:
    (tmp_path / "summary.json").mkdir()
    with pytest.raises(OutputError, match="it is a folder"):
        require_writable(tmp_path / "summary.json", "--summary")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through any permission bits")
def test_a_read_only_folder(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="is not writable"):
            require_writable(locked / "gsm8k.jsonl", "--out")
    finally:
        locked.chmod(0o700)


def test_write_each_writes_the_others_when_one_fails(tmp_path: Path) -> None:
    (tmp_path / "blocked").mkdir()
    good = tmp_path / "good.txt"
    written, failures = write_each(
        [(tmp_path / "blocked", lambda path: path.write_text("x")), (good, lambda path: path.write_text("ok"))],
        fix="use --out with a writable folder",
    )
    assert good.read_text() == "ok"
    assert written == [good]
    assert [failure.one_line() for failure in failures] == [
        f"cannot write {tmp_path / 'blocked'}: Is a directory — use --out with a writable folder"
    ]
