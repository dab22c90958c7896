"""What a run of the pipeline produces: one result per stage, embedding the backend's Completion, and the
savings of everything hawkeye ran (plan, probes, checks, expansions) against the planner alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from hawkeye_cli.backends.base import CUT_SHORT, Completion
from hawkeye_cli.backends.model import Model
from hawkeye_cli.budget import Budget, value
from hawkeye_cli.pipeline.probing import Probe, StopReason

Stage = Literal["plan", "probe", "check", "expand", "first_expand", "solve", "baseline", "solo"]
"""probe: the planner's probed answers; check: the expander's short answers (--stop-when agree); first_expand: an
answer replaced after the planner resumed (--on-disagree resume); solve: the planner solving it alone, in full,
after the two disagreed (--on-disagree solve)."""


@dataclass(frozen=True)
class StageResult:
    stage: Stage
    model: str
    completion: Completion
    cost: float

    @classmethod
    def of(cls, stage: Stage, model: Model, completion: Completion) -> StageResult:
        computed = completion.prompt_tokens - completion.cached_tokens
        return cls(stage, model.alias, completion, model.cost(computed, completion.completion_tokens))

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
    """The planner's concise chain of thought, how it was stopped, and what its probes cost."""

    stage: StageResult
    """The thinking: every round as one completion."""
    cot: str
    """What the expander is handed: the thinking (from a separate thinking field, or the text before `</think>`),
    ending with the planner's probed answer when the budget or the stop rule cut it."""
    budget: Budget
    stop: StopReason
    probes: tuple[Probe, ...] = ()
    probe_stage: StageResult | None = None
    """All probes as one stage (their own tokens and time)."""
    checks: StageResult | None = None
    """--stop-when agree: the expander's short answers, as one stage."""
    stated: str | None = None
    """The answer the planner wrote itself at the end of its thinking (then it was not probed)."""

    @property
    def answer(self) -> str | None:
        """The answer the planner stated, else its last probed one."""
        if self.stated is not None:
            return self.stated
        return self.probes[-1].answer if self.probes else None

    @property
    def thinking_tokens(self) -> int:
        """The planner's tokens: its thinking and its probed answers."""
        return sum(stage.completion.completion_tokens for stage in (self.stage, self.probe_stage) if stage)

    @property
    def budget_reached(self) -> bool:
        """The budget or the cap ran out before the planner finished its thinking, which was cut there."""
        return self.stop in ("budget", "cap")

    @property
    def stages(self) -> list[StageResult]:
        """What planning cost."""
        return [stage for stage in (self.stage, self.probe_stage, self.checks) if stage is not None]

    def to_dict(self) -> dict[str, Any]:
        return {**self.stage.to_dict(), "cot": self.cot, "budget": value(self.budget), "stop": self.stop,
                "answer": self.answer,
                "probes": [{"after_tokens": probe.after_tokens, "answer": probe.answer, "text": probe.completion.text,
                            "prompt_tokens": probe.completion.prompt_tokens,
                            "completion_tokens": probe.completion.completion_tokens,
                            "seconds": probe.completion.seconds, "hedged": probe.hedged} for probe in self.probes]}


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
    def between(cls, plan: PlanResult, stages: Sequence[StageResult], baseline: BaselineResult) -> Savings:
        """`stages`: everything hawkeye ran for the answer, the plan's own stages among them."""
        full = baseline.stage
        ours_seconds = sum(stage.completion.seconds for stage in stages)
        same_clock = len({full.completion.clock, *(stage.completion.clock for stage in stages)}) == 1
        return cls(
            planner_tokens=_saved(plan.thinking_tokens, full.completion.completion_tokens),
            cot_ratio=plan.stage.completion.completion_tokens / baseline.cot_tokens if baseline.cot_tokens else 0.0,
            total_tokens=_saved(sum(stage.completion.completion_tokens for stage in stages),
                                full.completion.completion_tokens),
            seconds=_saved(ours_seconds, full.completion.seconds) if same_clock else None,
            speedup=full.completion.seconds / ours_seconds if same_clock and ours_seconds > 0 else None,
            cost=_saved(sum(stage.cost for stage in stages), full.cost),
            lower_bound=full.truncated,
        )


def _saved(ours: float, theirs: float) -> float:
    return 1 - ours / theirs if theirs > 0 else 0.0


AnsweredBy = Literal["expander", "planner"]
"""Whose text answers: the expander's solution, or, when the two disagree, the planner's: its plan, which ends with
its answer (--on-disagree planner), or its own full solution (--on-disagree solve)."""


@dataclass(frozen=True)
class AskResult:
    question: str
    plan: PlanResult
    expansion: StageResult
    final_answer: str | None
    baseline: BaselineResult | None = None
    agree: bool | None = None
    """The planner's probed answer and the expander's final answer are equivalent (Math-Verify); None when
    either has none."""
    replaced: tuple[StageResult, ...] = ()
    """--on-disagree resume: the expander's earlier answers, replaced after the planner thought further."""
    answered_by: AnsweredBy = "expander"
    solved: StageResult | None = None
    """--on-disagree solve: the planner's own full solution, which then answers."""

    @property
    def text(self) -> str:
        """The text whose answer is the final answer (what bench scores, `answer` in --json): the expander's
        solution, or the planner's where that answers. A reply (serve, llm, ask's panel) is always the expander's
        solution, as streamed, with the final answer and the agreement beside it."""
        if self.solved is not None:
            return self.solved.text
        return self.plan.cot if self.answered_by == "planner" else self.expansion.text

    @property
    def stages(self) -> list[StageResult]:
        """Everything hawkeye ran for this answer."""
        return [*self.plan.stages, *self.replaced, self.expansion, *([self.solved] if self.solved else [])]

    @property
    def seconds(self) -> float:
        return sum(stage.completion.seconds for stage in self.stages)

    @property
    def prompt_tokens(self) -> int:
        return sum(stage.completion.prompt_tokens for stage in self.stages)

    @property
    def completion_tokens(self) -> int:
        return sum(stage.completion.completion_tokens for stage in self.stages)

    @property
    def cost(self) -> float:
        return sum(stage.cost for stage in self.stages)

    @property
    def savings(self) -> Savings | None:
        if self.baseline is None:
            return None
        return Savings.between(self.plan, self.stages, self.baseline)

    def to_dict(self) -> dict[str, Any]:
        savings = self.savings
        baseline = self.baseline
        extra = [stage for stage in self.stages if stage.stage not in ("plan", "expand")]  # probe, check, solve…
        return {
            "question": self.question,
            "budget": value(self.plan.budget),
            "plan": self.plan.to_dict(),
            "truncated": self.plan.budget_reached,
            "stop": self.plan.stop,
            "stages": {stage.stage: stage.to_dict() for stage in extra},
            "expansion": self.expansion.to_dict(),
            "final_answer": self.final_answer,
            "answered_by": self.answered_by,
            "answer": self.text,
            "planner_answer": self.plan.answer,
            "agree": self.agree,
            "seconds": self.seconds,
            "baseline": None if baseline is None else {
                "stage": baseline.stage.to_dict(), "cot": baseline.cot, "cot_tokens": baseline.cot_tokens,
                "answer": baseline.answer, "final_answer": baseline.final_answer,
            },
            "savings": asdict(savings) if savings is not None else None,
        }
