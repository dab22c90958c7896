"""A question that is not UTF-8 (as an argument or on standard input) is refused before any model loads; run as a
hawkeye process, whose argv and stdin carry the raw bytes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HAWKEYE = [sys.executable, "-m", "hawkeye_cli"]


def hawkeye_process(args: list[str | bytes], home: Path, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HAWKEYE_HOME": str(home), "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([*HAWKEYE, *args], input=stdin, capture_output=True, env=env, timeout=300, check=False)
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), done.stderr.decode())


@pytest.mark.parametrize(("argument", "stdin", "where"), [
    (b"caf\xe9 au lait: how many cups?", b"", "argument"),
    (b"-", b"caf\xe9 au lait: how many cups?\n", "on standard input"),
], ids=["argv", "stdin"])
def test_a_question_that_is_not_utf8_is_refused_before_models_load(
    tmp_path: Path, argument: bytes, stdin: bytes, where: str
) -> None:
    home = tmp_path / "home"
    done = hawkeye_process(["ask", argument, "--profile", "tiny"], home, stdin)

    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines() == [
        f"error: the question {where} is not UTF-8 text — convert it to UTF-8, e.g. with iconv"
    ]
    assert not (home / "models").exists()  # nothing was loaded, so gemma was never assembled
