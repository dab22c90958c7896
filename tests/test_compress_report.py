"""compress-cot's summary covers the whole output file; `compress-cot report` redraws it; the curve's plot."""

from __future__ import annotations

import errno
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from cli_runner import run_hawkeye
from hawkeye_cli.commands import compress_cot
from hawkeye_cli.compression.stats import OutputStats
from hawkeye_cli.compression.verify import Verifier
from hawkeye_cli.reporting import compression as reporting

TRACES = Path(__file__).parent / "data" / "traces.jsonl"
FAST = ["--threads", "1", "--ctx", "1024"]


def invoke(*args: str) -> Result:
    return run_hawkeye("compress-cot", *args)


def written(path: Path, target: float, line: int, gold: bool | None, cot: bool | None) -> dict[str, Any]:
    """An output line as compress-cot --verify writes it (the fields the summary reads)."""
    record: dict[str, Any] = {
        "question": "q", "cot": "c", "cot_compressed": "c", "cot_tokens": 100, "cot_kept_tokens": round(100 * target),
        "cot_ratio": target,
        "compression": {"method": "surprisal", "target_ratio": target, "tokenizer": "smollm2-135m-instruct",
                        "line": line, "answer_kept": True},
    }
    if gold is not None or cot is not None:
        record["verify"] = {"matches_gold": gold, "matches_cot": cot, "expander_tokens": 9, "expander_answer": "4",
                            "cot_answer": "4", "gold": "4", "gold_strict": None if gold is None else False,
                            "gold_flexible": gold}
    return record


