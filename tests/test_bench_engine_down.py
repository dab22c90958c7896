"""A bench whose engine goes away: every further item would fail the same way, so the run stops at once with one
line naming the failure and saying that the same command resumes, exit 1, keeping every finished row. (Before,
a planner killed mid-run let every remaining item run and fail, and the run exited 0.)

The engine is the OpenAI stub in a process of its own that dies abruptly after a few answers, as a killed
server does; it is then started again on the same port, and the same command finishes the run."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import Result

from cli_runner import run_hawkeye
from hawkeye_cli.evaluation.results import read_results
from openai_stub import MODEL, StubServer
from remote_fixtures import free_port, stop_process

PROBLEMS = 6
STUB = Path(__file__).parent / "openai_stub.py"


@contextmanager
def engine(port: int, *options: str) -> Iterator[subprocess.Popen[bytes]]:
    """The stub on 127.0.0.1:`port`, serving once /v1/models answers; stopped at the end if still running."""
    process = subprocess.Popen([sys.executable, str(STUB), str(port), *options])
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=5):
                    break
            except (urllib.error.URLError, OSError):
                assert process.poll() is None and time.monotonic() < deadline, "the stub did not start"
                time.sleep(0.1)
        yield process
    finally:
        stop_process(process)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "data.jsonl"
    path.write_text("".join(json.dumps({"question": f"What is {i} + {i}?", "answer": f"#### {2 * i}"}) + "\n"
                            for i in range(PROBLEMS)), encoding="utf-8")
    return path


def bench(data: Path, out: Path, url: str, concurrency: int) -> Result:
    """Both models on the engine, one request per item (the expander alone)."""
    endpoint = f"{url}#{MODEL}"
    return run_hawkeye("bench", "gsm8k", "--data", str(data), "--out", str(out), "--modes", "expander",
                       "--planner", endpoint, "--expander", endpoint, "--concurrency", str(concurrency),
                       "--timeout", "10")


def error_lines(result: Result) -> list[str]:
    assert "Traceback" not in result.output
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


@pytest.mark.parametrize("concurrency", [1, 3])
def test_an_engine_killed_mid_run_stops_it_and_the_same_command_resumes(data: Path, tmp_path: Path,
                                                                         concurrency: int) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    out = tmp_path / "results"
    with engine(port, "--exit-after", "2") as killed:
        stopped = bench(data, out, url, concurrency)
        assert killed.wait(timeout=30) != 0  # it died; nothing stopped it gracefully
    assert stopped.exit_code == 1, stopped.output
    [line] = error_lines(stopped)
    saved = read_results(out / "gsm8k.jsonl")
    assert 2 <= len(saved) < PROBLEMS and not any(row.failed for row in saved)
    stopped_there = f"(the run stopped there; {len(saved)} new results saved in {out / 'gsm8k.jsonl'})"
    if concurrency == 1:  # the next request finds nothing listening
        assert len(saved) == 2
        assert line == (f"error: cannot reach {url} ({MODEL}) after 3 attempts {stopped_there} — is the server "
                        "running? check the URL, then run the same command again: it resumes")
    else:  # or, for one that was in flight, the connection went in the middle of its answer
        assert line.startswith((f"error: cannot reach {url} ({MODEL}) after 3 attempts {stopped_there} — ",
                                f"error: {url} ({MODEL}) broke off the connection in the middle of an answer "
                                f"{stopped_there} — "))
        assert line.endswith(", then run the same command again: it resumes")

    with engine(port):  # the engine is back: the same command does only what is missing
        resumed = bench(data, out, url, concurrency)
    assert resumed.exit_code == 0, resumed.output
    rows = read_results(out / "gsm8k.jsonl")
    assert sorted(row.index for row in rows) == list(range(PROBLEMS)) and not any(row.failed for row in rows)


def test_an_engine_failing_every_request_stops_the_run_at_once(data: Path, tmp_path: Path,
                                                               openai_stub_server: StubServer) -> None:
    """HTTP 500 after the client's retries is the engine's failure, not the item's: no row, one line."""
    stub = openai_stub_server.reset("error500")
    out = tmp_path / "results"
    result = bench(data, out, openai_stub_server.url, 1)
    assert result.exit_code == 1, result.output
    assert error_lines(result) == [
        f"error: {openai_stub_server.url} ({MODEL}) failed with HTTP 500 after 3 attempts: engine crashed (the run "
        f"stopped there; 0 new results saved in {out / 'gsm8k.jsonl'}) — check the server's log, then run the same "
        "command again: it resumes"]
    assert len(stub.requests) == 3  # one item, tried three times; none after it
    assert not (out / "gsm8k.jsonl").exists() or not read_results(out / "gsm8k.jsonl")
