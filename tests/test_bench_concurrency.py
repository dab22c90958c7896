"""bench --concurrency and failed items, with scripted backends plugged into the backend factory (the real
remote engine runs in test_remote_cli.py)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from cli_runner import Hawkeye, run_hawkeye
from conftest import ScriptedBackend, ScriptedDriver
from hawkeye_cli import backends
from hawkeye_cli.backends.base import Completion, Request, Session
from hawkeye_cli.errors import CapabilityError, RequestError
from hawkeye_cli.evaluation.results import read_results
from openai_stub import MODEL, StubServer

QUESTIONS = [f"Problem {i}: what is {i} + {i}?" for i in range(6)]


def write_data(path: Path) -> Path:
    path.write_text("".join(json.dumps({"question": q, "answer": f"#### {2 * i}"}) + "\n"
                            for i, q in enumerate(QUESTIONS)), encoding="utf-8")
    return path


T = TypeVar("T")


class Echo(ScriptedBackend):
    """Answers each prompt with a function of the prompt (so answers do not depend on order), overlapping calls
    the way a serving engine does; `fail_on` makes requests that mention it fail as an engine refuses one request."""

    def __init__(self, fail_on: str | None = None, error: Exception | None = None) -> None:
        super().__init__([], name="echo")
        self.fail_on = fail_on
        self.error = error or RequestError("http://127.0.0.1:9/v1 rejected the request (HTTP 400)", fix="try again")
        self.in_flight = 0
        self.most_in_flight = 0
        self._lock = threading.Lock()

    def session(self, request: Request) -> Session:
        """The planner's thinking (a plan) is answered as any prompt is (its probes write nothing)."""
        return self._answering(request, lambda: super(Echo, self).session(request))

    def complete(self, request: Request, on_text: Callable[[str], None] | None = None) -> Completion:
        return self._answering(request, lambda: super(Echo, self).complete(request, on_text))

    def _answering(self, request: Request, answer: Callable[[], T]) -> T:
        prompt = self.render(request)
        with self._lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            time.sleep(0.02)  # let requests overlap
            if self.fail_on is not None and self.fail_on in prompt:
                raise self.error
            number = next(int(w) for w in prompt.replace("?", " ").split() if w.isdigit())
            with self._lock:
                self.outputs = [f"{number} plus {number} #### {2 * number}"]
                return answer()
        finally:
            with self._lock:
                self.in_flight -= 1


def bench(data: Path, out: Path, *args: str) -> tuple[int, str]:
    """Exit code and standard output."""
    result = run_hawkeye("bench", "gsm8k", "--data", str(data), "--out", str(out), "--profile", "tiny",
                         "--budget", "8", *args)
    return result.exit_code, result.stdout if result.exit_code == 0 else result.output


def comparable(out: Path) -> list[dict]:
    """Rows without their timings, in problem order."""
    rows = sorted(read_results(out / "gsm8k.jsonl"), key=lambda r: (r.index, r.mode))
    return [{"key": r.key, "strict": r.verdict.strict, "correct": r.correct, "cot_tokens": r.cot_tokens,
             "texts": {name: stage["text"] for name, stage in r.stages.items()}} for r in rows]


def test_concurrent_rows_equal_sequential_rows(tmp_path: Path) -> None:
    data = write_data(tmp_path / "data.jsonl")
    echo = Echo()
    with backends.registered("pypi", ScriptedDriver(lambda spec: echo)):
        code, output = bench(data, tmp_path / "one")
        assert code == 0, output
        assert echo.most_in_flight == 1
        code, output = bench(data, tmp_path / "four", "--concurrency", "4")
        assert code == 0, output
    assert echo.most_in_flight > 1  # items really overlapped
    assert comparable(tmp_path / "one") == comparable(tmp_path / "four")
    assert len(comparable(tmp_path / "four")) == 18
    assert "throughput: 18 items" in output and "concurrency 4" in output


