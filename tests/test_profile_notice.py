"""The demo notice ('Using profile tiny …') only when a demo model runs: not when --planner and --expander both
name other models (endpoints here, a scripted OpenAI-compatible server)."""

from __future__ import annotations

import pytest

from cli_runner import Hawkeye
from openai_stub import MODEL, StubServer

QUESTION = "What is 2 + 3?"
NOTICE = "Using profile 'tiny' (embedded offline models; quality is demo-grade)"


@pytest.fixture
def endpoint(openai_stub_server: StubServer) -> str:
    openai_stub_server.reset()
    return f"{openai_stub_server.url}#{MODEL}"


def test_no_demo_notice_when_both_models_are_given(endpoint: str, hawkeye: Hawkeye) -> None:
    result = hawkeye("ask", QUESTION, "--planner", endpoint, "--expander", endpoint, "--json")
    assert result.exit_code == 0, result.output
    assert "demo-grade" not in result.stderr


def test_the_notice_stays_while_a_demo_model_still_runs(endpoint: str, hawkeye: Hawkeye) -> None:
    result = hawkeye("ask", QUESTION, "--planner", endpoint, "--max-tokens", "4", "--json",
                     "--threads", "1", "--ctx", "1024")
    assert result.exit_code == 0, result.output
    assert NOTICE in result.stderr
