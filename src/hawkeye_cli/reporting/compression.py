"""How a compress-cot run looks: a progress bar, the summary (and redundancy curve) table, JSON and a PNG plot."""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from pathlib import Path
from types import TracebackType
from typing import Any

from rich import box
from rich.console import Console, Group
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from hawkeye_cli.compression.compressor import RATIO_TOLERANCE
from hawkeye_cli.compression.records import STDIO, BadRecord
from hawkeye_cli.compression.run import RunSummary
from hawkeye_cli.compression.stats import OutputStats, RatioStats
from hawkeye_cli.evaluation.metrics import Rate
from hawkeye_cli.reporting.console import markup_safe
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
            self._console.print(f"[yellow]line {bad.line} skipped:[/] {markup_safe(bad.reason)}", highlight=False,
                                soft_wrap=True)
        if self._skips == _SHOWN_SKIPS:
            self._console.print("[yellow]further skipped lines are only counted, in the summary[/]")


def summary_document(stats: OutputStats, run: RunSummary | None = None, **meta: Any) -> dict[str, Any]:
    """The output's stats per target ratio, and what this run did (no `run` for `compress-cot report`)."""
    document: dict[str, Any] = {**meta, "method": stats.method or (run and run.method),
                                "tokenizer": stats.tokenizer or (run and run.tokenizer)}
    if run is not None:
        document.update({
            "records": {
                "read": run.read,
                "compressed": run.written,
                "resumed": run.resumed,
                "skipped": len(run.skipped),
                "skipped_by_reason": dict(run.skip_reasons),
                "skipped_lines": [{"line": bad.line, "reason": bad.reason} for bad in run.skipped],
            },
            "seconds": run.seconds,
            "records_per_second": run.records_per_second,
            "tokens_scored": run.tokens_scored or None,
            "tokens_scored_per_second": _scored_per_second(run),
            "interrupted": run.interrupted,
            "sft": {"written": run.sft_written, "without_response": run.sft_without_response},
        })
    document["ratio_tolerance"] = RATIO_TOLERANCE
    document["ratios"] = [_ratio_document(ratio) for ratio in stats.by_target]
    return document


def _ratio_document(stats: RatioStats) -> dict[str, Any]:
    return {
        "target": stats.target,
        "records": stats.records,
        "mean_tokens_before": stats.tokens_before / stats.records if stats.records else None,
        "mean_tokens_after": stats.tokens_after / stats.records if stats.records else None,
        "ratio": stats.ratio if stats.records else None,
        "on_target": stats.on_target,
        "answer_kept": stats.kept_rate,
        "verified": stats.verified,
        "accuracy_vs_gold": _rate(stats.gold_hits),
        "strict_vs_gold": _rate(stats.strict_hits),
        "flexible_vs_gold": _rate(stats.flexible_hits),
        "agreement_with_cot": _rate(stats.cot_hits),
    }


def _rate(hits: list[bool]) -> dict[str, Any] | None:
    if not hits:
        return None
    rate = Rate.of(hits)
    return {"value": rate.value, "stderr": rate.stderr, "n": len(hits)}


def _scored_per_second(run: RunSummary) -> float | None:
    return run.tokens_scored / run.scoring_seconds if run.scoring_seconds > 0 else None


