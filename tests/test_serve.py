"""`hawkeye serve`: a real server subprocess on the tiny models, called with the official openai client; the
fast paths (keys, error mapping, cancellation) on scripted backends served in-process by uvicorn."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import openai
import pytest

from cli_runner import Hawkeye
from conftest import ScriptedBackend
from hawkeye_cli.backends.base import Backend, Completion, Request
from hawkeye_cli.errors import RemoteError
from hawkeye_cli.store.registry import Registry
from remote_fixtures import running, scripted_client, served, stop_process

QUESTION = "Tom has 3 apples and buys 5 more. How many apples does he have?"
SERVER_OPTIONS = ["--budget", "8", "--max-tokens", "24", "--threads", "2", "--ctx", "2048"]
START_SECONDS = 180
"""Bound on the server's start-up (two model loads on a busy CI machine)."""
LONG_ANSWER = 1000
"""max_tokens of a request that is cancelled long before it could finish."""


# --- a real `hawkeye serve` on the tiny models --------------------------------------------------------------------

class Server:
    def __init__(self, process: subprocess.Popen[bytes], log: Path) -> None:
        self.process = process
        self.log_path = log
        self.url = ""

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def client(self, **kwargs: object) -> openai.OpenAI:
        return openai.OpenAI(base_url=f"{self.url}/v1", api_key="unused", max_retries=0, **kwargs)  # type: ignore[arg-type]

    def health(self) -> dict:
        with urllib.request.urlopen(f"{self.url}/health", timeout=30) as response:
            return json.load(response)

    def wait_for_log(self, pattern: str, seconds: float = 120) -> re.Match[str]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = re.search(pattern, self.log())
            if found:
                return found
            assert self.process.poll() is None, self.log()
            time.sleep(0.2)
        raise AssertionError(f"no {pattern!r} in the server log:\n{self.log()}")


