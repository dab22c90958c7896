"""Savings estimated for a question asked without --compare: against what the planner alone took per item, on
average, in the latest bench (or calibrate) of the same planner."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from hawkeye_cli.evaluation.metrics import Summary
from hawkeye_cli.ledger.entries import BASELINE_STAGE, Entry, Saving

BaselineSource = Literal["bench", "calibrate"]


@dataclass(frozen=True)
class Baseline:
    """The planner alone, per item, as measured on a data set: a row of the baselines table."""

    planner: str
    source: BaselineSource
    """The command that measured it."""
    dataset: str
    n: int
    mean_tokens: float
    """Generated tokens (thinking and answer) per item."""
    mean_seconds: float
    mean_cost: float
    max_tokens: int | None
    cut: int
    """Items cut by --max-tokens: with any, the means (and savings estimated from them) are lower bounds."""
    id: int | None = None
    recorded_utc: str | None = None


def baselines_of(summaries: Iterable[Summary], *, source: BaselineSource, dataset: str,
                 max_tokens: int) -> list[Baseline]:
    """One baseline per planner from the summaries of a bench or a calibrate (those of mode baseline)."""
    return [
        Baseline(planner=summary.planner, source=source, dataset=dataset, n=summary.n,
                 mean_tokens=summary.mean_tokens, mean_seconds=summary.mean_seconds, mean_cost=summary.mean_cost,
                 max_tokens=max_tokens, cut=summary.stages[BASELINE_STAGE].cut)
        for summary in summaries if summary.mode == "baseline"
    ]


def estimate(entry: Entry, baseline: Baseline) -> Saving:
    """The baseline's means minus what this question took (every stage that produced its answer)."""
    return Saving(kind="estimated", tokens=baseline.mean_tokens - entry.tokens,
                  seconds=baseline.mean_seconds - entry.seconds, cost=baseline.mean_cost - entry.cost,
                  lower_bound=baseline.cut > 0, baseline_id=baseline.id)
