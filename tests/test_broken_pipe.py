"""A reader of stdout that goes away (`hawkeye models | head -2`) ends hawkeye quietly with 141 (128 + SIGPIPE), as
other commands end: no traceback, no 'Exception ignored', nothing on stderr. Real processes and real pipes."""

from __future__ import annotations

import os
import subprocess
import sys

HAWKEYE = [sys.executable, "-m", "hawkeye_cli"]
EXIT_BROKEN_PIPE = 141


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}


def test_a_pipe_closed_before_anything_is_written() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # a `head` that has already exited
    try:
        done = subprocess.run([*HAWKEYE, "models"], stdout=write_end, stderr=subprocess.PIPE, env=env(), timeout=120,
                              check=False)
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr.decode()) == (EXIT_BROKEN_PIPE, "")


def test_a_pipe_closed_after_the_first_line_of_a_stream() -> None:
    process = subprocess.Popen([*HAWKEYE, "ask", "-", "--stream", "--profile", "tiny", "--budget", "48",
                                "--max-tokens", "48", "--threads", "1", "--ctx", "1024"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env())
    assert process.stdin is not None and process.stdout is not None and process.stderr is not None
    process.stdin.write(b"Tom has 3 apples and buys 4 more. How many apples does he have?\n")
    process.stdin.close()
    first = process.stdout.readline()  # `head -1`: the plan's heading, written before any token
    process.stdout.close()
    returncode = process.wait(timeout=300)
    stderr = process.stderr.read().decode()
    process.stderr.close()

    assert first.startswith("Plan · gemma3-270m".encode())
    assert (returncode, stderr) == (EXIT_BROKEN_PIPE, "")


def test_a_json_document_on_a_closed_pipe() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run([*HAWKEYE, "models", "--json"], stdout=write_end, stderr=subprocess.PIPE, env=env(),
                              timeout=120, check=False)
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr.decode()) == (EXIT_BROKEN_PIPE, "")
