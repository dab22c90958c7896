"""PNG plots (no display needed): the bench's accuracy against tokens, and the shared figure set-up."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hawkeye_cli.evaluation.metrics import Summary

_COLORS = {"baseline": "tab:red", "hawkeye": "tab:blue", "expander": "tab:green"}


@contextmanager
def png_axes(path: Path) -> Iterator[Any]:
    """Axes whose figure is written to `path` as PNG on leaving the block, and always closed."""
    import matplotlib

    matplotlib.use("Agg")  # files only: works on servers and in CI without a display
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=120)
    try:
        yield axes
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
