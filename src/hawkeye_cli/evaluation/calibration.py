"""Choosing a planner budget from a bench's summaries: the cheapest hawkeye setting whose accuracy stays within a
tolerance of the planner alone, judged not by the measured difference but by its one-sided 95 % upper bound, so
that a setting that only looks as good on a few problems is not chosen.

The bound uses the standard errors the summaries carry (one per setting) as if the two were independent samples:
    bound = (acc_baseline - acc_setting) + 1.645 * sqrt(se_baseline² + se_setting²)
Both ran the same problems, whose difficulty makes their scores go together, so the true standard error of the
difference is smaller: this bound is conservative (it may reject a setting that a paired test would accept).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import NormalDist

from hawkeye_cli.errors import CalibrationError
from hawkeye_cli.evaluation.metrics import Summary

Z_95 = NormalDist().inv_cdf(0.95)
"""1.645: the one-sided 95 % quantile of the normal distribution."""
DEFAULT_TOLERANCE = 2.0
"""Accuracy points a setting may lose against the planner alone."""
_SLACK = 1e-9
"""Points: a bound equal to the tolerance qualifies, whatever floating point makes of it."""


@dataclass(frozen=True)
class Candidate:
    """A hawkeye setting measured against the planner alone on the same problems."""

    summary: Summary
    loss: float
    """Accuracy points lost against the planner alone (negative: gained)."""
    bound: float | None
    """The loss's one-sided 95 % upper bound, in points; None when either side has no standard error (one item)."""
    qualifies: bool
    """bound <= tolerance."""

    @property
    def cost(self) -> tuple[float, float]:
        """What 'cheapest' compares: mean generated tokens per item, then mean seconds."""
        return self.summary.mean_tokens, self.summary.mean_seconds


@dataclass(frozen=True)
class Calibration:
    baseline: Summary
    candidates: tuple[Candidate, ...]
    tolerance: float
    """Points."""
    chosen: Candidate | None
    """The cheapest qualifying candidate; None when none qualifies."""

    @property
    def closest(self) -> Candidate | None:
        """What to suggest when none qualifies: the least loss, then the cheapest."""
        return min(self.candidates, key=lambda c: (c.loss, c.cost), default=None)


def loss_bound(baseline: Summary, candidate: Summary) -> float | None:
    """The one-sided 95 % upper bound of the accuracy points `candidate` loses against `baseline`."""
    if baseline.accuracy.stderr is None or candidate.accuracy.stderr is None:
        return None
    spread = math.hypot(baseline.accuracy.stderr, candidate.accuracy.stderr)
    return 100 * (baseline.accuracy.value - candidate.accuracy.value + Z_95 * spread)


def calibrate(summaries: Sequence[Summary], tolerance: float = DEFAULT_TOLERANCE) -> Calibration:
    """`summaries`: the planner alone and hawkeye at each setting, of one planner and expander."""
    baseline = next((s for s in summaries if s.mode == "baseline"), None)
    if baseline is None:
        raise CalibrationError("no result of the planner alone to calibrate against (every one failed)",
                               fix="run the same command again: failed items are retried")
    candidates = []
    for summary in summaries:
        if summary.mode != "hawkeye":
            continue
        bound = loss_bound(baseline, summary)
        candidates.append(Candidate(summary, 100 * (baseline.accuracy.value - summary.accuracy.value), bound,
                                    bound is not None and bound <= tolerance + _SLACK))
    chosen = min((c for c in candidates if c.qualifies), key=lambda c: c.cost, default=None)
    return Calibration(baseline, tuple(candidates), tolerance, chosen)


def pareto_front(summaries: Sequence[Summary], cost: Callable[[Summary], float]) -> list[Summary]:
    """The summaries no other beats on both counts (as cheap or cheaper and as accurate or more, one of them
    strictly), cheapest first."""
    def beaten(s: Summary) -> bool:
        return any(cost(o) <= cost(s) and o.accuracy.value >= s.accuracy.value
                   and (cost(o), o.accuracy.value) != (cost(s), s.accuracy.value) for o in summaries)

    return sorted((s for s in summaries if not beaten(s)), key=cost)
