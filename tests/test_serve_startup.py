"""`hawkeye serve` starting: a model that cannot load or an address that cannot be listened on is one line before
anything listens; a public address without a key is warned about; the address it prints is a URL clients can use
as it is (an IPv6 address in brackets)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import openai
import pytest

from cli_runner import Hawkeye
from conftest import ScriptedBackend, ScriptedDriver
from hawkeye_cli import backends
from hawkeye_cli.store.registry import Registry
from remote_fixtures import SERVER_START_SECONDS, stop_process


def test_unloadable_model_exits_1_before_listening(tmp_path: Path, hawkeye: Hawkeye) -> None:
    result = hawkeye("serve", "--profile", "tiny", "--planner", str(tmp_path / "missing.gguf"), "--port", "0")
    assert result.exit_code == 1
    assert result.stderr.startswith("error:") and len(result.stderr.strip().splitlines()) == 1
    assert "serving" not in result.stderr


def test_public_address_without_key_warns_and_busy_port_is_one_line(registry: Registry, hawkeye: Hawkeye) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        driver = ScriptedDriver(lambda spec: ScriptedBackend([], name=spec.alias))
        with backends.registered("pypi", driver):
            busy = hawkeye("serve", "--profile", "tiny", "--port", str(port))
            # a documentation-only address (RFC 5737): not this machine's, so it fails to bind instead of serving
            public = hawkeye("serve", "--profile", "tiny", "--host", "192.0.2.1", "--port", "0")
    assert busy.exit_code == 1 and f"cannot listen on 127.0.0.1:{port}" in busy.stderr
    assert "warning" not in busy.stderr
    assert "warning: listening on 192.0.2.1 without --api-key" in public.stderr
    assert public.exit_code == 1 and "cannot listen on 192.0.2.1" in public.stderr


@pytest.mark.slow
def test_an_ipv6_address_is_printed_in_brackets(tmp_path: Path) -> None:
    """The real command on ::1: the URL it prints is one a client can use as it is."""
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen([sys.executable, "-m", "hawkeye_cli", "serve", "--profile", "tiny", "--host", "::1",
                                    "--port", "0", "--threads", "2", "--ctx", "2048"], stdout=sink, stderr=sink,
                                   env=os.environ.copy())
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not (found := re.search(r"at (http://\S+/v1)\n", log.read_text(encoding="utf-8"))):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text(encoding="utf-8")
            time.sleep(0.2)
        url = found.group(1)
        assert re.fullmatch(r"http://\[::1\]:\d+/v1", url), url
        assert [model.id for model in openai.OpenAI(base_url=url, api_key="unused").models.list()] == ["hawkeye/tiny"]
    finally:
        stop_process(process, 30)
