"""Remote registry entries in `hawkeye models` (offline and instant unless --check) and `hawkeye pull`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from cli_runner import Hawkeye, run_hawkeye
from openai_stub import MODEL, StubServer


@pytest.fixture
def remote_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, openai_stub_server: StubServer) -> None:
    registry = tmp_path / "models.yaml"
    registry.write_text(yaml.safe_dump({"models": {
        "served": {"source": {"openai": openai_stub_server.url, "model": MODEL}},
        "down": {"source": {"openai": "http://127.0.0.1:9/v1", "model": "m"}},
    }}), encoding="utf-8")
    monkeypatch.setenv("HAWKEYE_MODELS", str(registry))
    openai_stub_server.reset()  # the stub is shared by the session: forget what other tests asked it


def models(*args: str) -> dict:
    result = run_hawkeye("models", "--json", *args)
    assert result.exit_code == 0, result.output
    return {m["alias"]: m for m in json.loads(result.stdout)["models"]}


def test_remote_entries_are_listed_without_asking_them(remote_entries: None, openai_stub_server: StubServer) -> None:
    listed = models()
    assert listed["served"]["status"] == listed["down"]["status"] == "remote"
    assert listed["served"]["endpoint"] == f"{openai_stub_server.url}#{MODEL}"
    assert listed["served"]["check"] is None and listed["served"]["path"] is None
    assert openai_stub_server.state.requests == []  # listing stays offline


def test_check_asks_each_endpoint(remote_entries: None) -> None:
    listed = models("--check")
    assert listed["served"]["check"] == f"answers, serving {MODEL}"
    assert listed["down"]["check"].startswith("does not answer: cannot reach http://127.0.0.1:9/v1")
    assert listed["smollm2-135m-instruct"]["check"] is None  # local models have nothing to ask


def test_pulling_a_remote_entry_says_there_is_nothing_to_download(remote_entries: None, hawkeye: Hawkeye) -> None:
    result = hawkeye("pull", "served")
    assert result.exit_code == 1
    assert "there is nothing to download" in result.stderr and "hawkeye models --check" in result.stderr
