"""The data folder (HAWKEYE_HOME) and the user's registry (HAWKEYE_MODELS) as a user's environment names them: one that
cannot be used is one error line naming the variable to set; no user registry at all is fine."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli_runner import Hawkeye, error_lines

QUESTION = "Natalia sold 48 clips in April and half as many in May. How many clips in total?"


@pytest.mark.parametrize("home", ["file", "file/below"])
def test_a_hawkeye_home_that_is_a_file_is_one_line_naming_hawkeye_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: str, hawkeye: Hawkeye
) -> None:
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv("HAWKEYE_HOME", str(tmp_path / home))

    result = hawkeye("ask", QUESTION, "--profile", "tiny")  # gemma must be assembled into the data folder first

    assert result.exit_code == 1
    assert error_lines(result) == [
        f"error: cannot write hawkeye's data folder {tmp_path / home}: {tmp_path / 'file'} is a file, not a folder "
        "— set HAWKEYE_HOME to a writable folder"
    ]
    assert "Traceback" not in result.output


def test_an_unusable_home_names_hawkeye_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hawkeye: Hawkeye) -> None:
    (tmp_path / "home").write_text("not a folder")
    monkeypatch.delenv("HAWKEYE_HOME")
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # platformdirs' data folder is below it

    result = hawkeye("ask", QUESTION, "--profile", "tiny")

    assert result.exit_code == 1
    [line] = error_lines(result)
    assert line.startswith(f"error: cannot write hawkeye's data folder {tmp_path / 'home'}/")
    assert line.endswith(f"{tmp_path / 'home'} is a file, not a folder — set HAWKEYE_HOME to a writable folder")


@pytest.mark.parametrize(("target", "problem"), [("missing.yaml", "does not exist"), ("folder", "is a folder")])
def test_hawkeye_models_naming_no_file_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, problem: str, hawkeye: Hawkeye
) -> None:
    (tmp_path / "folder").mkdir()
    monkeypatch.setenv("HAWKEYE_MODELS", str(tmp_path / target))

    result = hawkeye("models")

    assert result.exit_code == 1
    assert error_lines(result) == [
        f"error: HAWKEYE_MODELS names {tmp_path / target}, which {problem} — "
        "point HAWKEYE_MODELS at a models.yaml file, or unset it"
    ]


def test_no_default_user_registry_is_fine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hawkeye: Hawkeye) -> None:
    monkeypatch.delenv("HAWKEYE_MODELS", raising=False)
    monkeypatch.setenv("HAWKEYE_HOME", str(tmp_path))  # the default user file would be here
    assert not (tmp_path / "models.yaml").exists()
    assert hawkeye("models").exit_code == 0
