"""The adaptive stop on a real serving engine: the tiny base planner behind llama-cpp-python's server, its rounds and
probes sent as continuation requests (raw prompts on /v1/completions) that the server serves from its prefix
cache, as vLLM, SGLang and llama-server do. The server's own log (verbose) says how much of each prompt it had
to evaluate."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from cli_runner import Hawkeye
from hawkeye_cli.store.model_files import require_local
from hawkeye_cli.store.registry import Registry
from remote_fixtures import llama_cpp_server

pytestmark = pytest.mark.slow

QUESTION = "Tom has 3 apples and buys 5 more. How many apples does he have?"
PREFIX_HIT = re.compile(r"Llama\.generate: (\d+) prefix-match hit, remaining (\d+) prompt tokens to eval")


@pytest.fixture(scope="module")
def gemma_server(registry: Registry, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    log = tmp_path_factory.mktemp("gemma-server") / "server.log"
    with llama_cpp_server(require_local(registry.model("gemma3-270m")), "gemma3-270m", log, verbose=True) as url:
        yield url, log


def test_rounds_and_probes_on_a_real_engine_evaluate_only_what_is_new(
        gemma_server: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hawkeye: Hawkeye) -> None:
    url, log = gemma_server
    entry = {"source": {"openai": url, "model": "gemma3-270m", "extra_body": {"repeat_penalty": 1.0}},
             "prompt_format": "completion", "roles": ["planner"]}
    registry = tmp_path / "models.yaml"
    registry.write_text(yaml.safe_dump({"models": {"gemma-served": entry}}), encoding="utf-8")
    monkeypatch.setenv("HAWKEYE_MODELS", str(registry))
    hits_before = len(PREFIX_HIT.findall(log.read_text(errors="replace")))
    result = hawkeye("ask", QUESTION, "--planner", "gemma-served", "--json", "--no-log",
                     "--effort", "low", "--max-budget", "128", "--max-tokens", "16",
                     "--ctx", "2048", "--threads", "2")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)["plan"]
    assert plan["budget"] == "low" and plan["stop"] in ("ended", "converged", "cap")
    rounds = len(plan["probes"])
    assert rounds >= 2 and plan["completion_tokens"] <= 64  # low: rounds of 32 up to half of --max-budget
    hits = [(int(cached), int(left)) for cached, left in PREFIX_HIT.findall(log.read_text(errors="replace"))]
    hits = hits[hits_before:]
    # every request after the first round continues the one before it: round, probe, round, probe…
    assert len(hits) >= 2 * rounds - 1
    prompt = min(cached for cached, _ in hits)
    assert prompt > 30  # the question's prompt is never evaluated again
    assert all(left <= 40 for _, left in hits)  # only the probe's text, or the round's new thinking
    for probe in plan["probes"]:
        assert 0 < probe["prompt_tokens"] <= 8  # what the server reported beyond the thinking it continued
