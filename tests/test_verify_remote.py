"""`hawkeye verify` of a model served by an engine: there is no file to hash, and it says so rather than calling
the model missing ("not on disk")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from cli_runner import Hawkeye

URL = "http://gpu-box:8000/v1"


@pytest.fixture(autouse=True)
def remote_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    registry = tmp_path / "models.yaml"
    registry.write_text(yaml.safe_dump({"models": {"r1-on-vllm": {"source": {"openai": URL, "model": "r1"}}}}),
                        encoding="utf-8")
    monkeypatch.setenv("HAWKEYE_MODELS", str(registry))


def test_verify_says_a_remote_model_has_nothing_to_verify(hawkeye: Hawkeye) -> None:
    result = hawkeye("verify", "r1-on-vllm")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (f"· r1-on-vllm remote · served at {URL}#r1: no file on this machine, nothing "
                                     "to verify")
    assert "not on disk" not in result.stdout


def test_verify_json_names_it_remote(hawkeye: Hawkeye) -> None:
    result = hawkeye("verify", "r1-on-vllm", URL, "--json")
    assert result.exit_code == 0, result.output
    statuses = [model["status"] for model in json.loads(result.stdout)["models"]]
    assert statuses == ["remote", "remote"]  # the alias, and an endpoint named on the command line
