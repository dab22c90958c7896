"""What `hawkeye serve` adds to a question's latency: the same greedy question asked in-process and through the
server (a real `hawkeye serve` subprocess, called with the openai client), several times each way.

Usage: python benchmarks/serve_overhead.py [--profile tiny] [--runs 3] [--budget 16] [--max-tokens 48] [--smoke]

Runs alternate between the two ways, so that a change in the machine's load hits both alike. Prints per run
the stages' seconds (plan + expand, as the models measured them) and the end-to-end seconds, then the means and
the serving overhead: served end-to-end against in-process end-to-end. Both ways must give the same plan and
answer (greedy decoding), which is checked.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openai

from hawkeye_cli.backends.settings import BackendSettings, LlamaCppSettings
from hawkeye_cli.loading import LoadedModels, choose_pair
from hawkeye_cli.pipeline import DecodeSettings
from hawkeye_cli.store.registry import load_registry

QUESTION = ("Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
            "How many clips did Natalia sell altogether?")
START_SECONDS = 300


Run = tuple[float, float, str, str]
"""Stage seconds (plan + expand as the models measured them), end-to-end seconds, plan, answer."""


def measure(profile: str, budget: int, max_tokens: int, threads: int, ctx: int,
            runs: int) -> tuple[list[Run], list[Run]]:
    """In-process and served runs, interleaved so that a change in the machine's load hits both ways alike."""
    pair = choose_pair(load_registry(), profile=profile)
    models = LoadedModels(BackendSettings(LlamaCppSettings(n_ctx=ctx, threads=threads)))
    collaboration = models.collaboration(pair)
    decode = DecodeSettings(budget=budget, max_tokens=max_tokens)
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "serve.log"
        with log.open("wb") as sink:
            server = subprocess.Popen(
                [sys.executable, "-m", "hawkeye_cli", "serve", "--profile", profile, "--port", "0", "--budget",
                 str(budget), "--max-tokens", str(max_tokens), "--threads", str(threads), "--ctx", str(ctx)],
                stdout=sink, stderr=sink)
        try:
            client = openai.OpenAI(base_url=f"{_wait_for_url(server, log)}/v1", api_key="unused", max_retries=0)
            local: list[Run] = []
            remote: list[Run] = []
            for run in range(-1, runs):  # run -1 warms both up (first evaluation, connection) and is not kept
                started = time.perf_counter()
                result = collaboration.ask(QUESTION, decode)
                local.append((result.seconds, time.perf_counter() - started, result.plan.cot, result.expansion.text))
                started = time.perf_counter()
                reply = client.chat.completions.create(model=f"hawkeye/{profile}",
                                                       messages=[{"role": "user", "content": QUESTION}])
                seconds = time.perf_counter() - started
                stages = reply.usage.model_extra["stages"]  # type: ignore[union-attr, index]
                message = reply.choices[0].message
                remote.append((stages["plan"]["seconds"] + stages["expand"]["seconds"], seconds,
                               message.reasoning_content, message.content or ""))  # type: ignore[attr-defined]
                if run < 0:
                    local.clear()
                    remote.clear()
            return local, remote
        finally:
            server.terminate()
            server.wait(timeout=30)


def _wait_for_url(server: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        found = re.search(r"at (http://\S+)/v1", log.read_text(encoding="utf-8", errors="replace"))
        if found:
            return found.group(1)
        if server.poll() is not None:
            sys.exit(f"hawkeye serve exited:\n{log.read_text(encoding='utf-8', errors='replace')}")
        time.sleep(0.2)
    sys.exit("hawkeye serve did not start in time")


def report(label: str, measured: list[Run]) -> tuple[float, float]:
    for stages, end_to_end, _, _ in measured:
        print(f"{label:10s} stages {stages:7.3f}s  end-to-end {end_to_end:7.3f}s")
    return statistics.mean(m[0] for m in measured), statistics.mean(m[1] for m in measured)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="tiny")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--budget", type=int, default=16)
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ctx", type=int, default=2048)
    parser.add_argument("--smoke", action="store_true", help="one run of a few tokens (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.runs, args.budget, args.max_tokens = 1, 4, 8
    local, remote = measure(args.profile, args.budget, args.max_tokens, args.threads, args.ctx, args.runs)
    if [m[2:] for m in local] != [m[2:] for m in remote]:
        sys.exit("the served plan or answer differs from the in-process one")
    local_stages, local_total = report("in-process", local)
    remote_stages, remote_total = report("served", remote)
    print(f"mean stages: in-process {local_stages:.3f}s, served {remote_stages:.3f}s "
          f"(outside the models: in-process {local_total - local_stages:.3f}s, "
          f"served {remote_total - remote_stages:.3f}s a request)")
    print(f"mean end-to-end: in-process {local_total:.3f}s, served {remote_total:.3f}s; "
          f"serving overhead {remote_total - local_total:+.3f}s ({(remote_total / local_total - 1):+.1%})")


if __name__ == "__main__":
    main()
