"""The Hawkeye pipeline on two backends: plan → expand, and the planner alone for comparison. No printing here:
callers watch the stages through an Observer."""

from __future__ import annotations

import math
from dataclasses import dataclass

from hawkeye_cli.backends.base import Backend, Completion, Request, Sampling, split_thinking
from hawkeye_cli.errors import CapabilityError, ContextOverflowError
from hawkeye_cli.pipeline import prompts
from hawkeye_cli.pipeline.results import AskResult, BaselineResult, PlanResult, Stage, StageResult
from hawkeye_cli.scoring.lm_eval import extract_answer
from hawkeye_cli.store.registry import ModelSpec

MIN_ANSWER_TOKENS = 16
"""The expander must have at least this much room left for its answer, or planning is pointless."""
PLAN_TOKENS_MARGIN = 1.25
"""The budget counts the planner's tokens, and another model's tokenizer may need more for the same plan
(SmolLM2 up to 15 % more than Gemma 3 on GSM8K solutions and R1 chains of thought): the expander's room is checked
for this many times the budget."""


@dataclass(frozen=True)
class DecodeSettings:
    max_tokens: int = 512
    """Cap on the expander's answer and on the baseline's whole output (thinking + answer)."""
    temperature: float = 0.0
    seed: int = 0

    @property
    def sampling(self) -> Sampling:
        return Sampling(temperature=self.temperature, seed=self.seed)


class Observer:
    """Hooks into a running collaboration (status lines, streaming); every hook does nothing unless overridden."""

    def started(self, stage: Stage, model: str) -> None:
        """A stage is about to run on `model`."""

    def text(self, stage: Stage, chunk: str) -> None:
        """Text of a running stage as it is generated."""

    def finished(self, result: StageResult) -> None:
        """A stage is done."""


class Collaboration:
    """A planner and an expander, both loaded once and reused for every question."""

    def __init__(
        self,
        planner: Backend,
        planner_spec: ModelSpec,
        expander: Backend,
        expander_spec: ModelSpec,
        settings: DecodeSettings | None = None,
        *,
        instruction: str = prompts.FINAL_ANSWER_INSTRUCTION,
    ) -> None:
        """`instruction` ends every answering prompt: how the task wants its final answer marked."""
        self.planner = planner
        self.planner_spec = planner_spec
        self.expander = expander
        self.expander_spec = expander_spec
        self.settings = settings or DecodeSettings()
        self.instruction = instruction

    def plan(self, question: str, budget: int, observer: Observer | None = None) -> PlanResult:
        """Concise CoT under `budget` thinking tokens."""
        request = prompts.plan_request(self.planner_spec, question, budget=budget, sampling=self.settings.sampling)
        stage = self._run("plan", self.planner, self.planner_spec, request, observer)
        return PlanResult(stage, split_thinking(stage.completion, opened=True)[0], budget)

    def expand(self, question: str, cot: str, observer: Observer | None = None) -> StageResult:
        request = prompts.expand_request(self.expander_spec, question, cot, instruction=self.instruction,
                                         max_tokens=self.settings.max_tokens, sampling=self.settings.sampling)
        return self._run("expand", self.expander, self.expander_spec, request, observer)

    def baseline(self, question: str, observer: Observer | None = None) -> BaselineResult:
        spec = self.planner_spec
        request = prompts.baseline_request(spec, question, instruction=self.instruction,
                                           max_tokens=self.settings.max_tokens, sampling=self.settings.sampling)
        stage = self._run("baseline", self.planner, spec, request, observer)
        cot, answer = split_thinking(stage.completion, opened=bool(request.prefix))
        if not cot and not spec.reasoning and stage.completion.reasoning is None:
            cot = answer  # a model that does not think: its whole output is its reasoning
        cot_tokens = self._cot_tokens(stage.completion, cot, answer)
        return BaselineResult(stage, cot, cot_tokens, answer, extract_answer(answer or cot).best)

    def solo(self, question: str, observer: Observer | None = None) -> StageResult:
        """The expander alone, no sketch: shows what the planner's CoT adds."""
        request = prompts.solo_request(self.expander_spec, question, instruction=self.instruction,
                                       max_tokens=self.settings.max_tokens, sampling=self.settings.sampling)
        return self._run("solo", self.expander, self.expander_spec, request, observer)

    def ask(self, question: str, budget: int, *, compare: bool = False, observer: Observer | None = None) -> AskResult:
        self.check_room(question, budget)
        plan = self.plan(question, budget, observer)
        expansion = self.expand(question, plan.cot, observer)
        baseline = self.baseline(question, observer) if compare else None
        return AskResult(question, plan, expansion, extract_answer(expansion.text).best, baseline)

    def check_room(self, question: str, budget: int) -> None:
        """Refuse before planning when the expander could not fit the question, a full plan and an answer:
        otherwise the plan would be computed and then thrown away."""
        if self.expander.n_ctx is None:
            return
        request = prompts.expand_request(self.expander_spec, question, "", instruction=self.instruction,
                                         max_tokens=self.settings.max_tokens, sampling=self.settings.sampling)
        prompt = self.expander.prompt_tokens(request)
        same_tokenizer = self.expander_spec == self.planner_spec
        plan = budget if same_tokenizer else math.ceil(budget * PLAN_TOKENS_MARGIN)
        if prompt is not None and prompt + plan + MIN_ANSWER_TOKENS > self.expander.n_ctx:
            in_expander_tokens = "" if same_tokenizer else f" (up to {plan} of the expander's)"
            raise ContextOverflowError(
                f"the question ({prompt} tokens with the expander's instructions) plus a plan of up to {budget} "
                f"tokens{in_expander_tokens} leaves {self.expander_spec.alias} no room to answer in its context of "
                f"{self.expander.n_ctx}",
                fix="lower --budget, shorten the question or raise --ctx",
            )

    def _cot_tokens(self, completion: Completion, cot: str, answer: str) -> int:
        """The baseline's thinking tokens: the whole output when it is all thinking, the engine's count of its
        separate thinking, else counted with the planner's tokenizer."""
        if not answer or cot == answer:
            return completion.completion_tokens
        if completion.reasoning_tokens is not None:
            return completion.reasoning_tokens
        try:
            return self.planner.count(cot)
        except CapabilityError as exc:
            raise CapabilityError(
                f"{self.planner_spec.alias} wrote its thinking inline and cannot count tokens, so the baseline's "
                "chain of thought cannot be measured",
                fix="start the engine with its reasoning parser (vLLM/SGLang --reasoning-parser, llama-server "
                    "--reasoning-format) so thinking comes in a field of its own, or use a server with a tokenize "
                    "endpoint",
            ) from exc

    @staticmethod
    def _run(stage: Stage, backend: Backend, spec: ModelSpec, request: Request,
             observer: Observer | None) -> StageResult:
        watcher = observer or Observer()
        watcher.started(stage, spec.alias)
        completion = backend.complete(request, on_text=lambda chunk: watcher.text(stage, chunk))
        result = StageResult.of(stage, spec, completion)
        watcher.finished(result)
        return result
