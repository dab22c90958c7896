"""A --ctx too big for memory is one line naming --ctx, not 'the file may be corrupt … hawkeye pull': refused from
an estimate before llama.cpp tries (which takes it seconds), or from llama.cpp's own failure to allocate."""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys

from cli_runner import Hawkeye

QUESTION = "What is 2 + 3?"
FIX = "use a smaller --ctx (gemma3-270m was trained for 32768 tokens)"


def test_a_context_beyond_the_machines_memory_is_refused_before_llama_cpp_tries(hawkeye: Hawkeye) -> None:
    result = hawkeye("ask", QUESTION, "--profile", "tiny", "--ctx", "100000000", "--gpu-layers", "0", "--threads", "1")

    assert result.exit_code == 1
    assert "Traceback" not in result.output and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert re.fullmatch(r"error: --ctx 100000000 does not fit in memory for gemma3-270m: its context would need "
                        r"about [\d,.]+ GiB of memory, and this machine has [\d,.]+ GiB — " + re.escape(FIX), line)


def test_llama_cpps_own_refusal_names_ctx_too() -> None:
    """Its address space capped at 2.5 GB, the process cannot allocate the 2.7 GB that 150,000 positions take,
    although the machine has the memory: llama.cpp fails, and says so only as 'Failed to create llama_context'."""
    limit = 2_500_000_000

    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-m", "hawkeye_cli", "ask", QUESTION, "--profile", "tiny", "--ctx",
                           "150000", "--gpu-layers", "0", "--threads", "1"], capture_output=True, text=True, env=env,
                          preexec_fn=cap_memory, timeout=300, check=False)

    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines() == [
        f"error: --ctx 150000 does not fit in memory for gemma3-270m: llama.cpp could not allocate its context — {FIX}"]
