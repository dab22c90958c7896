"""How a calibration looks: the trade-off table and the verdict, or the same as JSON."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from hawkeye_cli.evaluation.calibration import Z_95, Calibration, Candidate
from hawkeye_cli.evaluation.metrics import Summary
from hawkeye_cli.reporting.bench import format_rate

_MISSING = "—"


def guard(tolerance: float) -> str:
    """The rule a setting passes, stated once for the table, the JSON and the README's example."""
    return (f"a setting qualifies when the one-sided 95 % upper bound of its accuracy loss against the planner "
            f"alone, loss + {Z_95:.3f} * sqrt(se_baseline² + se_setting²), is at most {tolerance:g} points (standard "
            "errors as unpaired: conservative for the same problems); the cheapest that qualifies (mean generated "
            "tokens per item, then seconds) is chosen")


def render_calibration(console: Console, calibration: Calibration, title: str) -> None:
    console.print(_table(calibration, title))
    console.print(verdict(calibration), highlight=False)


def _table(calibration: Calibration, title: str) -> Table:
    baseline = calibration.baseline
    table = Table(title=f"{title} calibration · planner {baseline.planner} + expander {baseline.expander}",
                  title_justify="left", caption_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  caption=f"loss: accuracy points below the planner alone (baseline). Guard: "
                  f"{guard(calibration.tolerance)}. tokens, s/item: generated tokens (all stages) and model seconds "
                  "per item.")
    for column in ("setting", "n", "accuracy", "loss", "bound", "tokens", "s/item", "within"):
        table.add_column(column, justify="left" if column in ("setting", "within") else "right", no_wrap=True)
    table.add_row("baseline", str(baseline.n), format_rate(baseline.accuracy), _MISSING, _MISSING,
                  f"{baseline.mean_tokens:.1f}", f"{baseline.mean_seconds:.2f}", _MISSING)
    for candidate in calibration.candidates:
        s = candidate.summary
        within = ("yes, chosen" if candidate is calibration.chosen else "yes") if candidate.qualifies else "no"
        table.add_row(s.label, str(s.n), format_rate(s.accuracy), f"{candidate.loss:+.1f}", _points(candidate.bound),
                      f"{s.mean_tokens:.1f}", f"{s.mean_seconds:.2f}", within,
                      style="bold" if candidate is calibration.chosen else None)
    return table


def _points(value: float | None) -> str:
    return _MISSING if value is None else f"{value:+.1f}"


def verdict(calibration: Calibration) -> str:
    """One line: the setting chosen and what it saves, or why none was."""
    chosen, baseline = calibration.chosen, calibration.baseline
    if chosen is not None:
        s = chosen.summary
        return (f"chosen: {s.label}, {s.mean_tokens:.0f} generated tokens and {s.mean_seconds:.2f} s per item against "
                f"the planner alone's {baseline.mean_tokens:.0f} and {baseline.mean_seconds:.2f} s "
                f"({_change(s.mean_tokens, baseline.mean_tokens)} tokens), accuracy {s.accuracy.value:.1%} against "
                f"{baseline.accuracy.value:.1%}"
                + ("; it generates no fewer tokens than the planner alone, so hawkeye saves nothing at these settings"
                   if s.mean_tokens >= baseline.mean_tokens else ""))
    closest = calibration.closest
    if closest is None:
        return "no setting to choose from: every hawkeye item failed"
    bound = "no bound with one item" if closest.bound is None else f"bound {_points(closest.bound)}"
    return (f"no setting is within {calibration.tolerance:g} points of the planner alone; the closest is "
            f"{closest.summary.label} ({closest.loss:+.1f} points, {bound}): run more problems (--limit), larger "
            "budgets, or allow more with --tolerance")


def calibration_document(calibration: Calibration, benchmark: str, **meta: Any) -> dict[str, Any]:
    """`--json`: every setting with its loss and bound (points), and the one chosen (its label, or null)."""
    return {
        "benchmark": benchmark, **meta, "tolerance": calibration.tolerance, "guard": guard(calibration.tolerance),
        "baseline": _summary(calibration.baseline),
        "candidates": [{**_summary(c.summary), **_judged(c)} for c in calibration.candidates],
        "chosen": None if calibration.chosen is None else calibration.chosen.summary.label,
        "verdict": verdict(calibration),
    }


def _summary(s: Summary) -> dict[str, Any]:
    return {"label": s.label, "budget": s.budget, "n": s.n, "accuracy": asdict(s.accuracy),
            "mean_tokens": s.mean_tokens, "mean_seconds": s.mean_seconds, "mean_cost": s.mean_cost}


def _judged(candidate: Candidate) -> dict[str, Any]:
    return {"loss": candidate.loss, "bound": candidate.bound, "qualifies": candidate.qualifies}


def _change(value: float, reference: float) -> str:
    return _MISSING if reference <= 0 else f"{value / reference - 1:+.0%}"
