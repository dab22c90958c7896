"""Engines that fail or answer wrongly: through the CLI (a 404 everywhere, as for a URL without /v1; a web page
where JSON belongs; a server that never answers), then each failure the backend maps (backends/http_errors.py).

Each must end in one error line that says what to do, never a traceback (a 404 once recursed until Python gave
up), and a remote engine's 404 must not take a serving request 10 s to answer."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
import yaml
from typer.testing import Result

from cli_runner import Hawkeye, run_hawkeye
from conftest import ScriptedBackend
from hawkeye_cli.backends.base import Request
from hawkeye_cli.backends.openai_http import OpenAIBackend
from hawkeye_cli.backends.settings import HttpSettings
from hawkeye_cli.errors import ContextOverflowError, RemoteError
from hawkeye_cli.store.registry import ModelSpec, Registry, Source
from openai_stub import MODEL, StubServer, StubState
from remote_fixtures import QUICK, ask, free_port, remote, scripted_client, served

LOCAL = "smollm2-135m-instruct"
URL_FIX = "check the URL (an OpenAI-compatible API usually ends in /v1)"
NOT_OPENAI_LINE = ("answered something that is not an OpenAI-compatible response — check that the URL points at an "
              "OpenAI-compatible API (it usually ends in /v1)")


@pytest.fixture
def stub(openai_stub_server: StubServer) -> Iterator[StubState]:
    yield openai_stub_server.reset()
    openai_stub_server.reset()


def run_ask(planner: str, *options: str) -> Result:
    return run_hawkeye("ask", "What is 2 + 2?", "--planner", planner, "--expander", LOCAL,
                       "--budget", "8", "--max-tokens", "8", "--ctx", "2048", "--threads", "2", *options)


def one_error_line(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "RecursionError" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def test_a_url_that_answers_404_to_everything_is_one_line(openai_stub_server: StubServer, stub: StubState) -> None:
    stub.mode = "error404"
    root = openai_stub_server.url.removesuffix("/v1")
    assert one_error_line(run_ask(root)) == f"error: {root} answered HTTP 404 (Not Found) — {URL_FIX}"
    named = f"{openai_stub_server.url}#{MODEL}"  # the completion's 404, then the listing's: no recursion
    assert one_error_line(run_ask(named)) == \
        f"error: {openai_stub_server.url} ({MODEL}) answered HTTP 404 (Not Found) — {URL_FIX}"
    assert [r.path for r in stub.requests] == ["/v1/chat/completions", "/v1/models"]  # asked once each


@pytest.mark.slow
def test_llama_cpp_server_without_v1_is_one_line(llama_server: str) -> None:
    """The real llama_cpp.server answers 404 to /models and /chat/completions at its root."""
    root = llama_server.removesuffix("/v1")
    assert one_error_line(run_ask(root)) == f"error: {root} answered HTTP 404 (Not Found) — {URL_FIX}"


def test_models_check_of_an_address_that_answers_404(
    openai_stub_server: StubServer, stub: StubState, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hawkeye: Hawkeye
) -> None:
    stub.mode = "error404"
    registry = tmp_path / "models.yaml"
    registry.write_text(yaml.safe_dump({"models": {"wrong-url": {"source": {"openai": openai_stub_server.url}}}}),
                        encoding="utf-8")
    monkeypatch.setenv("HAWKEYE_MODELS", str(registry))
    result = hawkeye("models", "--json", "--check")
    assert result.exit_code == 0, result.output
    checked = {model["alias"]: model["check"] for model in json.loads(result.stdout)["models"]}
    assert checked["wrong-url"] == f"does not answer: {openai_stub_server.url} answered HTTP 404 (Not Found) — " \
                                   f"{URL_FIX}"


def test_serving_with_a_planner_that_answers_404_is_a_502_at_once(registry: Registry, openai_stub_server: StubServer,
                                                                   stub: StubState) -> None:
    stub.mode = "error404"
    planner = OpenAIBackend(registry.model(openai_stub_server.url), HttpSettings(timeout=30))
    started = time.monotonic()
    with served(registry, planner, ScriptedBackend([])) as url, pytest.raises(openai.APIStatusError) as raised:
        scripted_client(url).chat.completions.create(model="hawkeye/tiny",
                                                     messages=[{"role": "user", "content": "2+2?"}])
    assert time.monotonic() - started < 10
    assert raised.value.status_code == 502
    assert raised.value.message.endswith(f" - {openai_stub_server.url} answered HTTP 404 (Not Found) — {URL_FIX}")


@pytest.mark.parametrize("page", ["html", "plain_text"])
def test_a_web_page_where_the_model_listing_belongs(openai_stub_server: StubServer, stub: StubState,
                                                    page: str) -> None:
    stub.mode = page
    assert one_error_line(run_ask(openai_stub_server.url)) == f"error: {openai_stub_server.url} {NOT_OPENAI_LINE}"


@pytest.mark.parametrize("page", ["html", "plain_text"])
def test_a_web_page_where_the_answer_stream_belongs(openai_stub_server: StubServer, stub: StubState,
                                                    page: str) -> None:
    """With #MODEL nothing lists the models first: the 200 to the completion request is what is read."""
    stub.mode = page
    line = one_error_line(run_ask(f"{openai_stub_server.url}#{MODEL}"))
    assert line == f"error: {openai_stub_server.url} ({MODEL}) {NOT_OPENAI_LINE}"
    assert [r.path for r in stub.requests] == ["/v1/chat/completions"]


