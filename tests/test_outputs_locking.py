"""Output files: input = output refused, unwritable paths refused before the run, appended files locked.

The locks are tested against real second processes: filelock's locks belong to a process (flock), so only
another process shows what two hawkeye runs on one file do.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import Result

from cli_runner import Hawkeye, run_hawkeye
from hawkeye_cli.compression.filter import FilterCompressor
from hawkeye_cli.errors import FileInUseError, OutputError
from hawkeye_cli.jsonl import AppendOnlyJsonl
from hawkeye_cli.outputs import require_distinct, require_writable

TRACES = Path(__file__).parent / "data" / "traces.jsonl"
FAST = ["--threads", "1", "--ctx", "1024"]


def compress(*args: str) -> Result:
    return run_hawkeye("compress-cot", *args, *FAST)


def one_error_line(result: Result) -> str:
    """The single line a user mistake prints (and exit 1, no traceback)."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# --- the input is not an output ------------------------------------------------------------------------------


@pytest.fixture
def earlier_output(tmp_path: Path) -> Path:
    """An earlier compress-cot output: what a user re-runs with another ratio."""
    out = tmp_path / "concise.jsonl"
    assert compress(str(TRACES), "-o", str(out), "--limit", "2").exit_code == 0
    return out


def test_output_equal_to_the_input_is_refused_before_anything_runs(earlier_output: Path) -> None:
    before = earlier_output.read_bytes()
    # --limit: without the check this run would read its own appended lines for ever
    line = one_error_line(compress(str(earlier_output), "-o", str(earlier_output), "--ratio", "0.2", "--limit", "4"))
    assert f"--output {earlier_output} is the same file as the input {earlier_output}" in line
    assert earlier_output.read_bytes() == before


def test_the_same_file_through_a_symlink_or_a_hard_link_is_refused(earlier_output: Path, tmp_path: Path) -> None:
    symlink, hard_link = tmp_path / "symlink.jsonl", tmp_path / "hard.jsonl"
    symlink.symlink_to(earlier_output)
    os.link(earlier_output, hard_link)
    relative = os.path.relpath(earlier_output)
    for source in (symlink, hard_link, Path(relative)):
        line = one_error_line(compress(str(source), "-o", str(earlier_output), "--ratio", "0.2", "--limit", "4"))
        assert "--output" in line and "is the same file as the input" in line
    assert len(earlier_output.read_text().splitlines()) == 2


def test_standard_input_redirected_from_the_output_is_refused(earlier_output: Path) -> None:
    """`compress-cot - -o X < X`: the same endless re-reading, through a shell's redirection."""
    before = earlier_output.read_bytes()
    with earlier_output.open("rb") as stdin:
        run = subprocess.run([sys.executable, "-m", "hawkeye_cli", "compress-cot", "-", "-o", str(earlier_output),
                              "--ratio", "0.2", "--limit", "4", *FAST], stdin=stdin, capture_output=True, text=True,
                             timeout=120)
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    assert run.stderr.strip().splitlines() == [
        f"error: --output {earlier_output} is the same file as the input /dev/stdin — give --output another path"]
    assert earlier_output.read_bytes() == before


@pytest.mark.parametrize("option", ["--export-sft", "--summary"])
def test_other_outputs_may_be_neither_the_input_nor_the_output(option: str, tmp_path: Path) -> None:
    traces, out = tmp_path / "traces.jsonl", tmp_path / "out.jsonl"
    traces.write_bytes(TRACES.read_bytes())
    line = one_error_line(compress(str(traces), "-o", str(out), option, str(traces)))
    assert f"{option} {traces} is the same file as the input" in line
    line = one_error_line(compress(str(traces), "-o", str(out), option, str(out)))
    assert f"{option} {out} is the same file as --output" in line
    assert not out.exists() and traces.read_bytes() == TRACES.read_bytes()


