"""What a run of the pipeline produces: one result per stage, embedding the backend's Completion, and the
savings of plan + expand against the planner alone."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from hawkeye_cli.backends.base import CUT_SHORT, Completion
from hawkeye_cli.backends.model import Model

Stage = Literal["plan", "expand", "baseline", "solo"]


@dataclass(frozen=True)
class StageResult:
    stage: Stage
    model: str
    completion: Completion
    cost: float

    @classmethod
    def of(cls, stage: Stage, model: Model, completion: Completion) -> StageResult:
        return cls(stage, model.alias, completion, model.cost(completion.prompt_tokens, completion.completion_tokens))

    @property
    def text(self) -> str:
        return self.completion.text

    @property
    def truncated(self) -> bool:
        """Cut by max tokens or the context, not ended by the model: its answer may be missing."""
        return self.completion.finish_reason in CUT_SHORT

    def to_dict(self) -> dict[str, Any]:
        """Flat, as stored in bench results and printed by --json."""
        return {"stage": self.stage, "model": self.model, **asdict(self.completion),
                "tokens_per_second": self.completion.tokens_per_second, "truncated": self.truncated,
                "cost": self.cost}


@dataclass(frozen=True)
class PlanResult:
    """The planner's concise chain of thought under the budget."""

    stage: StageResult
    cot: str
    """The thinking handed to the expander (from a separate thinking field, or the text before `</think>`)."""
    budget: int

    @property
    def budget_reached(self) -> bool:
        """The budget ran out before the planner finished its thinking, which was cut there."""
        return self.stage.truncated


@dataclass(frozen=True)
class BaselineResult:
    """The planner alone with its full chain of thought: what hawkeye is measured against."""

    stage: StageResult
    cot: str
    cot_tokens: int
    answer: str
    final_answer: str | None


@dataclass(frozen=True)
class Savings:
    """Fractions saved by hawkeye against the baseline (0.6 = 60 % less); negative when hawkeye costs more."""

    planner_tokens: float
    """Planner completion tokens saved: 1 - concise CoT / full output (the paper's '35 % kept' is 0.65)."""
    cot_ratio: float
    """Concise CoT tokens / the baseline's thinking tokens."""
    total_tokens: float
    """All completion tokens (planner + expander) against the baseline's."""
    seconds: float | None
    speedup: float | None
    """None when the stages' seconds come from different clocks, which cannot be compared."""
    cost: float
    """1 - hawkeye cost / baseline cost, with the registry's relative per-token prices."""
    lower_bound: bool
    """The baseline was cut by max tokens: a full run would cost more, so every saving here is a lower bound."""

    @classmethod
    def between(cls, plan: StageResult, expansion: StageResult, baseline: BaselineResult) -> Savings:
        full = baseline.stage
        ours_seconds = plan.completion.seconds + expansion.completion.seconds
        same_clock = len({plan.completion.clock, expansion.completion.clock, full.completion.clock}) == 1
        return cls(
            planner_tokens=_saved(plan.completion.completion_tokens, full.completion.completion_tokens),
            cot_ratio=plan.completion.completion_tokens / baseline.cot_tokens if baseline.cot_tokens else 0.0,
            total_tokens=_saved(plan.completion.completion_tokens + expansion.completion.completion_tokens,
                                full.completion.completion_tokens),
            seconds=_saved(ours_seconds, full.completion.seconds) if same_clock else None,
            speedup=full.completion.seconds / ours_seconds if same_clock and ours_seconds > 0 else None,
            cost=_saved(plan.cost + expansion.cost, full.cost),
            lower_bound=full.truncated,
        )


def _saved(ours: float, theirs: float) -> float:
    return 1 - ours / theirs if theirs > 0 else 0.0


@dataclass(frozen=True)
class AskResult:
    question: str
    plan: PlanResult
    expansion: StageResult
    final_answer: str | None
    baseline: BaselineResult | None = None

    @property
    def seconds(self) -> float:
        return self.plan.stage.completion.seconds + self.expansion.completion.seconds

    @property
    def savings(self) -> Savings | None:
        if self.baseline is None:
            return None
        return Savings.between(self.plan.stage, self.expansion, self.baseline)

    def to_dict(self) -> dict[str, Any]:
        savings = self.savings
        baseline = self.baseline
        return {
            "question": self.question,
            "budget": self.plan.budget,
            "plan": {**self.plan.stage.to_dict(), "cot": self.plan.cot},
            "truncated": self.plan.budget_reached,
            "expansion": self.expansion.to_dict(),
            "final_answer": self.final_answer,
            "seconds": self.seconds,
            "baseline": None if baseline is None else {
                "stage": baseline.stage.to_dict(), "cot": baseline.cot, "cot_tokens": baseline.cot_tokens,
                "answer": baseline.answer, "final_answer": baseline.final_answer,
            },
            "savings": asdict(savings) if savings is not None else None,
        }