@pytest.fixture
def verified_output(tmp_path: Path) -> Path:
    """Two ratios of three records; at 0.2 the expander matched gold and CoT alike (the two curves coincide)."""
    path = tmp_path / "curve.jsonl"
    rows = [written(path, 0.2, line, hit, hit) for line, hit in ((1, True), (2, False), (3, False))]
    rows += [written(path, 1.0, line, True, line != 3) for line in (1, 2, 3)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


# --- the summary covers the output file, not only this run -----------------------------------------------------


def test_a_resumed_run_summarizes_every_record_of_the_output(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    assert invoke(str(TRACES), "-o", str(out), "--limit", "2", *FAST).exit_code == 0
    resumed = invoke(str(TRACES), "-o", str(out), "--json", *FAST)
    assert resumed.exit_code == 0, resumed.output
    document = json.loads(resumed.stdout)
    assert document["records"]["compressed"] == 4 and document["records"]["resumed"] == 2  # this run
    assert document["ratios"][0]["records"] == 6  # the file
    nothing_new = json.loads(invoke(str(TRACES), "-o", str(out), "--json", *FAST).stdout)
    assert nothing_new["records"]["compressed"] == 0 and nothing_new["ratios"] == document["ratios"]
    table = " ".join(invoke(str(TRACES), "-o", str(out), *FAST).stdout.split())
    assert "every record in" in table and "earlier runs' included" in table


def test_a_run_with_other_ratios_shows_those_already_in_the_output_too(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    assert invoke(str(TRACES), "-o", str(out), "--ratio", "0.5", *FAST).exit_code == 0
    document = json.loads(invoke(str(TRACES), "-o", str(out), "--ratio", "0.2", "--json", *FAST).stdout)
    assert [(r["target"], r["records"]) for r in document["ratios"]] == [(0.2, 6), (0.5, 6)]


@pytest.mark.slow
def test_an_interrupted_verify_run_resumed_reports_the_whole_curve(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "traces.jsonl"
    data.write_text("".join(TRACES.read_text(encoding="utf-8").splitlines(keepends=True)[4:]), encoding="utf-8")
    out, summary = tmp_path / "curve.jsonl", tmp_path / "curve.json"
    args = [str(data), "-o", str(out), "--verify", "--ratios", "0.35,1.0", "--max-tokens", "24", *FAST]
    check, calls = Verifier.check, []

    def interrupted_on_the_third(self: Verifier, *rest: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return check(self, *rest)

    with monkeypatch.context() as patch:
        patch.setattr(Verifier, "check", interrupted_on_the_third)
        assert invoke(*args).exit_code == 130
    assert len(out.read_text().splitlines()) == 2  # the first record, at both ratios

    resumed = invoke(*args, "--json", "--summary", str(summary))
    assert resumed.exit_code == 0, resumed.output
    document = json.loads(resumed.stdout)
    assert document["records"]["compressed"] == 1 and document["records"]["resumed"] == 1
    for point in document["ratios"]:
        assert point["records"] == 2 and point["verified"] == 2
        assert point["accuracy_vs_gold"]["n"] == 2 and point["agreement_with_cot"]["n"] == 2
    report = json.loads(invoke("report", str(out), "--json").stdout)
    assert report["ratios"] == document["ratios"] == json.loads(summary.read_text())["ratios"]


# --- compress-cot report -------------------------------------------------------------------------------------


def test_report_redraws_table_json_summary_and_plot(verified_output: Path, tmp_path: Path) -> None:
    plot, summary = tmp_path / "out" / "curve.png", tmp_path / "out" / "curve.json"
    result = invoke("report", str(verified_output), "--plot", str(plot), "--summary", str(summary))
    assert result.exit_code == 0, result.output
    assert "Redundancy curve · surprisal" in result.stdout and "= gold" in result.stdout
    assert "1/3" in result.stdout and "3/3" in result.stdout and "2/3" in result.stdout
    assert plot.read_bytes().startswith(b"\x89PNG")
    document = json.loads(summary.read_text())
    assert document["output"] == str(verified_output) and document["method"] == "surprisal"
    assert [(r["target"], r["records"], r["accuracy_vs_gold"]["value"], r["agreement_with_cot"]["n"])
            for r in document["ratios"]] == [(0.2, 3, pytest.approx(1 / 3), 3), (1.0, 3, 1.0, 3)]
    assert [(r["strict_vs_gold"]["value"], r["flexible_vs_gold"]["value"]) for r in document["ratios"]] == [
        (0.0, pytest.approx(1 / 3)), (0.0, 1.0)]  # lm-eval's columns, as the records hold them
    assert "strict" in result.stdout and "flex" in result.stdout and "0/3" in result.stdout
    assert re.search(r"target +n +before +after +ratio +±0\.05 +answer +\= gold +strict +flex +\= CoT", result.stdout)
    assert "records" not in document  # no run, so no counts of one
    assert json.loads(invoke("report", str(verified_output), "--json").stdout) == document


def test_report_writes_what_it_can_and_reports_each_failure_on_one_line(
    verified_output: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(path: Path, text: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(compress_cot, "write_text", disk_full)
    plot, summary = tmp_path / "curve.png", tmp_path / "curve.json"
    result = invoke("report", str(verified_output), "--summary", str(summary), "--plot", str(plot))
    assert result.exit_code == 1
    assert result.stderr.strip() == (f"error: cannot write {summary}: No space left on device "
                                     "— free space on its disk, or use --summary with a writable folder")
    assert "Redundancy curve" in result.stdout  # the table came first
    assert plot.read_bytes().startswith(b"\x89PNG")  # and the other file was still written


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ('{"question": "q", "cot": "c"}\n', "line 1 is not a compress-cot output line"),
        ("", "holds no compressed records"),
    ],
)
def test_report_of_something_else_is_one_clear_line(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "traces.jsonl"
    if content is not None:
        path.write_text(content)
    result = invoke("report", str(path))
    assert result.exit_code == 1 and message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_report_plot_needs_verified_records(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    assert invoke(str(TRACES), "-o", str(out), *FAST).exit_code == 0
    result = invoke("report", str(out), "--plot", str(tmp_path / "curve.png"))
    assert result.exit_code == 1 and "holds no --verify results" in result.stderr
    assert "compress-cot · filter" in invoke("report", str(out)).stdout


def test_report_refuses_to_overwrite_its_input(verified_output: Path) -> None:
    before = verified_output.read_bytes()
    result = invoke("report", str(verified_output), "--summary", str(verified_output))
    assert result.exit_code == 1 and "is the same file as the input" in result.stderr
    assert verified_output.read_bytes() == before


# --- `compress-cot FILE` is still the run; `report` is a subcommand --------------------------------------------


def test_options_may_come_before_the_file_and_run_may_be_named(tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert invoke("-o", str(first), "--limit", "1", *FAST, str(TRACES)).exit_code == 0
    assert invoke("run", str(TRACES), "-o", str(second), "--limit", "1", *FAST).exit_code == 0
    assert first.read_text() == second.read_text() != ""


def test_an_input_file_named_report_is_given_as_a_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("report").write_text(TRACES.read_text(encoding="utf-8"), encoding="utf-8")
    result = invoke("./report", "-o", "out.jsonl", "--limit", "1", *FAST)
    assert result.exit_code == 0, result.output
    assert len(Path("out.jsonl").read_text().splitlines()) == 1


def test_help_names_both_commands() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    assert "report" in result.stdout and "./report" in result.stdout
    assert "--ratio" in invoke(str(TRACES), "--help").stdout  # the run's own help


# --- the plot ---------------------------------------------------------------------------------------------------


def test_coinciding_curves_both_stay_visible_and_targets_are_readable(
    verified_output: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    drawn = []

    @contextmanager
    def kept_axes(path: Path) -> Iterator[Any]:
        figure, axes = plt.subplots()
        yield axes
        drawn.append(axes)
        plt.close(figure)

    monkeypatch.setattr(reporting, "png_axes", kept_axes)
    stats = OutputStats()
    for line in verified_output.read_text().splitlines():
        stats.add(json.loads(line))
    reporting.plot_curve(stats, tmp_path / "curve.png")
    (axes,) = drawn
    gold, cot = (curve[0] for curve in axes.containers)  # errorbar: (data line, caps, bars)
    assert gold.get_ydata()[0] == cot.get_ydata()[0]  # equal at target 0.2 ...
    assert gold.get_xdata()[0] != cot.get_xdata()[0]  # ... yet not drawn on top of each other
    assert gold.get_marker() != cot.get_marker() and gold.get_linestyle() != cot.get_linestyle()
    (top,) = axes.child_axes
    labels = top.get_xticklabels()
    assert [label.get_text() for label in labels] == ["0.2", "1"]
    assert all(float(label.get_fontsize()) >= 9 for label in labels)
