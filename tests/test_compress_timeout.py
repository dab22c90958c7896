"""compress-cot takes --timeout like every command that runs models: a remote expander that never answers its
--verify request fails after that long, in one line."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from hawkeye_cli.cli import app
from openai_stub import MODEL, StubServer

TRACES = Path(__file__).parent / "data" / "traces.jsonl"


def test_a_remote_expander_that_never_answers_fails_after_the_timeout(openai_stub_server: StubServer,
                                                                     tmp_path: Path) -> None:
    stub = openai_stub_server.reset("hang", tokenize="vllm")  # it counts tokens, but never writes an answer
    try:
        result = CliRunner().invoke(app, ["compress-cot", str(TRACES), "-o", str(tmp_path / "out.jsonl"),
                                          "--limit", "1", "--verify", "--expander", f"{openai_stub_server.url}#{MODEL}",
                                          "--timeout", "1"])
        asked = [request.path for request in stub.requests]
    finally:
        openai_stub_server.reset()
    assert result.exit_code == 1
    assert f"({MODEL}) did not answer within 1 s" in " ".join(result.output.split())
    assert "/v1/chat/completions" in asked