def test_plot_may_not_be_the_summary(tmp_path: Path) -> None:
    same = tmp_path / "curve"
    line = one_error_line(compress(str(TRACES), "-o", str(tmp_path / "out.jsonl"), "--verify", "--summary",
                                   str(same), "--plot", str(same)))
    assert f"--plot {same} is the same file as --summary" in line


def test_require_distinct_tells_apart_files_that_do_not_exist_yet(tmp_path: Path) -> None:
    require_distinct({"--output": tmp_path / "a.jsonl", "--summary": tmp_path / "b.json"})
    with pytest.raises(OutputError, match="--summary"):
        require_distinct({"--output": tmp_path / "a.jsonl", "--summary": tmp_path / "x" / ".." / "a.jsonl"})


# --- unwritable outputs, before the run ------------------------------------------------------------------------


@pytest.mark.parametrize("option", ["-o", "--export-sft", "--summary", "--plot"])
def test_a_folder_given_as_an_output_file_is_refused_before_the_run(option: str, tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    out = tmp_path / "out.jsonl"
    args = ["-o", str(folder)] if option == "-o" else ["-o", str(out), option, str(folder)]
    line = one_error_line(compress(str(TRACES), *args, "--verify"))
    name = "--output" if option == "-o" else option
    assert f"cannot write {folder}: it is a folder — use {name} with a writable folder" in line
    assert not out.exists()  # refused before the output was opened, so before any model loaded


def test_an_output_under_a_file_is_refused_before_the_run(tmp_path: Path) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("")
    out = tmp_path / "out.jsonl"
    line = one_error_line(compress(str(TRACES), "-o", str(out), "--summary", str(a_file / "summary.json")))
    assert f"cannot write {a_file / 'summary.json'}: {a_file} is a file, not a folder — use --summary" in line
    assert not out.exists()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="permissions do not bind root")
def test_an_output_in_a_read_only_folder_is_refused(tmp_path: Path) -> None:
    locked = tmp_path / "read-only"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(OutputError, match=r"cannot write .*: folder .* is not writable — use --plot"):
            require_writable(locked / "curve.png", "--plot")
    finally:
        locked.chmod(0o700)


def test_writable_paths_pass(tmp_path: Path) -> None:
    existing = tmp_path / "existing.json"
    existing.write_text("{}")
    require_writable(existing, "--summary")
    require_writable(tmp_path / "new" / "deeper" / "curve.png", "--plot")


def test_a_summary_that_cannot_be_written_at_the_end_loses_neither_table_nor_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--summary into a folder that became a file during the run: the table is printed, --summary's failure
    is one line, and the output holds every record."""
    blocked = tmp_path / "results"
    compress_records = FilterCompressor.compress

    def then_block_the_folder(self: FilterCompressor, *args: object) -> object:
        blocked.touch()
        return compress_records(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(FilterCompressor, "compress", then_block_the_folder)
    out = tmp_path / "out.jsonl"
    result = compress(str(TRACES), "-o", str(out), "--summary", str(blocked / "summary.json"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.strip().splitlines()[-1].startswith(  # after the progress bar: one line
        f"error: cannot write {blocked / 'summary.json'}: ")
    assert "compress-cot · filter" in result.stdout and "6 compressed" in result.stdout
    assert len(out.read_text().splitlines()) == 6


# --- locks: one run per file -------------------------------------------------------------------------------------

_HOLD = textwrap.dedent("""
    import sys
    from pathlib import Path
    from hawkeye_cli.jsonl import AppendOnlyJsonl
    held = AppendOnlyJsonl(Path(sys.argv[1]), lambda value: value, fsync=False, option="--out")
    print("locked", flush=True)
    sys.stdin.readline()
    held.close()
