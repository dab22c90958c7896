"""PNG plots (no display needed): the bench's accuracy against tokens, calibrate's trade-off, and the shared figure
set-up."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hawkeye_cli.evaluation.calibration import Calibration, pareto_front
from hawkeye_cli.evaluation.metrics import Summary

_COLORS = {"baseline": "tab:red", "hawkeye": "tab:blue", "expander": "tab:green"}


@contextmanager
def png_axes(path: Path) -> Iterator[Any]:
    """Axes whose figure is written to `path` as PNG on leaving the block, and always closed."""
    with png_panels(path, 1) as (axes,):
        yield axes


@contextmanager
def png_panels(path: Path, count: int) -> Iterator[list[Any]]:
    """`count` axes side by side, for accuracy in percent, written to `path` as PNG on leaving the block."""
    import matplotlib

    matplotlib.use("Agg")  # files only: works on servers and in CI without a display
    import matplotlib.pyplot as plt

    figure, panels = plt.subplots(1, count, figsize=(7 + 5 * (count - 1), 4.5), dpi=120, squeeze=False)
    try:
        yield list(panels[0])
        for axes in panels[0]:
            axes.set_ylim(-3, 103)
            axes.grid(alpha=0.3)
        figure.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, format="png")
    finally:
        plt.close(figure)


def plot_accuracy_vs_tokens(summaries: Sequence[Summary], path: Path, title: str) -> Path:
    """Accuracy (Math-Verify (± standard error) against mean completion tokens per item, written to `path`.

    A legend rather than labels on the points: points of similar cost would overlap their labels.
    """
    pairs = sorted({(s.planner, s.expander) for s in summaries})
    with png_axes(path) as axes:
        for s in summaries:
            marker = "os^Dv<>"[pairs.index((s.planner, s.expander)) % 7]
            label = s.label if len(pairs) == 1 else f"{s.label} ({s.planner} + {s.expander})"
            axes.errorbar(s.mean_tokens, s.accuracy.value * 100, yerr=(s.accuracy.stderr or 0) * 100,
                          fmt=marker, color=_COLORS[s.mode], capsize=3, label=label)
        axes.set_xlim(0, 1.1 * max(s.mean_tokens for s in summaries) or 1)  # savings read as distances from 0
        axes.set_xlabel("mean generated tokens per problem (all stages)")
        axes.set_ylabel(f"{title} accuracy, Math-Verify (%)")
        axes.legend(fontsize=8, loc="best")
        axes.set_title(f"{title}: " + "; ".join(f"{p} + {e}" for p, e in pairs), fontsize=10)
    return path


def plot_pareto(calibration: Calibration, path: Path, title: str) -> Path:
    """Accuracy (± standard error) against mean generated tokens per item, and against seconds per item: the
    planner alone, every setting labelled, the Pareto front (the settings nothing beats on both counts), the
    tolerance line and the chosen setting ringed."""
    baseline = calibration.baseline
    everything = [baseline, *(c.summary for c in calibration.candidates)]
    costs: list[tuple[str, Callable[[Summary], float]]] = [
        ("mean generated tokens per problem (all stages)", lambda s: s.mean_tokens),
        ("model seconds per problem", lambda s: s.mean_seconds)]
    with png_panels(path, len(costs)) as panels:
        for axes, (name, cost) in zip(panels, costs, strict=True):
            front = pareto_front(everything, cost)
            axes.step([cost(s) for s in front], [100 * s.accuracy.value for s in front], where="post",
                      color="gray", linestyle="--", linewidth=1, label="Pareto front")
            for s in everything:
                axes.errorbar(cost(s), 100 * s.accuracy.value, yerr=100 * (s.accuracy.stderr or 0), fmt="o",
                              color=_COLORS[s.mode], capsize=3)
                axes.annotate("planner alone" if s is baseline else f"@{s.budget}", (cost(s), 100 * s.accuracy.value),
                              textcoords="offset points", xytext=(5, 5), fontsize=8)
            axes.axhline(100 * baseline.accuracy.value - calibration.tolerance, color=_COLORS["baseline"],
                         linestyle=":", linewidth=1, label=f"planner alone - {calibration.tolerance:g} points")
            if calibration.chosen is not None:
                chosen = calibration.chosen.summary
                axes.scatter([cost(chosen)], [100 * chosen.accuracy.value], s=250, facecolors="none",
                             edgecolors="black", linewidths=1.5, zorder=3, label=f"chosen: {chosen.label}")
            axes.set_xlim(0, 1.15 * max(cost(s) for s in everything) or 1)
            axes.set_xlabel(name)
            axes.set_ylabel(f"{title} accuracy, Math-Verify (%)")
            axes.legend(fontsize=8, loc="best")
        panels[0].figure.suptitle(f"{title} calibration: {baseline.planner} + {baseline.expander}", fontsize=10)
    return path