def test_a_server_that_never_answers_says_how_often_it_was_asked(openai_stub_server: StubServer,
                                                                  stub: StubState) -> None:
    stub.mode = "hang"
    line = one_error_line(run_ask(f"{openai_stub_server.url}#{MODEL}", "--timeout", "1"))
    assert line == (f"error: {openai_stub_server.url} ({MODEL}) did not answer within 1 s, at each of 3 attempts — "
                    "raise the timeout, or check that the server is not overloaded")
    assert len(stub.requests) == 3


# -- each failure the backend maps ----------------------------------------------------------------------------------


@pytest.fixture
def stub_backend(registry: Registry, openai_stub_server: StubServer, stub: StubState) -> Iterator[OpenAIBackend]:
    backend = remote(registry, f"{openai_stub_server.url}#{MODEL}")
    yield backend
    backend.close()


def _error_of(backend: OpenAIBackend, request: Request | None = None) -> str:
    with pytest.raises(RemoteError) as caught:
        backend.complete(request or ask("2+2?"))
    return caught.value.one_line()


def test_a_server_that_is_down(registry: Registry) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    assert _error_of(remote(registry, f"{url}#m")) == f"cannot reach {url} (m) — is the server running? check the URL"


@pytest.mark.parametrize(("mode", "retries", "message"), [
    ("error500", 2, "failed with HTTP 500 after 3 attempts: engine crashed — check the server's log"),
    ("error429", 1, "is rate limiting (HTTP 429) after 2 attempts — wait and try again, or use a server with more "
                    "capacity"),
])
def test_http_errors_are_retried_a_bounded_number_of_times(registry: Registry, openai_stub_server: StubServer,
                                                           stub: StubState, mode: str, retries: int,
                                                           message: str) -> None:
    stub.mode = mode
    backend = remote(registry, f"{openai_stub_server.url}#{MODEL}", HttpSettings(max_retries=retries))
    assert _error_of(backend) == f"{openai_stub_server.url} ({MODEL}) {message}"
    assert len(stub.requests) == retries + 1


