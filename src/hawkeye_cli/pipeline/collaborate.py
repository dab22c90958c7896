"""The Hawkeye pipeline on two loaded backends, with per-stage accounting. No CLI or printing here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from hawkeye_cli.backends.base import Backend, Completion
from hawkeye_cli.pipeline import prompts
from hawkeye_cli.pipeline.accounting import Savings, stage_cost
from hawkeye_cli.registry import ModelSpec
from hawkeye_cli.scoring.lm_eval import extract_answer

Stage = Literal["plan", "expand", "baseline", "solo"]

# Base models keep going past their answer into a made-up next question; cut them there.
_COMPLETION_STOPS = ("\nQuestion:", "\nProblem:", "\n\n\n")


@dataclass(frozen=True)
class DecodeSettings:
    max_tokens: int = 512
    """Cap on the expander's answer and on the baseline's whole output (thinking + answer)."""
    temperature: float = 0.0
    seed: int = 0


@dataclass(frozen=True)
class StageResult:
    stage: Stage
    model: str
    text: str
    prompt_tokens: int
    completion_tokens: int
    prompt_seconds: float
    seconds: float
    tokens_per_second: float
    finish_reason: str
    cost: float
    """Relative cost units: tokens x the registry's per-1k-token prices."""

    @classmethod
    def of(cls, stage: Stage, spec: ModelSpec, completion: Completion) -> StageResult:
        return cls(
            stage=stage,
            model=spec.alias,
            text=completion.text,
            prompt_tokens=completion.prompt_tokens,
            completion_tokens=completion.completion_tokens,
            prompt_seconds=completion.prompt_seconds,
            seconds=completion.seconds,
            tokens_per_second=completion.tokens_per_second,
            finish_reason=completion.finish_reason,
            cost=stage_cost(spec, completion.prompt_tokens, completion.completion_tokens),
        )


@dataclass(frozen=True)
class BaselineResult:
    """The planner alone with its full chain of thought: what hawkeye is measured against."""

    stage: StageResult
    cot: str
    cot_tokens: int
    answer: str
    final_answer: str | None


@dataclass(frozen=True)
class AskResult:
    question: str
    budget: int
    plan: StageResult
    """The planner's concise chain of thought (its text is the CoT handed to the expander)."""
    truncated: bool
    """The budget ran out and the planner's thinking was forced closed."""
    expansion: StageResult
    final_answer: str | None
    baseline: BaselineResult | None = None

    @property
    def seconds(self) -> float:
        return self.plan.seconds + self.expansion.seconds

    @property
    def savings(self) -> Savings | None:
        if self.baseline is None:
            return None
        return Savings.between(self.plan, self.expansion, self.baseline)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = self.seconds
        savings = self.savings
        data["savings"] = asdict(savings) if savings is not None else None
        return data


class Collaboration:
    """A planner and an expander, both loaded once and reused for every question."""

    def __init__(
        self,
        planner: Backend,
        planner_spec: ModelSpec,
        expander: Backend,
        expander_spec: ModelSpec,
        settings: DecodeSettings | None = None,
    ) -> None:
        self.planner = planner
        self.planner_spec = planner_spec
        self.expander = expander
        self.expander_spec = expander_spec
        self.settings = settings or DecodeSettings()

    def plan(self, question: str, budget: int) -> tuple[StageResult, bool]:
        """Concise CoT under `budget` thinking tokens; (result, truncated)."""
        spec = self.planner_spec
        completion = self.planner.complete(
            prompts.plan_prompt(self.planner, spec, question),
            max_tokens=budget,
            stop=self._stops(spec, thinking=True),
            temperature=self.settings.temperature,
            seed=self.settings.seed,
        )
        return StageResult.of("plan", spec, completion), completion.finish_reason == "length"

    def expand(self, question: str, cot: str, on_text: Callable[[str], None] | None = None) -> StageResult:
        spec = self.expander_spec
        completion = self._generate(self.expander, spec, prompts.expand_prompt(self.expander, spec, question, cot),
                                    on_text)
        return StageResult.of("expand", spec, completion)

    def baseline(self, question: str) -> BaselineResult:
        spec = self.planner_spec
        completion = self._generate(self.planner, spec, prompts.baseline_prompt(self.planner, spec, question))
        stage = StageResult.of("baseline", spec, completion)
        cot, answer = prompts.split_thinking(completion.text, reasoning=spec.reasoning)
        cot_tokens = self.planner.count_tokens(cot) if spec.reasoning else completion.completion_tokens
        return BaselineResult(stage, cot, cot_tokens, answer, extract_answer(answer or cot).best)

    def solo(self, question: str) -> StageResult:
        """The expander alone, no sketch: shows what the planner's CoT adds."""
        spec = self.expander_spec
        completion = self._generate(self.expander, spec, prompts.solo_prompt(self.expander, spec, question))
        return StageResult.of("solo", spec, completion)

    def ask(
        self,
        question: str,
        budget: int,
        *,
        compare: bool = False,
        on_plan: Callable[[StageResult, bool], None] | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> AskResult:
        """`on_plan(plan, truncated)` runs before the expander starts, so callers can show the plan first."""
        plan, truncated = self.plan(question, budget)
        if on_plan is not None:
            on_plan(plan, truncated)
        expansion = self.expand(question, plan.text, on_text)
        baseline = self.baseline(question) if compare else None
        return AskResult(
            question=question,
            budget=budget,
            plan=plan,
            truncated=truncated,
            expansion=expansion,
            final_answer=extract_answer(expansion.text).best,
            baseline=baseline,
        )

    def _generate(
        self, backend: Backend, spec: ModelSpec, prompt: str, on_text: Callable[[str], None] | None = None
    ) -> Completion:
        return backend.complete(
            prompt,
            max_tokens=self.settings.max_tokens,
            stop=self._stops(spec, thinking=False),
            temperature=self.settings.temperature,
            seed=self.settings.seed,
            on_text=on_text,
        )

    @staticmethod
    def _stops(spec: ModelSpec, *, thinking: bool) -> tuple[str, ...]:
        if spec.prompt_format == "completion":
            return _COMPLETION_STOPS
        return (prompts.THINK_CLOSE,) if thinking and spec.reasoning else ()