""")
Hold = Callable[[Path], None]


@pytest.fixture
def held_by_another_process() -> Iterator[Hold]:
    """hold(path): another Python process appends to `path` (holds its lock) until the test ends."""
    holders: list[subprocess.Popen[str]] = []

    def hold(path: Path) -> None:
        holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(path)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        holders.append(holder)
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"

    yield hold
    for holder in holders:
        holder.communicate("\n", timeout=60)
        assert holder.returncode == 0


def test_a_second_process_cannot_open_a_file_being_appended_to(tmp_path: Path, held_by_another_process: Hold) -> None:
    path = tmp_path / "results" / "gsm8k.jsonl"
    held_by_another_process(path)
    with pytest.raises(FileInUseError) as caught:
        AppendOnlyJsonl(path, lambda value: value, fsync=True, option="--out")
    assert caught.value.one_line() == (f"{path} is in use by another hawkeye run — wait for it to finish or use "
                                       "another --out")


def test_two_opens_in_one_process_exclude_each_other_too(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    first = AppendOnlyJsonl(path, lambda value: value, fsync=False, option="--output")
    with pytest.raises(FileInUseError):
        AppendOnlyJsonl(path, lambda value: value, fsync=False, option="--output")
    first.close()
    AppendOnlyJsonl(path, lambda value: value, fsync=False, option="--output").close()  # released on close


def test_bench_on_a_results_file_in_use_fails_at_once(
    tmp_path: Path, held_by_another_process: Hold, hawkeye: Hawkeye
) -> None:
    data = tmp_path / "gsm8k.jsonl"
    data.write_text(json.dumps({"question": "1 + 1?", "answer": "1 + 1 = 2\n#### 2"}) + "\n")
    out = tmp_path / "results"
    held_by_another_process(out / "gsm8k.jsonl")
    result = hawkeye("bench", "gsm8k", "--data", str(data), "--out", str(out), "--profile", "tiny")
    line = one_error_line(result)
    assert line == (f"error: {out / 'gsm8k.jsonl'} is in use by another hawkeye run — wait for it to finish or "
                    "use another --out")
    assert (out / "gsm8k.jsonl").read_text() == ""


@pytest.mark.parametrize("option", ["--output", "--export-sft"])
def test_compress_cot_on_an_output_in_use_fails_at_once(option: str, tmp_path: Path,
                                                        held_by_another_process: Hold) -> None:
    out, sft = tmp_path / "out.jsonl", tmp_path / "sft.jsonl"
    busy = out if option == "--output" else sft
    held_by_another_process(busy)
    line = one_error_line(compress(str(TRACES), "-o", str(out), "--export-sft", str(sft)))
    assert f"{busy} is in use by another hawkeye run — wait for it to finish or use another {option}" in line
    assert busy.read_text() == ""


def test_two_compress_cot_processes_on_one_output_write_each_record_once(tmp_path: Path) -> None:
    """A real `hawkeye compress-cot` reading stdin holds its output; a second run on it fails at once."""
    out = tmp_path / "out.jsonl"
    traces = TRACES.read_text(encoding="utf-8").splitlines(keepends=True)
    first = subprocess.Popen([sys.executable, "-m", "hawkeye_cli", "compress-cot", "-", "-o", str(out), *FAST],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert first.stdin is not None
        first.stdin.write(traces[0])
        first.stdin.flush()
        _wait_for_lines(out, 1, first)  # the first run holds the output and has written a record
        second = compress(str(TRACES), "-o", str(out))
        assert "is in use by another hawkeye run" in one_error_line(second)
    except BaseException:
        first.kill()
        first.communicate()
        raise
    _, errors = first.communicate("".join(traces[1:]), timeout=120)
    assert first.returncode == 0, errors
    assert [json.loads(line)["compression"]["line"] for line in out.read_text().splitlines()] == [1, 2, 3, 4, 5, 6]


def _wait_for_lines(path: Path, count: int, process: subprocess.Popen[str]) -> None:
    """Until `path` has `count` complete lines; fails if the process ends first (a deadline only against hangs)."""
    deadline = time.monotonic() + 120
    while not (path.is_file() and path.read_text().count("\n") >= count):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the first run wrote nothing"
        time.sleep(0.05)