def test_a_server_that_never_accepts_the_connection(registry: Registry) -> None:
    """A listening socket whose accept queue is full: Linux drops further connection attempts unanswered."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
        queued = [socket.socket() for _ in range(3)]
        for pending in queued:
            pending.setblocking(False)
            pending.connect_ex(("127.0.0.1", listener.getsockname()[1]))
        backend = remote(registry, f"{url}#m", HttpSettings(timeout=30, connect_timeout=1, max_retries=0))
        try:
            assert _error_of(backend) == (f"cannot reach {url} (m): no connection within 1 s — is the server "
                                          "running? check the URL and the network")
        finally:
            for pending in queued:
                pending.close()


def test_http_401_names_the_variable_to_set(registry: Registry, openai_stub_server: StubServer, stub: StubState,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    stub.mode = "error401"
    assert _error_of(remote(registry, f"{openai_stub_server.url}#{MODEL}")).endswith(
        "— set `api_key_env` in the model's registry entry to the environment variable that holds the API key")
    monkeypatch.delenv("HAWKEYE_TEST_KEY", raising=False)
    source = Source(openai=openai_stub_server.url, model=MODEL, api_key_env="HAWKEYE_TEST_KEY")
    keyed = OpenAIBackend(ModelSpec(alias="keyed", source=source), QUICK)
    assert _error_of(keyed) == (f"{openai_stub_server.url} ({MODEL}) refused the request (HTTP 401: Invalid API "
                                "key) — set the environment variable HAWKEYE_TEST_KEY to the API key")


def test_an_unknown_model_lists_the_served_ones(registry: Registry, openai_stub_server: StubServer,
                                                stub: StubState) -> None:
    url = openai_stub_server.url
    assert _error_of(remote(registry, f"{url}#nope")) == \
        f"{url} does not serve model 'nope' — use one of: {MODEL} (as {url}#MODEL)"


def test_two_served_models_must_be_named(registry: Registry, openai_stub_server: StubServer,
                                         stub: StubState) -> None:
    stub.mode = "two_models"
    url = openai_stub_server.url
    assert _error_of(remote(registry, url)) == \
        f"{url} serves 2 models ({MODEL}, other-model), so hawkeye cannot pick one — name one: {url}#MODEL"


def test_a_prompt_too_long_is_a_context_overflow(stub: StubState, stub_backend: OpenAIBackend) -> None:
    stub.mode = "context_overflow"
    with pytest.raises(ContextOverflowError, match="maximum context length is 4096 tokens"):
        stub_backend.complete(ask("2+2?"))


NOT_OPENAI = "answered something that is not an OpenAI-compatible response"


def test_garbage_json_is_not_an_openai_compatible_response(registry: Registry, openai_stub_server: StubServer,
                                                           stub: StubState, stub_backend: OpenAIBackend) -> None:
    stub.mode = "garbage_json"
    assert NOT_OPENAI in _error_of(stub_backend)  # a stream of data that is not JSON
    assert NOT_OPENAI in _error_of(remote(registry, openai_stub_server.url))  # /v1/models answering non-JSON


def test_a_stream_of_the_wrong_shape_is_not_an_openai_compatible_response(stub: StubState,
                                                                           stub_backend: OpenAIBackend) -> None:
    stub.mode = "garbage_sse"
    assert _error_of(stub_backend) == (f"{stub_backend.url} ({MODEL}) {NOT_OPENAI} — check that the URL points at "
                                       "an OpenAI-compatible API (it usually ends in /v1)")


def test_a_stream_cut_short_is_an_error_not_an_answer(stub: StubState, stub_backend: OpenAIBackend) -> None:
    """A stream that ends without a finish_reason was interrupted: taking its text as the answer would score a
    half-written (or empty) answer as if the model had given it."""
    stub.mode = "interrupted"
    error = _error_of(stub_backend)
    assert "ended its answer without saying why" in error and "--interrupt_requests False" in error


def test_a_stream_broken_off_is_one_line(stub: StubState, stub_backend: OpenAIBackend) -> None:
    """httpx2's own error while the stream is read, which the openai client does not wrap (nor retry)."""
    stub.mode = "broken_off"
    assert _error_of(stub_backend) == (f"{stub_backend.url} ({MODEL}) broke off the connection in the middle of an "
                                       "answer — is the server still running? check its log")
    assert len(stub.requests) == 1


def test_a_server_that_never_answers_times_out(registry: Registry, openai_stub_server: StubServer,
                                               stub: StubState) -> None:
    stub.mode = "hang"
    backend = remote(registry, f"{openai_stub_server.url}#{MODEL}", HttpSettings(timeout=1, max_retries=0))
    assert _error_of(backend) == (f"{openai_stub_server.url} ({MODEL}) did not answer within 1 s — raise the "
                                  "timeout, or check that the server is not overloaded")
    assert len(stub.requests) == 1


def test_ctrl_c_while_streaming_is_not_turned_into_an_error(stub: StubState, stub_backend: OpenAIBackend) -> None:
    def interrupt(text: str) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        stub_backend.complete(ask("2+2?"), interrupt)
