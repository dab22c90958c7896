"""Engines that answer wrongly, through the CLI: a 404 everywhere (a URL without /v1), a web page where JSON
belongs, a server that never answers; and Ollama's native path retrying 503 as the openai client does.

Each must end in one error line that says what to do, never a traceback (a 404 once recursed until Python gave
up), and a remote engine's 404 must not take a serving request 10 s to answer."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
import yaml
from click.testing import Result
from typer.testing import CliRunner

from conftest import ScriptedBackend
from hawkeye_cli.backends.base import Request
from hawkeye_cli.backends.openai_http import OpenAIBackend
from hawkeye_cli.backends.settings import HttpSettings
from hawkeye_cli.cli import app
from hawkeye_cli.errors import RemoteError
from hawkeye_cli.store.registry import ModelSpec, Registry, Source
from openai_stub import ANSWER, MODEL, StubServer, StubState
from remote_fixtures import scripted_client, served

LOCAL = "smollm2-135m-instruct"
URL_FIX = "check the URL (an OpenAI-compatible API usually ends in /v1)"
NOT_OPENAI = ("answered something that is not an OpenAI-compatible response — check that the URL points at an "
              "OpenAI-compatible API (it usually ends in /v1)")


@pytest.fixture
def stub(openai_stub_server: StubServer) -> Iterator[StubState]:
    yield openai_stub_server.reset()
    openai_stub_server.reset()


def ask(planner: str, *options: str) -> Result:
    return CliRunner().invoke(app, ["ask", "What is 2 + 2?", "--planner", planner, "--expander", LOCAL,
                                    "--budget", "8", "--max-tokens", "8", "--ctx", "2048", "--threads", "2", *options])


def one_error_line(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "RecursionError" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def test_a_url_that_answers_404_to_everything_is_one_line(openai_stub_server: StubServer, stub: StubState) -> None:
    stub.mode = "error404"
    root = openai_stub_server.url.removesuffix("/v1")
    assert one_error_line(ask(root)) == f"error: {root} answered HTTP 404 (Not Found) — {URL_FIX}"
    named = f"{openai_stub_server.url}#{MODEL}"  # the completion's 404, then the listing's: no recursion
    assert one_error_line(ask(named)) == f"error: {openai_stub_server.url} ({MODEL}) answered HTTP 404 (Not Found) " \
                                         f"— {URL_FIX}"
    assert [r.path for r in stub.requests] == ["/v1/chat/completions", "/v1/models"]  # asked once each


@pytest.mark.slow
def test_llama_cpp_server_without_v1_is_one_line(llama_server: str) -> None:
    """The real llama_cpp.server answers 404 to /models and /chat/completions at its root."""
    root = llama_server.removesuffix("/v1")
    assert one_error_line(ask(root)) == f"error: {root} answered HTTP 404 (Not Found) — {URL_FIX}"


def test_models_check_of_an_address_that_answers_404(openai_stub_server: StubServer, stub: StubState,
                                                     tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stub.mode = "error404"
    registry = tmp_path / "models.yaml"
    registry.write_text(yaml.safe_dump({"models": {"wrong-url": {"source": {"openai": openai_stub_server.url}}}}),
                        encoding="utf-8")
    monkeypatch.setenv("HAWKEYE_MODELS", str(registry))
    result = CliRunner().invoke(app, ["models", "--json", "--check"])
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
    assert one_error_line(ask(openai_stub_server.url)) == f"error: {openai_stub_server.url} {NOT_OPENAI}"


@pytest.mark.parametrize("page", ["html", "plain_text"])
def test_a_web_page_where_the_answer_stream_belongs(openai_stub_server: StubServer, stub: StubState,
                                                    page: str) -> None:
    """With #MODEL nothing lists the models first: the 200 to the completion request is what is read."""
    stub.mode = page
    line = one_error_line(ask(f"{openai_stub_server.url}#{MODEL}"))
    assert line == f"error: {openai_stub_server.url} ({MODEL}) {NOT_OPENAI}"
    assert [r.path for r in stub.requests] == ["/v1/chat/completions"]


def test_a_server_that_never_answers_says_how_often_it_was_asked(openai_stub_server: StubServer,
                                                                  stub: StubState) -> None:
    stub.mode = "hang"
    line = one_error_line(ask(f"{openai_stub_server.url}#{MODEL}", "--timeout", "1"))
    assert line == (f"error: {openai_stub_server.url} ({MODEL}) did not answer within 1 s, at each of 3 attempts — "
                    "raise the timeout, or check that the server is not overloaded")
    assert len(stub.requests) == 3


# -- Ollama's native /api/generate: the same retries and error mapping as every other request ------------------


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


def test_ollama_native_gives_up_after_its_retries_in_one_line(openai_stub_server: StubServer,
                                                              stub: StubState) -> None:
    stub.mode = "error503"
    with pytest.raises(RemoteError) as raised:
        ollama(openai_stub_server.url, retries=2).complete(Request(8, prompt="Question: 2 + 2?\nAnswer:"))
    assert raised.value.one_line() == (f"{openai_stub_server.url} ({MODEL}) failed with HTTP 503 after 3 attempts: "
                                       "loading model, try again — check the server's log")
    assert [r.path for r in stub.requests] == ["/api/generate"] * 3

