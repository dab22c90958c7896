"""The Hawkeye pipeline on two models: plan → expand, and the planner alone for comparison. No printing here:
callers watch the stages through an Observer.

The models are loaded once and the Collaboration holds them for every question; how one question is decoded
(budget, answer cap, sampling) comes with each call, so a server answers requests that differ without rebuilding
anything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal

from hawkeye_cli.backends.base import (
    MIN_ANSWER_TOKENS,
    Completion,
    Request,
    Sampling,
    Session,
    split_thinking,
    summed,
)
from hawkeye_cli.backends.model import Model
from hawkeye_cli.budget import (
    DEFAULT_MAX_BUDGET,
    EFFORT_LEVELS,
    Adaptive,
    Budget,
    BudgetChoice,
    StopWhen,
    chosen,
    effort_level,
    most_tokens,
    readable,
    resolve,
)
from hawkeye_cli.errors import CapabilityError, ContextOverflowError
from hawkeye_cli.pipeline import prompts
from hawkeye_cli.pipeline.probing import BY_THE_RULE, Planning, Probe
from hawkeye_cli.pipeline.results import AnsweredBy, AskResult, BaselineResult, PlanResult, Stage, StageResult
from hawkeye_cli.scoring.verdict import read_answer, same_answer, start_reader
from hawkeye_cli.store.registry import Profile

OnDisagree = Literal["planner", "solve", "keep", "resume"]
"""When the expander's answer is not the planner's: answer with the planner's plan and its answer (planner), have
the planner solve it alone, in full, and answer (solve), keep the expander's (keep), or let the planner think further
from where it stopped and have the expander answer again (resume, adaptive budgets only)."""
DEFAULT_ON_DISAGREE: OnDisagree = "planner"
"""Disagreement is the best predictor of a wrong answer, and the expander, which only restates the plan, is the
likelier to be wrong (on GSM8K with the small pair: see the README's table)."""

PLAN_TOKENS_MARGIN = 1.25
"""The budget counts the planner's tokens, and another model's tokenizer may need more for the same plan
(SmolLM2 up to 15 % more than Gemma 3 on GSM8K solutions and R1 chains of thought): the expander's room is checked
for this many times the budget."""


class BudgetTooLarge(ContextOverflowError):
    """The question fits the expander's context, but not with a plan of the budget's size: the budget is to blame.
    Each entry point names its own setting for it; `fix` names the command line's."""

    def __init__(self, message: str, *, budget: Budget, fits: int) -> None:
        self.budget = budget
        self.fits = fits
        """The largest budget (of tokens) that leaves the expander room."""
        if isinstance(budget, int):
            fix = f"lower --budget to at most {fits:,}, shorten the question or raise --ctx"
        else:
            fix = f"lower --max-budget to at most {self.max_budget_fits:,} (--budget {budget.name} thinks up to " \
                  f"{self.cap_factor:g} times it), or raise --ctx"
        super().__init__(message, fix=fix)

    @property
    def cap_factor(self) -> float:
        """How many times the adaptive cap (what --max-budget sets) this budget's effort level thinks."""
        return EFFORT_LEVELS[effort_level(self.budget.name if isinstance(self.budget, Adaptive) else "auto")].cap_factor

    @property
    def max_budget_fits(self) -> int:
        """The largest adaptive cap that leaves the expander room at this budget's effort level."""
        return max(1, math.floor(self.fits / self.cap_factor))


@dataclass(frozen=True)
class DecodeSettings:
    """How one question is decoded; the commands build it once from their options and the profile."""

    budget: Budget
    """The planner's thinking: a fixed number of its tokens, or the adaptive stop."""
    max_tokens: int
    """Cap on the expander's answer and on the baseline's whole output (thinking + answer)."""
    sampling: Sampling = field(default_factory=Sampling)
    on_disagree: OnDisagree = DEFAULT_ON_DISAGREE
    max_budget: int = DEFAULT_MAX_BUDGET
    """The adaptive cap (medium's) that another budget chosen for a question runs under (with_budget)."""
    stop_when: StopWhen = Adaptive.stop_when
    """The rule that stops such a budget when it is adaptive."""

    @classmethod
    def of(cls, profile: Profile, *, sampling: Sampling, budget: BudgetChoice | None = None,
           max_budget: int | None = None, max_tokens: int | None = None,
           stop_when: StopWhen = Adaptive.stop_when, on_disagree: OnDisagree = DEFAULT_ON_DISAGREE
           ) -> DecodeSettings:
        """What a user asked for, else the profile's budget, adaptive cap and answer cap, else their defaults."""
        cap, _ = chosen(max_budget, profile, "max_budget")
        choice: BudgetChoice
        choice, _ = chosen(budget, profile, "budget")
        answer_cap, _ = chosen(max_tokens, profile, "max_tokens")
        return cls(budget=resolve(choice, cap, stop_when), max_tokens=answer_cap, sampling=sampling,
                   on_disagree=on_disagree, max_budget=cap, stop_when=stop_when)

    def with_budget(self, choice: BudgetChoice) -> DecodeSettings:
        """These settings with another budget, under their cap and stop rule (a served model's `@…`, a sweep)."""
        return replace(self, budget=resolve(choice, self.max_budget, self.stop_when))


class Observer:
    """Hooks into a running collaboration (status lines, streaming); every hook does nothing unless overridden."""

    def started(self, stage: Stage, model: str) -> None:
        """A stage is about to run on `model`."""

    def text(self, stage: Stage, chunk: str) -> None:
        """Text of a running stage as it is generated."""

    def finished(self, result: StageResult) -> None:
        """A stage is done."""

    def probed(self, probe: Probe) -> None:
        """The planner's current answer, read after a round of thinking."""

    def planned(self, plan: PlanResult) -> None:
        """The plan is done: what it cost and why it ended (after `finished` of its stage)."""


class StrippedText:
    """Streamed text as the whole result has it stripped (a plan's cot is: split_thinking): no whitespace before
    the first word, and whitespace held back until more text follows it, so none is sent at the end."""

    def __init__(self) -> None:
        self._started = False
        self._held = ""

    def next(self, piece: str) -> str:
        if not self._started:
            piece = piece.lstrip()
            self._started = bool(piece)
        text = self._held + piece
        sent = text.rstrip()
        self._held = text[len(sent):]
        return sent


def _agree(planner: str | None, expander: str | None) -> bool | None:
    """None when either model gave no answer: nothing to compare."""
    return None if planner is None or expander is None else same_answer(planner, expander)


def _merged(stage: Stage, model: Model, completions: list[Completion]) -> StageResult | None:
    """Several calls as one stage: their tokens and seconds summed."""
    if not completions:
        return None
    return StageResult.of(stage, model, summed(completions, "", completions[-1].finish_reason))


def run_stage(stage: Stage, model: Model, request: Request, observer: Observer | None) -> StageResult:
    watcher = observer or Observer()
    watcher.started(stage, model.alias)
    completion = model.complete(request, on_text=lambda chunk: watcher.text(stage, chunk))
    result = StageResult.of(stage, model, completion)
    watcher.finished(result)
    return result


def expand(expander: Model, question: str, cot: str, settings: DecodeSettings, *, answers: prompts.AnswerStyle,
           observer: Observer | None = None) -> StageResult:
    """The expander writes the answer from the question and a chain of thought (also compress-cot --verify's
    check of a compressed CoT, where no planner runs). A solution that ends without the task's answer mark is
    continued with it (`#### `), so that the expander's own answer is read where the task reads answers: a
    small expander often closes with a sentence, and a number in prose is not an answer to compare."""
    request = prompts.expand_request(expander.spec, question, cot, answers=answers, max_tokens=settings.max_tokens,
                                     sampling=settings.sampling)
    watcher = observer or Observer()
    watcher.started("expand", expander.alias)
    with expander.backend.session(request) as session:
        completion = session.extend(request.max_tokens, on_text=lambda chunk: watcher.text("expand", chunk))
        if completion.finish_reason in ("eos", "stop") and not answers.marked(completion.text):
            form = answers.answer_form
            line = session.probe(form.lead, prompts.PROBE_TOKENS, prompts.PROBE_STOPS, form.end)
            stated = form.lead + line.text if line.text.strip() else ""  # no answer: no empty mark either
            watcher.text("expand", stated)
            completion = summed([completion, line], completion.text + stated, completion.finish_reason)
    result = StageResult.of("expand", expander, completion)
    watcher.finished(result)
    return result


class Collaboration:
    """A planner and an expander, both loaded once and reused for every question."""

    def __init__(self, planner: Model, expander: Model, *,
                 answers: prompts.AnswerStyle = prompts.GSM8K_ANSWERS) -> None:
        """`answers`: how the task wants its final answer marked (every answering prompt ends with its
        instruction; probes ask the planner in that form)."""
        self.planner = planner
        self.expander = expander
        self.answers = answers
        self._expand_overhead: int | None = None
        start_reader()  # answers are read by Math-Verify's process: it starts while the models work

    @property
    def instruction(self) -> str:
        """The task's final-answer instruction, which ends every answering prompt."""
        return self.answers.instruction

    def plan(self, question: str, settings: DecodeSettings, observer: Observer | None = None) -> PlanResult:
        """Concise CoT under the budget: a fixed number of thinking tokens, or the adaptive stop."""
        with self._session(question, settings) as session:
            return self._think(self._planning(session, question, settings, observer), observer)

    def expand(self, question: str, cot: str, settings: DecodeSettings,
               observer: Observer | None = None) -> StageResult:
        return expand(self.expander, question, cot, settings, answers=self.answers, observer=observer)

    def baseline(self, question: str, settings: DecodeSettings, observer: Observer | None = None, *,
                 stage: Literal["baseline", "solve"] = "baseline") -> BaselineResult:
        """The planner alone, in full: what hawkeye is measured against, and (as `solve`) what answers when the
        two models disagree under --on-disagree solve."""
        request = prompts.baseline_request(self.planner.spec, question, instruction=self.instruction,
                                           max_tokens=settings.max_tokens, sampling=settings.sampling)
        stage_result = run_stage(stage, self.planner, request, observer)
        cot, answer = split_thinking(stage_result.completion, opened=bool(request.prefix))
        if not cot and not self.planner.reasoning and stage_result.completion.reasoning is None:
            cot = answer  # a model that does not think: its whole output is its reasoning
        cot_tokens = self._cot_tokens(stage_result.completion, cot, answer)
        return BaselineResult(stage_result, cot, cot_tokens, answer,
                              read_answer(answer or cot, cut=stage_result.truncated))

    def solo(self, question: str, settings: DecodeSettings, observer: Observer | None = None) -> StageResult:
        """The expander alone, no sketch: shows what the planner's CoT adds."""
        request = prompts.solo_request(self.expander.spec, question, instruction=self.instruction,
                                       max_tokens=settings.max_tokens, sampling=settings.sampling)
        return run_stage("solo", self.expander, request, observer)

    def ask(self, question: str, settings: DecodeSettings, *, compare: bool = False,
            observer: Observer | None = None) -> AskResult:
        """plan → expand, and whether the two models agree. With on_disagree `resume`, a planner stopped by the
        adaptive rule thinks further from where it stopped (its session kept open, nothing evaluated again) and
        the expander answers once more; the earlier answer's cost stays in the result."""
        self.check_room(question, settings.budget)
        replaced: list[StageResult] = []
        with self._session(question, settings) as session:
            planning = self._planning(session, question, settings, observer)
            plan = self._think(planning, observer)
            if settings.on_disagree != "resume" or not isinstance(settings.budget, Adaptive):
                session.close()  # the planner is free for other requests while the expander answers
            expansion = self.expand(question, plan.cot, settings, observer)
            final = read_answer(expansion.text, cut=expansion.truncated)
            agree = _agree(plan.answer, final)
            if agree is False and settings.on_disagree == "resume" and planning.stop in BY_THE_RULE:
                plan = self._think(planning, observer, resume=True)
                replaced.append(replace(expansion, stage="first_expand"))
                expansion = self.expand(question, plan.cot, settings, observer)
                final = read_answer(expansion.text, cut=expansion.truncated)
                agree = _agree(plan.answer, final)
        answered_by: AnsweredBy = "expander"
        solved: BaselineResult | None = None
        if agree is False and settings.on_disagree == "planner":
            answered_by, final = "planner", plan.answer
        elif agree is False and settings.on_disagree == "solve":
            solved = self.baseline(question, settings, observer, stage="solve")
            answered_by, final = "planner", solved.final_answer
        baseline = self.baseline(question, settings, observer) if compare else None
        return AskResult(question, plan, expansion, final, baseline, agree, tuple(replaced), answered_by,
                         solved.stage if solved else None)

    def _session(self, question: str, settings: DecodeSettings) -> Session:
        request = prompts.plan_request(self.planner.spec, question, budget=most_tokens(settings.budget),
                                       sampling=settings.sampling, answers=self.answers,
                                       effort=self._effort(settings.budget))
        return self.planner.backend.session(request)

    def _effort(self, budget: Budget) -> str | None:
        """The level passed through to a planner that takes only an effort: the adaptive stop's name."""
        if not self.planner.effort_only or not isinstance(budget, Adaptive):
            return None
        return effort_level(budget.name)

    def _planning(self, session: Session, question: str, settings: DecodeSettings,
                  observer: Observer | None) -> Planning:
        watcher = observer or Observer()

        def check(plan_so_far: str) -> tuple[str | None, Completion]:
            request = prompts.short_answer_request(self.expander.spec, question, plan_so_far,
                                                   answers=self.answers, sampling=settings.sampling)
            completion = self.expander.complete(request)
            return read_answer(completion.text), completion

        agree_check = isinstance(settings.budget, Adaptive) and settings.budget.stop_when == "agree"
        probe = None if self.planner.effort_only else self.answers.probe(self.planner.spec)
        return Planning(session, settings.budget, probe,
                        check=check if agree_check else None,
                        on_text=lambda chunk: watcher.text("plan", chunk), on_probe=watcher.probed)

    def _think(self, planning: Planning, observer: Observer | None, *, resume: bool = False) -> PlanResult:
        watcher = observer or Observer()
        watcher.started("plan", self.planner.alias)
        planning.resume() if resume else planning.think()
        conclusion = planning.conclusion
        if conclusion:
            watcher.text("plan", conclusion)
        merged = planning.merged()
        thinking, _ = split_thinking(merged, opened=True)
        stage = StageResult.of("plan", self.planner, merged)
        watcher.finished(stage)
        probes = _merged("probe", self.planner, [probe.completion for probe in planning.probes])
        plan = PlanResult(stage, thinking + conclusion, planning.budget, planning.stop or "ended",
                          tuple(planning.probes), probes, _merged("check", self.expander, planning.checks),
                          planning.stated)
        watcher.planned(plan)
        return plan

    def check_room(self, question: str, budget: Budget) -> None:
        """Refuse before planning when the expander could not fit the question, a full plan and an answer:
        otherwise the plan would be computed and then thrown away. The expander's prompt is built once, when it
        answers: here its instructions are counted once per Collaboration and the question alone per question."""
        n_ctx = self.expander.n_ctx
        overhead = self._expander_overhead() if n_ctx is not None else None
        if n_ctx is None or overhead is None:
            return
        prompt = overhead + self.expander.count(question)
        same_tokenizer = self.expander.spec == self.planner.spec
        tokens = most_tokens(budget)
        plan = tokens if same_tokenizer else math.ceil(tokens * PLAN_TOKENS_MARGIN)
        if prompt + plan + MIN_ANSWER_TOKENS <= n_ctx:
            return
        in_expander_tokens = "" if same_tokenizer else f" (up to {readable(plan)} of the expander's)"
        problem = (f"the question ({prompt} tokens with the expander's instructions) plus a plan of up to "
                   f"{readable(tokens)} tokens{in_expander_tokens} leaves {self.expander.alias} no room to answer in "
                   f"its context of {n_ctx}")
        room = n_ctx - prompt - MIN_ANSWER_TOKENS
        fits = room if same_tokenizer else math.floor(room / PLAN_TOKENS_MARGIN)
        if fits < 1:
            raise ContextOverflowError(problem, fix="lower --budget, shorten the question or raise --ctx")
        raise BudgetTooLarge(f"{problem} (a plan of at most {fits:,} tokens fits)", budget=budget, fits=fits)

    def _expander_overhead(self) -> int | None:
        """Tokens of the expander's prompt around the question and the plan (instructions, template markup)."""
        if self._expand_overhead is None:
            request = prompts.expand_request(self.expander.spec, "", "", answers=self.answers,
                                             max_tokens=MIN_ANSWER_TOKENS, sampling=Sampling())
            self._expand_overhead = self.expander.prompt_tokens(request)
        return self._expand_overhead

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
                f"{self.planner.alias} wrote its thinking inline and cannot count tokens, so the baseline's "
                "chain of thought cannot be measured",
                fix="start the engine with its reasoning parser (vLLM/SGLang --reasoning-parser, llama-server "
                    "--reasoning-format) so thinking comes in a field of its own, or use a server with a tokenize "
                    "endpoint",
            ) from exc