@contextmanager
def serve(tmp: Path, *options: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    """`hawkeye serve` on a port the OS picks (the start-up line names it); stopped and waited for at the end."""
    log = tmp / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen([sys.executable, "-m", "hawkeye_cli", "serve", "--profile", "tiny", "--port", "0",
                                    *SERVER_OPTIONS, *options], stdout=sink, stderr=sink,
                                   env={**os.environ, **(env or {})})
    server = Server(process, log)
    try:
        server.url = server.wait_for_log(r"at (http://127\.0\.0\.1:\d+)/v1", START_SECONDS).group(1)
        deadline = time.monotonic() + 30
        while True:
            try:
                assert server.health()["status"] == "ok"
                break
            except OSError:
                assert time.monotonic() < deadline, server.log()
                time.sleep(0.2)
        yield server
    finally:
        stop_process(process, 30)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve(tmp_path_factory.mktemp("serve")) as running:
        yield running


@pytest.fixture(scope="module")
def answered(server: Server) -> openai.types.chat.ChatCompletion:
    return server.client().chat.completions.create(model="hawkeye/tiny",
                                                   messages=[{"role": "user", "content": QUESTION}])


@pytest.mark.slow
def test_models_lists_the_served_profile(server: Server) -> None:
    models = server.client().models.list()
    assert [model.id for model in models.data] == ["hawkeye/tiny"]


@pytest.mark.slow
def test_completion_has_plan_answer_and_usage_by_stage(answered: openai.types.chat.ChatCompletion) -> None:
    message = answered.choices[0].message
    assert message.content and message.reasoning_content  # type: ignore[attr-defined]
    assert answered.model == "hawkeye/tiny"
    assert answered.choices[0].finish_reason in ("stop", "length")
    usage = answered.usage
    assert usage is not None
    stages = usage.model_extra["stages"]  # type: ignore[index]
    plan, expand = stages["plan"], stages["expand"]
    assert plan["model"] == "gemma3-270m" and expand["model"] == "smollm2-135m-instruct"
    assert 0 < plan["completion_tokens"] <= 8 and 0 < expand["completion_tokens"] <= 24  # budget and cap hold
    probe = stages["probe"]  # the planner's answer, probed where the budget cut the plan
    assert usage.prompt_tokens == plan["prompt_tokens"] + probe["prompt_tokens"] + expand["prompt_tokens"]
    assert usage.completion_tokens == (plan["completion_tokens"] + probe["completion_tokens"]
                                       + expand["completion_tokens"])
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert usage.completion_tokens_details.reasoning_tokens == (  # type: ignore[union-attr]
        plan["completion_tokens"] + probe["completion_tokens"])
    assert plan["seconds"] > 0 and expand["seconds"] > 0


@pytest.mark.slow
def test_served_answer_is_what_ask_answers(answered: openai.types.chat.ChatCompletion, hawkeye: Hawkeye) -> None:
    result = hawkeye("ask", QUESTION, "--json", "--profile", "tiny", *SERVER_OPTIONS)
    assert result.exit_code == 0, result.output
    asked = json.loads(result.stdout)
    message = answered.choices[0].message
    assert message.reasoning_content == asked["plan"]["cot"]  # type: ignore[attr-defined]
    assert message.content == asked["expansion"]["text"]


@pytest.mark.slow
def test_stream_sends_plan_then_answer_then_usage(server: Server,
                                                  answered: openai.types.chat.ChatCompletion) -> None:
    chunks = list(server.client().chat.completions.create(
        model="hawkeye/tiny", messages=[{"role": "user", "content": QUESTION}], stream=True,
        stream_options={"include_usage": True}))
    kinds = [("reasoning" if getattr(c.choices[0].delta, "reasoning_content", None) else
              "content" if c.choices[0].delta.content else "other") for c in chunks if c.choices]
    assert "reasoning" in kinds and "content" in kinds
    assert kinds.index("content") > max(i for i, kind in enumerate(kinds) if kind == "reasoning")
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert content == answered.choices[0].message.content  # greedy: the same answer, streamed or not
    finished = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finished == [answered.choices[0].finish_reason]
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None
    assert last.usage.total_tokens == answered.usage.total_tokens  # type: ignore[union-attr]


@pytest.mark.slow
def test_unknown_model_is_404(server: Server) -> None:
    with pytest.raises(openai.NotFoundError) as raised:
        server.client().chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": QUESTION}])
    assert raised.value.code == "model_not_found"
    assert "hawkeye/tiny" in raised.value.message


@pytest.mark.slow
def test_question_longer_than_the_context_is_400(server: Server) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        server.client().chat.completions.create(model="hawkeye/tiny",
                                                messages=[{"role": "user", "content": "apple " * 3000}])
    assert raised.value.code == "context_length_exceeded"
    assert server.health()["status"] == "ok"


@pytest.mark.slow
def test_disconnect_stops_generation_and_health_answers_meanwhile(server: Server) -> None:
    client = server.client()
    stream = client.chat.completions.create(
        model="hawkeye/tiny@9", max_tokens=LONG_ANSWER, stream=True,
        messages=[{"role": "user", "content": "List the first 300 prime numbers, one per line."}])
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            break
    assert server.health()["in_flight"] == 1  # the event loop answers while a model generates
    stream.close()
    client.close()
    line = server.wait_for_log(r".*hawkeye/tiny@9 cancelled.*").group(0)
    stopped = re.search(r"expand stopped after (\d+) pieces", line)
    assert stopped is not None and int(stopped.group(1)) < LONG_ANSWER, line


@pytest.mark.slow
def test_concurrent_requests_are_both_answered(server: Server) -> None:
    questions = ["What is 2 + 2?", "What is 10 - 3?"]

    def ask(question: str) -> str | None:
        reply = server.client().chat.completions.create(model="hawkeye/tiny",
                                                        messages=[{"role": "user", "content": question}])
        return reply.choices[0].message.content

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(ask, questions))
    assert all(answers)
    assert server.health()["in_flight"] == 0


@pytest.mark.slow
def test_one_log_line_per_request(server: Server) -> None:
    """Counted for requests only this test makes (a budget no other test asks for): exactly one line each."""
    before = server.log()
    server.client().models.list()
    server.client().chat.completions.create(model="hawkeye/tiny@7", messages=[{"role": "user", "content": QUESTION}])
    server.wait_for_log(r"hawkeye/tiny@7 200")
    new = server.log()[len(before):].splitlines()
    assert len([line for line in new if re.search(r"GET /v1/models 200 · [\d.]+s$", line)]) == 1
    answered = [line for line in new if "hawkeye/tiny@7" in line]
    assert len(answered) == 1, new
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d POST /v1/chat/completions hawkeye/tiny@7 200 · "
                        r"plan \d+ tok [\d.]+s · stop budget · probe \d+ tok [\d.]+s · expand \d+ tok [\d.]+s · "
                        r"(agree|disagree|not compared) · [\d.]+s", answered[0]), answered[0]