def test_failed_items_are_recorded_excluded_and_retried(tmp_path: Path) -> None:
    data = write_data(tmp_path / "data.jsonl")
    out = tmp_path / "results"
    with backends.registered("pypi", ScriptedDriver(lambda spec: Echo(fail_on="Problem 2"))):
        code, output = bench(data, out, "--concurrency", "3", "--json")
    assert code == 0, output
    document = json.loads(output)
    assert {f["label"]: f["count"] for f in document["failed"]} == {"baseline": 1, "hawkeye@8": 1, "expander": 1}
    assert "HTTP 400" in document["failed"][0]["example"]
    assert all(s["n"] == 5 for s in document["summaries"])  # failed items count in no metric
    failed = [row for row in read_results(out / "gsm8k.jsonl") if row.failed]
    assert len(failed) == 3 and {row.index for row in failed} == {2}

    healthy = Echo()
    with backends.registered("pypi", ScriptedDriver(lambda spec: healthy)):
        code, output = bench(data, out)
    assert code == 0, output
    rows = read_results(out / "gsm8k.jsonl")
    assert len(rows) == 18 and not any(row.failed for row in rows)
    assert len(healthy.prompts) == 4  # only problem 2 again: baseline, plan, expand, solo


def test_an_error_that_is_not_one_items_stops_the_run_and_keeps_what_finished(tmp_path: Path) -> None:
    """Not a failed request but a failing run (here: a planner that cannot count tokens): no further item starts,
    the one line says why, and the rows that finished are saved and not asked again."""
    data = write_data(tmp_path / "data.jsonl")
    out = tmp_path / "results"
    broken = Echo(fail_on="Problem 1", error=CapabilityError("echo cannot count tokens", fix="use a local model"))
    with backends.registered("pypi", ScriptedDriver(lambda spec: broken)):
        code, output = bench(data, out, "--concurrency", "2")
    assert code == 1 and "echo cannot count tokens — use a local model" in output
    saved = read_results(out / "gsm8k.jsonl")
    assert 0 < len(saved) < 18 and not any(row.failed for row in saved)
    assert len(broken.prompts) < 4 * len(QUESTIONS)  # the items after the error never started
    healthy = Echo()
    with backends.registered("pypi", ScriptedDriver(lambda spec: healthy)):
        code, output = bench(data, out)
    assert code == 0, output
    assert len(read_results(out / "gsm8k.jsonl")) == 18 and len(healthy.prompts) == 4 * len(QUESTIONS) - sum(
        {"baseline": 1, "hawkeye": 2, "expander": 1}[row.mode] for row in saved)


def test_a_run_says_how_long_it_will_take_and_how_to_stop(tmp_path: Path, hawkeye: Hawkeye) -> None:
    data = write_data(tmp_path / "data.jsonl")
    with backends.registered("pypi", ScriptedDriver(lambda spec: Echo())):
        result = hawkeye("bench", "gsm8k", "--data", str(data), "--out", str(tmp_path / "out"),
                         "--profile", "tiny", "--limit", "1")
    assert result.exit_code == 0, result.output
    assert "(1 problem)" in result.stderr
    assert "Ctrl-C stops at any time" in result.stderr and "the same command resumes" in result.stderr
    assert "first item took" in result.stderr and "2 more at that pace" in result.stderr


def test_requests_an_engine_refuses_give_failed_rows_that_a_resumed_run_retries(
        tmp_path: Path, openai_stub_server: StubServer, hawkeye: Hawkeye) -> None:
    """The same as above through a real HTTP server (the stub refusing every prompt as too long, then healthy); an
    engine that fails outright stops the run instead (test_bench_engine_down.py)."""
    data = write_data(tmp_path / "data.jsonl")
    out = tmp_path / "results"
    endpoint = f"{openai_stub_server.url}#{MODEL}"
    args = ["bench", "gsm8k", "--data", str(data), "--out", str(out), "--limit", "2", "--planner", endpoint,
            "--expander", endpoint, "--budget", "8", "--concurrency", "2", "--json"]
    stub = openai_stub_server.reset("context_overflow")
    result = hawkeye(*args)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert {f["label"]: f["count"] for f in document["failed"]} == {"baseline": 2, "hawkeye@8": 2, "expander": 2}
    assert "maximum context length is 4096 tokens" in document["failed"][0]["example"]
    rows = read_results(out / "gsm8k.jsonl")
    assert len(rows) == 6 and all(row.failed for row in rows)
    assert len([r for r in stub.requests if r.path.startswith("/v1/c")]) == 6  # a 400 is not retried
    assert not (out / "gsm8k.png").exists()  # nothing to plot yet
    openai_stub_server.reset("inline", tokenize="vllm")  # healthy, and it counts the baseline's inline thinking
    result = hawkeye(*args)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert not document["failed"] and all(s["n"] == 2 for s in document["summaries"])
    assert not any(row.failed for row in read_results(out / "gsm8k.jsonl"))
    assert (out / "gsm8k.png").is_file()
