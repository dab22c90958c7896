"""An endpoint URL that is not one (`--planner http://`) is a usage error naming the option and what a valid URL
looks like, not a models.yaml validation error; a registry entry gets the same check, naming its entry."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cli_runner import Hawkeye, run_hawkeye
from hawkeye_cli.errors import EXIT_ERROR, EXIT_USAGE
from hawkeye_cli.store.registry import ENDPOINT_EXAMPLE

EXAMPLE = " ".join(ENDPOINT_EXAMPLE.split())


def usage_error(*args: str) -> str:
    result = run_hawkeye(*args)
    assert result.exit_code == EXIT_USAGE, result.output
    return " ".join(result.stderr.replace("│", " ").split())  # typer draws usage errors in a box


@pytest.mark.parametrize(("url", "problem"), [
    ("http://", "'http://' is not an endpoint URL (it names no host)"),
    ("https://:8000/v1#qwen", "'https://:8000/v1' is not an endpoint URL (it names no host)"),
    ("http://gpu-box:80a/v1", "'http://gpu-box:80a/v1' is not an endpoint URL (its port is not a number from 0 to "
                              "65535)"),
])
@pytest.mark.parametrize("option", ["--planner", "--expander"])
def test_ask_names_the_option_and_a_valid_url(option: str, url: str, problem: str) -> None:
    text = usage_error("ask", "What is 2 + 2?", option, url)
    assert f"Invalid value for '{option}': {problem}; give one like {EXAMPLE}" in text
    assert "models.yaml" not in text and "pattern" not in text


@pytest.mark.parametrize("command", [["bench", "gsm8k"], ["serve"]])
def test_bench_and_serve_check_it_too(command: list[str]) -> None:
    assert "Invalid value for '--planner': 'http://' is not an endpoint URL" in usage_error(*command, "--planner",
                                                                                           "http://")


def test_compress_cot_scorer(tmp_path: Path) -> None:
    text = usage_error("compress-cot", str(tmp_path / "in.jsonl"), "-m", "surprisal", "--scorer", "http://")
    assert f"Invalid value for '--scorer': 'http://' is not an endpoint URL (it names no host); give one like " \
           f"{EXAMPLE}" in text


def test_a_registry_entry_names_its_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hawkeye: Hawkeye) -> None:
    registry = tmp_path / "models.yaml"
    registry.write_text(yaml.safe_dump({"models": {"engine": {"source": {"openai": "ftp://gpu-box/v1"}}}}),
                        encoding="utf-8")
    monkeypatch.setenv("HAWKEYE_MODELS", str(registry))
    result = hawkeye("models")
    assert result.exit_code == EXIT_ERROR
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1
    assert f"{registry}: models.engine.source.openai: Value error, 'ftp://gpu-box/v1' is not an endpoint URL (it " \
           f"starts with neither http:// nor https://); give one like {EXAMPLE}" in result.stderr
