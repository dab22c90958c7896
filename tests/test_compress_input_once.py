"""compress-cot reads an input that can be read only once (a FIFO, a pipe behind /dev/stdin or <(command)) once:
every record is compressed, where counting them first used the input up (0 records, or a hang)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

TRACES = Path(__file__).parent / "data" / "traces.jsonl"
RECORDS = len(TRACES.read_text(encoding="utf-8").splitlines())


def compress_cot(source: str, out: Path, stdin: int | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen([sys.executable, "-m", "hawkeye_cli", "compress-cot", source, "-o", str(out),
                             "--threads", "1", "--ctx", "1024", "--json"],
                            stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def compressed_lines(out: Path) -> list[int]:
    return [json.loads(line)["compression"]["line"] for line in out.read_text(encoding="utf-8").splitlines()]


def test_a_fifo_is_read_once(tmp_path: Path) -> None:
    fifo = tmp_path / "traces.fifo"
    os.mkfifo(fifo)
    out = tmp_path / "concise.jsonl"

    def feed() -> None:
        with fifo.open("wb") as writer:  # blocks until compress-cot opens the FIFO for reading
            writer.write(TRACES.read_bytes())

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    process = compress_cot(str(fifo), out)
    stdout, stderr = process.communicate(timeout=300)
    writer.join(timeout=10)

    assert process.returncode == 0, stderr
    assert compressed_lines(out) == list(range(1, RECORDS + 1))
    assert json.loads(stdout)["records"]["read"] == RECORDS


def test_a_pipe_behind_dev_stdin_is_read_once(tmp_path: Path) -> None:
    out = tmp_path / "concise.jsonl"
    process = compress_cot("/dev/stdin", out, stdin=subprocess.PIPE)

    stdout, stderr = process.communicate(TRACES.read_text(encoding="utf-8"), timeout=300)

    assert process.returncode == 0, stderr
    assert compressed_lines(out) == list(range(1, RECORDS + 1))
    assert json.loads(stdout)["records"]["read"] == RECORDS
