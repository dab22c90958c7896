"""Raw prompts on Ollama: its native /api/generate (raw: true), through the same openai client as every other
request, so with the same retries and the same error mapping; against the stub's imitation of it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hawkeye_cli.backends.base import Request
from hawkeye_cli.backends.openai_http import OpenAIBackend
from hawkeye_cli.backends.settings import HttpSettings
from hawkeye_cli.errors import RemoteError
from hawkeye_cli.store.registry import ModelSpec, Source
from openai_stub import ANSWER, MODEL, THINKING, StubServer, StubState


@pytest.fixture
def stub(openai_stub_server: StubServer) -> Iterator[StubState]:
    yield openai_stub_server.reset()
    openai_stub_server.reset()


def ollama(url: str, retries: int) -> OpenAIBackend:
    spec = ModelSpec(alias="base-on-ollama", prompt_format="completion",
                     source=Source(openai=url, model=MODEL, api="ollama"))
    return OpenAIBackend(spec, HttpSettings(timeout=10, max_retries=retries))


def test_ollama_native_retries_an_engine_that_is_briefly_unavailable(openai_stub_server: StubServer,
                                                                     stub: StubState) -> None:
    stub.unavailable = 1
    completion = ollama(openai_stub_server.url, retries=2).complete(Request(8, prompt="Question: 2 + 2?\nAnswer:"))
    assert completion.text == "".join(ANSWER)
    assert [r.path for r in stub.requests] == ["/api/generate", "/api/generate"]


@pytest.mark.parametrize(("status", "said"), [
    (503, "failed with HTTP 503 after 3 attempts: loading model, try again — check the server's log"),
    (500, "failed with HTTP 500 after 3 attempts: engine crashed — check the server's log"),
    (429, "is rate limiting (HTTP 429) after 3 attempts — wait and try again, or use a server with more capacity"),
])
def test_ollama_native_gives_up_after_its_retries_in_one_line(openai_stub_server: StubServer, stub: StubState,
                                                              status: int, said: str) -> None:
    stub.mode = f"error{status}"
    with pytest.raises(RemoteError) as raised:
        ollama(openai_stub_server.url, retries=2).complete(Request(8, prompt="Question: 2 + 2?\nAnswer:"))
    assert raised.value.one_line() == f"{openai_stub_server.url} ({MODEL}) {said}"
    assert [r.path for r in stub.requests] == ["/api/generate"] * 3


def test_raw_prompts_on_ollama_go_to_the_native_generate_endpoint(openai_stub_server: StubServer,
                                                                  stub: StubState) -> None:
    """Ollama's /v1/completions would wrap the prompt in the model's chat template; /api/generate with raw does not."""
    spec = ModelSpec(alias="base-on-ollama", prompt_format="completion",
                     source=Source(openai=openai_stub_server.url, model=MODEL, api="ollama"))
    backend = OpenAIBackend(spec, HttpSettings(timeout=10, max_retries=0))
    chunks: list[str] = []
    completion = backend.complete(Request(3, prompt="Question: 2 + 2?\nAnswer:", stop=("\nQuestion:",)),
                                  on_text=chunks.append)
    sent = stub.requests[-1]
    assert sent.path == "/api/generate" and sent.body["raw"] is True
    assert sent.body["prompt"] == "Question: 2 + 2?\nAnswer:"
    assert sent.body["options"]["num_predict"] == 3 and sent.body["options"]["stop"] == ["\nQuestion:"]
    assert completion.text == "".join(chunks) == "The answer is "
    assert (completion.prompt_tokens, completion.completion_tokens, completion.finish_reason) == (5, 3, "length")
    stub.mode = "thinking"  # Ollama's native stream carries thinking in `thinking` lines of its own
    thought = backend.complete(Request(8, prompt="Question: 2 + 2?\nAnswer:"))
    assert (thought.reasoning, thought.reasoning_tokens) == ("".join(THINKING), len(THINKING))
    assert thought.text == "".join(ANSWER) and thought.completion_tokens == len(THINKING) + len(ANSWER)
    stub.mode = "inline"
    chat_model = OpenAIBackend(spec.model_copy(update={"alias": "chat-on-ollama", "prompt_format": "chat"}),
                               HttpSettings(timeout=10, max_retries=0))
    chat = chat_model.complete(Request(8, messages=({"role": "user", "content": "hi"},)))  # Ollama templates it
    assert stub.requests[-1].path == "/v1/chat/completions" and chat.text


def test_ollama_errors_are_one_line(openai_stub_server: StubServer, stub: StubState) -> None:
    unknown = ModelSpec(alias="x", prompt_format="completion", source=Source(openai=openai_stub_server.url,
                                                                            model="nope", api="ollama"))
    with pytest.raises(RemoteError, match="does not serve model 'nope'"):
        OpenAIBackend(unknown, HttpSettings(timeout=10, max_retries=0)).complete(Request(3, prompt="q"))
    stub.mode = "garbage_json"
    known = ModelSpec(alias="y", prompt_format="completion", source=Source(openai=openai_stub_server.url,
                                                                          model=MODEL, api="ollama"))
    with pytest.raises(RemoteError, match="not Ollama's /api/generate stream"):
        OpenAIBackend(known, HttpSettings(timeout=10, max_retries=0)).complete(Request(3, prompt="q"))
