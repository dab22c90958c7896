"""`hawkeye score` on a file with no records says that it is empty, not that the field names may be wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli_runner import Hawkeye


@pytest.mark.parametrize("content", [b"", b"\n  \n\n", b"\xef\xbb\xbf\n"], ids=["empty", "blank lines", "bom only"])
def test_an_empty_file_is_called_empty(tmp_path: Path, content: bytes, hawkeye: Hawkeye) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(content)

    result = hawkeye("score", str(path))

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {path} is empty: it holds no records — give a JSONL file with one JSON object per line"]


def test_records_without_the_fields_still_name_the_field_options(tmp_path: Path, hawkeye: Hawkeye) -> None:
    path = tmp_path / "other.jsonl"
    path.write_text('{"text": "5", "gold": "5"}\n')

    result = hawkeye("score", str(path))

    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (f"error: {path} holds no record that could be scored — check "
                                              "--output-field and --gold-field against the file's fields")
