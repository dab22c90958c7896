"""How `hawkeye score` looks: skipped lines on stderr as they come, then the three metrics as a table or JSON."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from hawkeye_cli.evaluation.score_file import ScoreSummary, Skipped
from hawkeye_cli.reporting.bench import format_rate
from hawkeye_cli.reporting.console import markup_safe


def report_skipped(console: Console, skipped: Skipped) -> None:
    console.print(f"[yellow]line {skipped.line} skipped:[/] {markup_safe(skipped.reason)}", highlight=False,
                  soft_wrap=True)


def score_document(summary: ScoreSummary, **meta: Any) -> dict[str, Any]:
    """`accuracy` is Math-Verify's (the primary metric); `strict` and `flexible` are lm-eval's filters."""
    return {**meta, **asdict(summary)}


def render_score(console: Console, summary: ScoreSummary) -> None:
    table = Table(title=f"{summary.source} · {summary.n} records scored, {summary.skipped} skipped",
                  title_justify="left", box=box.SIMPLE_HEAD, caption_justify="left", min_width=72,
                  caption="accuracy: Math-Verify, the primary metric; strict-match and flexible-extract as lm-eval's "
                          "gsm8k task scores (numbers only). ± standard error.")
    for column in ("metric", "accuracy"):
        table.add_column(column, justify="left" if column == "metric" else "right", no_wrap=True)
    for name, rate in (("Math-Verify", summary.accuracy), ("strict-match", summary.strict),
                       ("flexible-extract", summary.flexible)):
        table.add_row(name, format_rate(rate))
    console.print(table)