@pytest.mark.slow
def test_the_key_from_the_environment_is_required_and_sigterm_stops_the_server_cleanly(tmp_path: Path) -> None:
    """The real command: HAWKEYE_API_KEY guards /v1; SIGTERM during a generation gives it the grace period, then
    cancels it and tells its client, and the process exits by itself, freeing the port."""
    with serve(tmp_path, env={"HAWKEYE_API_KEY": "sesame"}) as guarded:
        with pytest.raises(openai.AuthenticationError):
            guarded.client().models.list()  # the key "unused"
        client = openai.OpenAI(base_url=f"{guarded.url}/v1", api_key="sesame", max_retries=0)
        assert [model.id for model in client.models.list().data] == ["hawkeye/tiny"]
        stream = iter(client.chat.completions.create(  # a long plan: the planner is still thinking after the grace
            model="hawkeye/tiny@400", max_tokens=LONG_ANSWER, stream=True,
            messages=[{"role": "user", "content": "List the first 300 prime numbers, one per line."}]))
        next(stream)
        signalled = time.monotonic()
        guarded.process.send_signal(signal.SIGTERM)
        with pytest.raises(openai.APIError) as raised:
            list(stream)
        assert "server is shutting down" in raised.value.message
        # uvicorn shuts down, then lets SIGTERM end the process as it would have: the conventional exit status
        assert guarded.process.wait(timeout=60) == -signal.SIGTERM, guarded.log()
        assert time.monotonic() - signalled < 30
        assert "Traceback" not in guarded.log() and "cancelled" in guarded.log()
        port = int(guarded.url.rsplit(":", 1)[1])
        with socket.socket() as again:  # nothing listens there any more
            assert again.connect_ex(("127.0.0.1", port)) != 0


# --- a remote planner through a real `python -m llama_cpp.server` ---------------------------------------------------

@pytest.mark.slow
def test_serving_with_a_remote_planner(llama_server: str, tmp_path: Path, hawkeye: Hawkeye) -> None:
    """serve loads an endpoint like any model: the plan comes from llama_cpp.server, the answer from the local
    expander, and the served result equals `hawkeye ask` with the same planner."""
    with serve(tmp_path, "--planner", llama_server) as remote:
        reply = remote.client().chat.completions.create(model="hawkeye/tiny",
                                                        messages=[{"role": "user", "content": QUESTION}])
    message = reply.choices[0].message
    reasoning = (message.model_extra or {}).get("reasoning_content")
    assert reasoning and message.content
    asked = hawkeye("ask", QUESTION, "--json", "--profile", "tiny", "--planner", llama_server, *SERVER_OPTIONS)
    assert asked.exit_code == 0, asked.output
    document = json.loads(asked.stdout)
    # The same thinking; the probe that ends a cut plan may answer otherwise the second time, when the server
    # serves the shared prompt from its cache (other batches, other arithmetic): its answer is not compared.
    def thinking(plan: str) -> str:
        return plan.partition("\n\nFinal answer:")[0]

    assert thinking(reasoning) == thinking(document["plan"]["cot"])


# --- scripted backends, served in-process --------------------------------------------------------------------------

class Endless(Backend):
    """Writes one word every 10 ms, for a minute unless something raises from its text hook; `stopped` is set
    when it returns, `cancelled` when it was stopped."""

    def __init__(self) -> None:
        self.name = "endless"
        self.n_ctx = None
        self.stopped = threading.Event()
        self.cancelled = False

    def complete(self, request: Request, on_text: Callable[[str], None] | None = None) -> Completion:
        try:
            for _ in range(6000):
                if on_text is not None:
                    on_text("word ")
                time.sleep(0.01)
        except Exception:
            self.cancelled = True
            raise
        finally:
            self.stopped.set()
        return Completion("word " * 6000, 1, 6000, 0.01, 60.0, "length")


class Failing(Backend):
    def __init__(self, error: Exception) -> None:
        self.name = "failing"
        self.n_ctx = None
        self.error = error

    def complete(self, request: Request, on_text: Callable[[str], None] | None = None) -> Completion:
        raise self.error


ASK = {"model": "hawkeye/tiny", "messages": [{"role": "user", "content": "What is 1 + 1?"}]}


def test_api_key_is_required_on_v1_not_on_health(registry: Registry) -> None:
    planner, expander = ScriptedBackend(["one plus one"]), ScriptedBackend(["It is 2. #### 2"])
    with served(registry, planner, expander, api_key="sesame") as url:
        with pytest.raises(openai.AuthenticationError) as raised:
            scripted_client(url, "wrong").chat.completions.create(**ASK)  # type: ignore[call-overload]
        assert raised.value.code == "invalid_api_key"
        with pytest.raises(urllib.error.HTTPError) as missing:  # the openai client always sends a key
            urllib.request.urlopen(urllib.request.Request(f"{url}/chat/completions", data=json.dumps(ASK).encode(),
                                                          headers={"Content-Type": "application/json"}))
        assert missing.value.code == 401 and json.load(missing.value)["error"]["code"] == "invalid_api_key"
        with pytest.raises(openai.AuthenticationError):
            scripted_client(url, "wrong").models.list()
        with urllib.request.urlopen(url.removesuffix("/v1") + "/health") as response:
            assert response.status == 200
        reply = scripted_client(url, "sesame").chat.completions.create(**ASK)  # type: ignore[call-overload]
    assert reply.choices[0].message.content == "It is 2. #### 2"
    assert reply.choices[0].message.reasoning_content == "one plus one"  # type: ignore[attr-defined]


