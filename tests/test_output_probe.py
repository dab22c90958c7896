"""Outputs are checked by trying them, not by permission bits (root passes os.access everywhere): a --plot in
/proc is refused before any model runs, and the check leaves nothing behind and changes nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cli_runner import Hawkeye
from hawkeye_cli.commands import compress_cot
from hawkeye_cli.errors import OutputError
from hawkeye_cli.outputs import require_writable

TRACES = Path(__file__).parent / "data" / "traces.jsonl"
PROC = Path("/proc")

needs_proc = pytest.mark.skipif(not (PROC / "self").exists(), reason="no /proc on this system")


@needs_proc
def test_a_plot_in_proc_is_refused_before_any_model_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hawkeye: Hawkeye
) -> None:
    monkeypatch.setattr(compress_cot, "compressor_for", lambda *args: pytest.fail("a model ran before the check"))
    out = tmp_path / "concise.jsonl"

    result = hawkeye("compress-cot", str(TRACES), "-o", str(out), "--verify", "--plot", "/proc/x.png")

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: cannot write /proc/x.png: folder /proc takes no new file (No such file or directory) — use --plot "
        "with a writable folder"]
    assert not out.exists()


@needs_proc
def test_missing_folders_in_proc_are_refused_too() -> None:
    with pytest.raises(OutputError, match=r"cannot write /proc/new/x.png: folder /proc takes no new file"):
        require_writable(PROC / "new" / "x.png", "--plot")


def test_an_existing_file_is_checked_without_being_changed(tmp_path: Path) -> None:
    existing = tmp_path / "curve.png"
    existing.write_bytes(b"an earlier plot")
    os.utime(existing, (1_000_000, 1_000_000))

    require_writable(existing, "--plot")

    assert existing.read_bytes() == b"an earlier plot"
    assert existing.stat().st_mtime == 1_000_000
    assert sorted(path.name for path in tmp_path.iterdir()) == ["curve.png"]


@pytest.mark.skipif(not Path("/sys/kernel/notes").is_file(), reason="no /sys/kernel/notes on this system")
def test_an_existing_file_that_takes_no_writes_is_refused() -> None:
    with pytest.raises(OutputError) as caught:  # os.access says yes to root; opening it says no
        require_writable(Path("/sys/kernel/notes"), "--summary")
    assert caught.value.one_line() == ("cannot write /sys/kernel/notes: permission denied — use --summary with a "
                                       "writable folder")
