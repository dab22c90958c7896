"""Cost and savings: hawkeye (plan + expand) against the planner's full chain of thought."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hawkeye_cli.registry import ModelSpec

if TYPE_CHECKING:
    from hawkeye_cli.pipeline.collaborate import BaselineResult, StageResult


def stage_cost(spec: ModelSpec, prompt_tokens: int, completion_tokens: int) -> float:
    return (prompt_tokens * spec.cost.prompt + completion_tokens * spec.cost.completion) / 1000


def _saved(ours: float, theirs: float) -> float:
    return 1 - ours / theirs if theirs > 0 else 0.0


@dataclass(frozen=True)
class Savings:
    """Fractions saved by hawkeye against the baseline (0.6 = 60 % less); negative when hawkeye costs more."""

    planner_tokens: float
    """Planner completion tokens saved: 1 - concise CoT / full output (the paper's '35 % kept' is 0.65)."""
    cot_ratio: float
    """Concise CoT tokens / the baseline's thinking tokens."""
    total_tokens: float
    """All completion tokens (planner + expander) against the baseline's."""
    seconds: float
    speedup: float
    cost: float
    """1 - hawkeye cost / baseline cost, with the registry's relative per-token prices."""

    @classmethod
    def between(cls, plan: StageResult, expansion: StageResult, baseline: BaselineResult) -> Savings:
        full = baseline.stage
        ours_seconds = plan.seconds + expansion.seconds
        return cls(
            planner_tokens=_saved(plan.completion_tokens, full.completion_tokens),
            cot_ratio=plan.completion_tokens / baseline.cot_tokens if baseline.cot_tokens else 0.0,
            total_tokens=_saved(plan.completion_tokens + expansion.completion_tokens, full.completion_tokens),
            seconds=_saved(ours_seconds, full.seconds),
            speedup=full.seconds / ours_seconds if ours_seconds > 0 else 0.0,
            cost=_saved(plan.cost + expansion.cost, full.cost),
        )
