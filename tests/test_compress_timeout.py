"""compress-cot takes --timeout like every command that runs models: a remote expander that never answers its
--verify request fails after that long, in one line."""

from __future__ import annotations

from pathlib import Path

from cli_runner import error_lines, run_hawkeye
from openai_stub import MODEL, StubServer

TRACES = Path(__file__).parent / "data" / "traces.jsonl"


def test_a_remote_expander_that_never_answers_fails_after_the_timeout(openai_stub_server: StubServer,
                                                                     tmp_path: Path) -> None:
    stub = openai_stub_server.reset("hang", tokenize="vllm")  # it counts tokens, but never writes an answer
    try:
        result = run_hawkeye("compress-cot", str(TRACES), "-o", str(tmp_path / "out.jsonl"),
                                          "--limit", "1", "--verify", "--expander", f"{openai_stub_server.url}#{MODEL}",
                                          "--timeout", "1")
        asked = [request.path for request in stub.requests]
    finally:
        openai_stub_server.reset()
    assert result.exit_code == 1
    assert error_lines(result) == [f"error: {openai_stub_server.url} ({MODEL}) did not answer within 1 s, at each of 3 "
                                   "attempts — raise the timeout, or check that the server is not overloaded"]
    assert "/v1/chat/completions" in asked