def render_summary(console: Console, stats: OutputStats, output: str, run: RunSummary | None = None) -> None:
    """The table covers every record of `output` (earlier runs' too); the facts below it, this run."""
    method = stats.method or (run.method if run else "")
    verified = stats.verified or (run is not None and run.verified)
    curve = verified and len(stats.ratios) > 1
    title = (
        f"Redundancy curve · {method}: the expander's answers against the fraction of CoT kept" if curve
        else f"compress-cot · {method}"
    )
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, collapse_padding=True, pad_edge=False)
    columns = ["target", "n", "before", "after", "ratio", f"±{RATIO_TOLERANCE:g}", "answer"]
    if verified:
        columns += ["= gold", "strict", "flex", "= CoT"]
    for column in columns:
        table.add_column(column, justify="right", no_wrap=True)
    for ratio in stats.by_target:
        row = [
            f"{ratio.target:g}",
            str(ratio.records),
            _mean(ratio.tokens_before, ratio.records),
            _mean(ratio.tokens_after, ratio.records),
            f"{ratio.ratio:.3f}" if ratio.records else _MISSING,
            f"{ratio.on_target}/{ratio.records}",
            _percent(ratio.kept_rate),
        ]
        if verified:
            row += [_hits(ratio.gold_hits), _hits(ratio.strict_hits), _hits(ratio.flexible_hits),
                    _hits(ratio.cot_hits)]
        table.add_row(*row)
    tokenizer = stats.tokenizer or (run.tokenizer if run else "")
    facts = Table.grid(padding=(0, 2))
    facts.add_row("rows", "this run's records" if output == STDIO else f"every record in {escape(output)}"
                  + (", earlier runs' included" if run is not None else ""))
    facts.add_row("columns", f"n: records; before/after: mean CoT tokens ({tokenizer}); "
                  f"±{RATIO_TOLERANCE:g}: records that met the target within that; answer: of the CoTs that state "
                  "their final answer, the share that still do compressed"
                  + ("; = gold / = CoT: the expander's final answer equals the gold answer / the answer of the "
                     "uncompressed CoT (Math-Verify); strict, flex: lm-eval's strict-match and flexible-extract "
                     "against the gold" if verified else ""))
    if run is not None:
        _run_facts(facts, run)
    console.print(Group(table, facts))


def _run_facts(facts: Table, run: RunSummary) -> None:
    speed = f"{run.seconds:.2f}s · {run.records_per_second:.2f} records/s"
    facts.add_row("time", speed + (" (expander included)" if run.verified else ""))
    scored = _scored_per_second(run)
    if scored is not None:
        facts.add_row("scored", f"{run.tokens_scored} tokens · {scored:.0f} tokens/s")
    facts.add_row("records", f"{run.read} read · {run.written} compressed · {run.resumed} already in "
                  f"the output · {len(run.skipped)} skipped")
    for reason, count in run.skip_reasons.most_common():
        lines = ", ".join(str(bad.line) for bad in run.skipped if bad.reason.startswith(reason))
        facts.add_row("", f"{count}x {markup_safe(reason)}: line {_shorten(lines)}")
    if run.sft_written or run.sft_without_response:
        facts.add_row("sft", f"{run.sft_written} written · {run.sft_without_response} without a response")
    if run.interrupted:
        facts.add_row("[yellow]interrupted[/]", "run the same command again to resume")


_CURVES: tuple[tuple[str, Callable[[RatioStats], Rate | None], dict[str, Any], float], ...] = (
    # (label, rate, style, x offset): distinct markers and line styles, and a small offset each way, keep both
    # lines visible where they coincide (a compressed CoT's answer is often both the gold one and the CoT's).
    ("accuracy vs gold", attrgetter("gold_accuracy"), {"fmt": "o-", "color": "tab:blue", "markersize": 7}, -0.006),
    ("agreement with the uncompressed CoT's answer", attrgetter("cot_agreement"),
     {"fmt": "s--", "color": "tab:orange", "markersize": 6, "markerfacecolor": "none"}, 0.006),
)


def plot_curve(stats: OutputStats, path: Path) -> Path:
    """Accuracy (vs gold, ± standard error) and agreement with the uncompressed CoT's answer against the
    fraction of CoT tokens kept: the redundancy curve, with each point's target ratio on the top axis."""
    points = [ratio for ratio in stats.by_target if ratio.records]
    with png_axes(path) as axes:
        for label, rate_of, style, offset in _CURVES:
            shown = [(ratio, rate) for ratio in points if (rate := rate_of(ratio)) is not None]
            if shown:
                axes.errorbar([ratio.ratio + offset for ratio, _ in shown], [rate.value * 100 for _, rate in shown],
                              yerr=[(rate.stderr or 0) * 100 for _, rate in shown], capsize=3, linewidth=1.6,
                              alpha=0.85, label=label, **style)
        axes.set_xlim(0, 1.05)
        axes.set_xlabel(f"fraction of CoT tokens kept ({stats.method})")
        targets = axes.secondary_xaxis("top")  # above the plot: no label can hide a point at 0 %
        targets.set_xticks([ratio.ratio for ratio in points], labels=[f"{ratio.target:g}" for ratio in points],
                           fontsize=10)
        targets.set_xlabel("target ratio", fontsize=10)
        axes.set_ylabel("the expander's final answer matches (%)")
        records = max((ratio.records for ratio in points), default=0)
        axes.set_title(f"Redundancy curve · {stats.method} · {records} records", fontsize=10)
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
