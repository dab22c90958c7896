"""A full disk under bench --out, compress-cot -o, score -o and standard output: one line naming the file and the
fix, exit 1, and every line written before kept. The disk is /dev/full (every write fails with ENOSPC) behind a
symlink where the output goes, or a disk that fills after some lines (os.write of the append-only files, patched)."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import Result

from cli_runner import Hawkeye
from hawkeye_cli import jsonl
from hawkeye_cli.evaluation.results import read_results
from scripted_models import scripted_models

FULL = Path("/dev/full")
TRACES = Path(__file__).parent / "data" / "traces.jsonl"
PROBLEMS = [{"question": f"What is {n} + {n}?", "answer": f"#### {2 * n}"} for n in range(1, 5)]
RESUME = "every line written before is kept, and the same command resumes from them"

pytestmark = pytest.mark.skipif(not FULL.exists(), reason="no /dev/full on this system")


def errors(result: Result | subprocess.CompletedProcess[str]) -> list[str]:
    assert "Traceback" not in result.stderr
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


@pytest.fixture
def bench_args(tmp_path: Path) -> Iterator[list[str]]:
    """bench gsm8k on four problems with scripted models (the disk is the subject here, not the models)."""
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps(problem) + "\n" for problem in PROBLEMS))
    with scripted_models():
        yield ["bench", "gsm8k", "--data", str(data), "--profile", "tiny", "--modes", "expander"]


@pytest.mark.parametrize(("name", "fix"), [
    ("gsm8k.jsonl", f"use another --out; {RESUME}"),
    ("gsm8k.summary.json", "use --out with a writable folder"),
])
def test_bench_files_on_a_full_disk(
    tmp_path: Path, bench_args: list[str], name: str, fix: str, hawkeye: Hawkeye
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / name).symlink_to(FULL)

    result = hawkeye(*bench_args, "--out", str(out))

    assert result.exit_code == 1
    assert errors(result) == [f"error: cannot write {out / name}: No space left on device — free space on its disk, "
                              f"or {fix}"]


def test_a_disk_that_fills_during_bench_keeps_every_finished_result(
    tmp_path: Path, bench_args: list[str], monkeypatch: pytest.MonkeyPatch, hawkeye: Hawkeye
) -> None:
    out = tmp_path / "out"
    results = out / "gsm8k.jsonl"
    room = [2 * 1024]  # bytes left on the disk of the results: a few result lines, then half of one
    real_write = os.write

    def write(fd: int, data: bytes) -> int:
        if os.readlink(f"/proc/self/fd/{fd}") != str(results):
            return real_write(fd, data)
        if room[0] <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written = real_write(fd, data[: room[0]])
        room[0] -= written
        return written

    monkeypatch.setattr(jsonl.os, "write", write)

    result = hawkeye(*bench_args, "--out", str(out))

    assert result.exit_code == 1
    assert errors(result) == [f"error: cannot write {results}: No space left on device — free space on its disk, or "
                              f"use another --out; {RESUME}"]
    kept = results.read_bytes()
    assert kept.endswith(b"\n")  # the line the disk cut is gone, the ones before are whole
    saved = len(read_results(results))
    assert 0 < saved < len(PROBLEMS)

    monkeypatch.undo()  # space freed: the same command finishes the rest
    again = hawkeye(*bench_args, "--out", str(out))
    assert again.exit_code == 0, again.output
    assert f"{saved} results already in" in again.stderr
    assert results.read_bytes().startswith(kept) and len(read_results(results)) == len(PROBLEMS)


def test_compress_cot_output_on_a_full_disk(tmp_path: Path) -> None:
    out = tmp_path / "concise.jsonl"
    out.symlink_to(FULL)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

    done = subprocess.run([sys.executable, "-m", "hawkeye_cli", "compress-cot", str(TRACES), "-o", str(out),
                           "--threads", "1", "--ctx", "1024"], capture_output=True, text=True, env=env, timeout=300,
                          check=False)

    assert done.returncode == 1, done.stderr
    assert errors(done) == [f"error: cannot write {out}: No space left on device — free space on its disk, or use "
                            f"another --output; {RESUME}"]


def test_score_verdicts_on_a_full_disk_leave_the_old_ones(tmp_path: Path, hawkeye: Hawkeye) -> None:
    data = tmp_path / "outputs.jsonl"
    data.write_text("".join(json.dumps({"response": f"\\boxed{{{n}}}", "answer": str(n)}) + "\n" for n in range(500)))
    verdicts = tmp_path / "verdicts.jsonl"
    verdicts.write_text("the verdicts of an earlier run\n")
    # score writes the verdicts beside --out first (named after its process), and renames them when done
    (tmp_path / f".verdicts.jsonl.{os.getpid()}.partial").symlink_to(FULL)

    result = hawkeye("score", str(data), "--out", str(verdicts))

    assert result.exit_code == 1
    assert errors(result) == [f"error: cannot write {verdicts}: No space left on device — free space on its disk, or "
                              f"use another --out; {verdicts} is left as it was"]
    assert verdicts.read_text() == "the verdicts of an earlier run\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["outputs.jsonl", "verdicts.jsonl"]


@pytest.mark.parametrize("args", [["models"], ["models", "--json"], ["score", str(TRACES), "--output-field", "cot",
                                                                      "--gold-field", "answer", "--json"]])
def test_standard_output_on_a_full_disk(args: list[str]) -> None:
    """`hawkeye … > file` on a full disk: what could not be printed is said in one line, not a traceback."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    with FULL.open("w") as full:
        done = subprocess.run([sys.executable, "-m", "hawkeye_cli", *args], stdout=full, stderr=subprocess.PIPE,
                              text=True, env=env, timeout=120, check=False)

    assert done.returncode == 1
    assert done.stderr.splitlines() == ["error: cannot write standard output: No space left on device — free space "
                                        "on its disk, or send the output to a disk with room"]
