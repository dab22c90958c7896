"""How a compress-cot run looks: a progress bar, the summary (and redundancy curve) table, JSON and a PNG plot."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

from rich.console import Console, Group
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from hawkeye_cli.compression.compressor import RATIO_TOLERANCE
from hawkeye_cli.compression.records import BadRecord
from hawkeye_cli.compression.run import RatioStats, RunSummary
from hawkeye_cli.evaluation.metrics import Rate
from hawkeye_cli.reporting.plots import png_axes

_MISSING = "-"
_SHOWN_SKIPS = 20
"""Skipped lines are announced one by one up to this many, then only counted (the summary has them all)."""


class CompressionProgress:
    """Records done (of the input's lines, when known), elapsed and remaining time, and each skipped line."""

    def __init__(self, console: Console, method: str, total: int | None) -> None:
        self._console = console
        self._progress = Progress(
            TextColumn(f"{method:<9}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            refresh_per_second=4,
        )
        self._task = self._progress.add_task(method, total=total)
        self._skips = 0

    def __enter__(self) -> CompressionProgress:
        self._progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._progress.stop()

    def advance(self) -> None:
        self._progress.advance(self._task)

    def skipped(self, bad: BadRecord) -> None:
        self._skips += 1
        if self._skips <= _SHOWN_SKIPS:
            self._console.print(f"[yellow]line {bad.line} skipped:[/] {escape(bad.reason)}", highlight=False,
                                soft_wrap=True)
        if self._skips == _SHOWN_SKIPS:
            self._console.print("[yellow]further skipped lines are only counted, in the summary[/]")


def summary_document(summary: RunSummary, **meta: Any) -> dict[str, Any]:
    return {
        **meta,
        "method": summary.method,
        "tokenizer": summary.tokenizer,
        "records": {
            "read": summary.read,
            "compressed": summary.written,
            "resumed": summary.resumed,
            "skipped": len(summary.skipped),
            "skipped_by_reason": dict(summary.skip_reasons),
            "skipped_lines": [{"line": bad.line, "reason": bad.reason} for bad in summary.skipped],
        },
        "seconds": summary.seconds,
        "records_per_second": summary.records_per_second,
        "tokens_scored": summary.tokens_scored or None,
        "tokens_scored_per_second": _scored_per_second(summary),
        "interrupted": summary.interrupted,
        "ratio_tolerance": RATIO_TOLERANCE,
        "sft": {"written": summary.sft_written, "without_response": summary.sft_without_response},
        "ratios": [_ratio_document(stats) for stats in summary.stats.values()],
    }


def _ratio_document(stats: RatioStats) -> dict[str, Any]:
    return {
        "target": stats.target,
        "records": stats.records,
        "mean_tokens_before": stats.tokens_before / stats.records if stats.records else None,
        "mean_tokens_after": stats.tokens_after / stats.records if stats.records else None,
        "ratio": stats.ratio if stats.records else None,
        "on_target": stats.on_target,
        "answer_kept": stats.kept_rate,
        "accuracy_vs_gold": _rate(stats.gold_accuracy, len(stats.gold_hits)),
        "agreement_with_cot": _rate(stats.cot_agreement, len(stats.cot_hits)),
    }


def _rate(rate: Rate | None, n: int) -> dict[str, Any] | None:
    return None if rate is None else {"value": rate.value, "stderr": rate.stderr, "n": n}


def _scored_per_second(summary: RunSummary) -> float | None:
    return summary.tokens_scored / summary.scoring_seconds if summary.scoring_seconds > 0 else None


def render_summary(console: Console, summary: RunSummary) -> None:
    curve = summary.verified and len(summary.stats) > 1
    title = (
        f"Redundancy curve · {summary.method}: the expander's answers against the fraction of CoT kept" if curve
        else f"compress-cot · {summary.method}"
    )
    table = Table(title=title, title_justify="left")
    columns = ["target", "n", "before", "after", "ratio", f"±{RATIO_TOLERANCE:g}", "answer"]
    if summary.verified:
        columns += ["= gold", "= CoT"]
    for column in columns:
        table.add_column(column, justify="right", no_wrap=True)
    for stats in summary.stats.values():
        row = [
            f"{stats.target:g}",
            str(stats.records),
            _mean(stats.tokens_before, stats.records),
            _mean(stats.tokens_after, stats.records),
            f"{stats.ratio:.3f}" if stats.records else _MISSING,
            f"{stats.on_target}/{stats.records}",
            _percent(stats.kept_rate),
        ]
        if summary.verified:
            row += [_hits(stats.gold_hits), _hits(stats.cot_hits)]
        table.add_row(*row)
    facts = Table.grid(padding=(0, 2))
    facts.add_row("columns", f"n: records; before/after: mean CoT tokens ({summary.tokenizer}); "
                  f"±{RATIO_TOLERANCE:g}: records that met the target within that; answer: of the CoTs that state "
                  "their final answer, the share that still do compressed"
                  + ("; = gold / = CoT: the expander's final answer equals the gold answer / the answer of the "
                     "uncompressed CoT" if summary.verified else ""))
    speed = f"{summary.seconds:.2f}s · {summary.records_per_second:.2f} records/s"
    facts.add_row("time", speed + (" (expander included)" if summary.verified else ""))
    scored = _scored_per_second(summary)
    if scored is not None:
        facts.add_row("scored", f"{summary.tokens_scored} tokens · {scored:.0f} tokens/s")
    facts.add_row("records", f"{summary.read} read · {summary.written} compressed · {summary.resumed} already in "
                  f"the output · {len(summary.skipped)} skipped")
    for reason, count in summary.skip_reasons.most_common():
        lines = ", ".join(str(bad.line) for bad in summary.skipped if bad.reason.startswith(reason))
        facts.add_row("", f"{count}x {escape(reason)}: line {_shorten(lines)}")
    if summary.sft_written or summary.sft_without_response:
        facts.add_row("sft", f"{summary.sft_written} written · {summary.sft_without_response} without a response")
    if summary.interrupted:
        facts.add_row("[yellow]interrupted[/]", "run the same command again to resume")
    console.print(Group(table, facts))


def plot_curve(summary: RunSummary, path: Path) -> Path:
    """Accuracy (vs gold, ± standard error) and agreement with the uncompressed CoT's answer against the
    fraction of CoT tokens kept: the redundancy curve."""
    points = [stats for stats in summary.stats.values() if stats.records]
    with png_axes(path) as axes:
        for label, rates, marker in (
            ("accuracy vs gold", [s.gold_accuracy for s in points], "o-"),
            ("agreement with the uncompressed CoT's answer", [s.cot_agreement for s in points], "s--"),
        ):
            shown = [(s.ratio, r) for s, r in zip(points, rates, strict=True) if r is not None]
            if shown:
                axes.errorbar([x for x, _ in shown], [r.value * 100 for _, r in shown],
                              yerr=[(r.stderr or 0) * 100 for _, r in shown], fmt=marker, capsize=3, label=label)
        for stats in points:
            axes.annotate(f"{stats.target:g}", (stats.ratio, 0), textcoords="offset points", xytext=(0, 4),
                          ha="center", fontsize=7, color="gray")
        axes.set_xlim(0, 1.05)
        axes.set_xlabel(f"fraction of CoT tokens kept ({summary.method}; gray: target ratio)")
        axes.set_ylabel("the expander's final answer matches (%)")
        axes.set_title(f"Redundancy curve · {summary.method} · {points[0].records if points else 0} records",
                       fontsize=10)
        axes.legend(fontsize=8, loc="best")
    return path


def _mean(total: int, count: int) -> str:
    return f"{total / count:.0f}" if count else _MISSING


def _percent(fraction: float | None) -> str:
    return _MISSING if fraction is None else f"{fraction:.0%}"


def _hits(hits: list[bool]) -> str:
    return f"{sum(hits)}/{len(hits)}" if hits else _MISSING


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(",", 1)[0] + ", …"