def test_model_name_sets_the_budget_and_the_last_user_message_is_the_question(registry: Registry) -> None:
    planner, expander = ScriptedBackend(["a b c d e f g h"]), ScriptedBackend(["done"])
    messages = [{"role": "user", "content": "an earlier question"}, {"role": "assistant", "content": "earlier"},
                {"role": "user", "content": [{"type": "text", "text": "the real question"}]}]
    with served(registry, planner, expander) as url:
        reply = scripted_client(url).chat.completions.create(model="tiny@3", messages=messages)  # type: ignore[arg-type]
        with pytest.raises(openai.BadRequestError) as bad_budget:
            scripted_client(url).chat.completions.create(model="hawkeye/tiny@zero", messages=messages)  # type: ignore[arg-type]
    assert reply.model == "hawkeye/tiny@3"
    assert reply.choices[0].message.reasoning_content == "a b c"  # type: ignore[attr-defined]
    assert "the real question" in planner.prompts[0] and "earlier" not in planner.prompts[0]
    assert bad_budget.value.code == "invalid_budget"


@pytest.mark.parametrize(("error", "status", "code"), [
    (RemoteError("the engine at http://gpu:8000/v1 refused the request"), 502, "upstream_error"),
    (RemoteError("the engine did not answer in time"), 504, "upstream_timeout"),
])
@pytest.mark.parametrize("stream", [False, True])
def test_engine_failures_are_gateway_errors(registry: Registry, error: RemoteError, status: int, code: str,
                                            stream: bool) -> None:
    if code == "upstream_timeout":
        error.__cause__ = TimeoutError("read timed out")
    with served(registry, Failing(error), ScriptedBackend([])) as url:
        with pytest.raises(openai.APIStatusError) as raised:
            scripted_client(url).chat.completions.create(**ASK, stream=stream)  # type: ignore[call-overload]
        assert raised.value.status_code == status and raised.value.code == code
        assert "the engine" in raised.value.message
        assert scripted_client(url).models.list().data  # the server lives on


def test_bad_request_is_400_openai_style(registry: Registry) -> None:
    with served(registry, ScriptedBackend([]), ScriptedBackend([])) as url:
        for body in ({"model": "hawkeye/tiny"}, {**ASK, "temperature": "hot"},
                     {**ASK, "messages": [{"role": "system", "content": "be brief"}]}):
            request = urllib.request.Request(f"{url}/chat/completions", data=json.dumps(body).encode(),
                                             headers={"Content-Type": "application/json"})
            with pytest.raises(urllib.error.HTTPError) as raised:
                urllib.request.urlopen(request)
            assert raised.value.code == 400
            error = json.load(raised.value)["error"]
            assert error["type"] == "invalid_request_error" and error["message"]


@pytest.mark.parametrize("stream", [True, False])
def test_client_that_goes_away_stops_generation(registry: Registry, stream: bool) -> None:
    endless = Endless()
    with served(registry, endless, ScriptedBackend([])) as url:
        if stream:
            client = scripted_client(url)
            chunks = client.chat.completions.create(**ASK, stream=True)  # type: ignore[call-overload]
            next(iter(chunks))
            chunks.close()
            client.close()
        else:
            with pytest.raises(openai.APITimeoutError):
                scripted_client(url, timeout=0.5).chat.completions.create(**ASK)  # type: ignore[call-overload]
        assert endless.stopped.wait(timeout=30) and endless.cancelled, "generation went on after the client left"


def test_shutdown_cancels_generation_and_tells_the_client(registry: Registry) -> None:
    endless = Endless()
    with running(registry, endless, ScriptedBackend([])) as (url, server, thread):
        client = scripted_client(url)
        chunks = iter(client.chat.completions.create(**ASK, stream=True))  # type: ignore[call-overload]
        next(chunks)
        server.should_exit = True  # what SIGINT and SIGTERM do
        with pytest.raises(openai.APIError) as raised:
            list(chunks)
        thread.join(timeout=60)
        assert not thread.is_alive()
    assert "server is shutting down" in raised.value.message
    assert endless.stopped.is_set() and endless.cancelled
