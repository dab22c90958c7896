"""plan → expand logic: </think> handling, budget forcing, baseline split, savings maths.

The scripted backend isolates the logic; test_ask.py runs the same pipeline on the real tiny models.
"""

from __future__ import annotations

import pytest

from conftest import ScriptedBackend
from hawkeye_cli.backends.base import THINK_OPEN, Completion, Sampling, split_thinking
from hawkeye_cli.backends.model import Model
from hawkeye_cli.budget import Adaptive
from hawkeye_cli.errors import ContextOverflowError
from hawkeye_cli.pipeline import Collaboration, DecodeSettings, Observer, PlanResult, StageResult, prompts
from hawkeye_cli.pipeline.collaborate import BudgetTooLarge
from hawkeye_cli.pipeline.results import Stage
from hawkeye_cli.scoring.verdict import score
from hawkeye_cli.store.registry import ModelSpec, Source

REASONER = ModelSpec(
    alias="reasoner", source=Source(path="r.gguf"), reasoning=True, cost={"prompt": 7.0, "completion": 7.0}
)
EXPANDER = ModelSpec(alias="small", source=Source(path="s.gguf"), cost={"prompt": 0.5, "completion": 0.5})
BASE = ModelSpec(alias="base", source=Source(path="b.gguf"), prompt_format="completion")


def collaboration(scripted: type[ScriptedBackend], planner_outputs: list[str], expander_outputs: list[str],
                  planner: ModelSpec = REASONER) -> Collaboration:
    return Collaboration(Model(planner, scripted(planner_outputs)), Model(EXPANDER, scripted(expander_outputs)))


def settings(budget: int, max_tokens: int = 50) -> DecodeSettings:
    return DecodeSettings(budget=budget, max_tokens=max_tokens)


def test_plan_stops_at_think_close_and_opens_thinking(scripted: type[ScriptedBackend]) -> None:
    pipeline = collaboration(scripted, ["48 / 2 = 24 ; 48 + 24 = 72 </think> The answer is 72"], [])
    plan = pipeline.plan("How many clips?", settings(100))
    assert plan.cot == "48 / 2 = 24 ; 48 + 24 = 72"
    assert not plan.budget_reached and plan.stage.completion.finish_reason == "stop"
    assert pipeline.planner.backend.prompts[0].endswith(THINK_OPEN + "\n")  # type: ignore[attr-defined]


def test_budget_forces_thinking_closed(scripted: type[ScriptedBackend]) -> None:
    pipeline = collaboration(scripted, ["Wait , let me think again about the clips sold in May </think> 72"], [])
    plan = pipeline.plan("q", settings(4))
    assert plan.budget_reached and plan.stage.completion.finish_reason == "length"
    assert plan.stage.completion.completion_tokens == 4
    assert plan.cot == "Wait , let me"


def test_expander_gets_question_and_cot_and_answer_is_extracted(scripted: type[ScriptedBackend]) -> None:
    pipeline = collaboration(scripted, ["half of 48 is 24 </think>"], ["So 48 + 24 = 72 clips.\n#### 72"])
    result = pipeline.ask("How many clips?", settings(10))
    expander_prompt = pipeline.expander.backend.prompts[0]  # type: ignore[attr-defined]
    assert "How many clips?" in expander_prompt and "half of 48 is 24" in expander_prompt
    assert result.final_answer == "72"
    assert result.baseline is None and result.savings is None


def test_the_final_answer_is_the_one_bench_scores(scripted: type[ScriptedBackend]) -> None:
    """ask, serve and bench read one final answer: Math-Verify's (the last expression), not lm-eval's `#### N`."""
    answer = "#### 7\nSo 7 apples are eaten and 3 are left."
    result = collaboration(scripted, ["a plan </think>"], [answer]).ask("q", settings(10))
    assert result.final_answer == score(answer, "3").answer == "3"


class Recorder(Observer):
    def __init__(self) -> None:
        self.events: list[str] = []

    def started(self, stage: Stage, model: str) -> None:
        self.events.append(f"start {stage} {model}")

    def text(self, stage: Stage, chunk: str) -> None:
        self.events.append(f"text {stage} {chunk}")

    def finished(self, result: StageResult) -> None:
        self.events.append(f"done {result.stage}")

    def planned(self, plan: PlanResult) -> None:
        self.events.append(f"planned {plan.stage.completion.completion_tokens}/{plan.budget}")


def test_observer_sees_each_stage_in_order_with_its_text(scripted: type[ScriptedBackend]) -> None:
    pipeline = collaboration(scripted, ["plan </think>", "full </think> #### 1"], ["answer #### 1"])
    recorder = Recorder()
    pipeline.ask("q", settings(5), compare=True, observer=recorder)
    assert recorder.events == ["start plan reasoner", "text plan plan ", "done plan", "planned 2/5",
                               "start expand small", "text expand answer #### 1", "done expand",
                               "start baseline reasoner", "text baseline full </think> #### 1", "done baseline"]


def test_no_room_for_the_expander_fails_before_planning(scripted: type[ScriptedBackend]) -> None:
    planner = scripted(["never used"])
    pipeline = Collaboration(Model(REASONER, planner), Model(EXPANDER, scripted([], n_ctx=40)))
    with pytest.raises(ContextOverflowError, match="no room to answer") as error:
        pipeline.ask("How many clips? " * 3, settings(30))
    assert "--budget" in (error.value.fix or "")
    assert planner.prompts == []  # nothing computed and thrown away


@pytest.mark.parametrize(("budget", "shown", "fix"), [
    (10**29, "1e+29", "lower --budget to at most 3,889, shorten the question or raise --ctx"),
    (Adaptive(cap=2 * 4000, name="high"), "8,000",
     "lower --max-budget to at most 1,944 (--budget high thinks up to 2 times it), or raise --ctx"),
])
def test_a_budget_too_large_for_the_context_names_its_setting_and_what_fits(
        scripted: type[ScriptedBackend], budget: int | Adaptive, shown: str, fix: str) -> None:
    same = Model(EXPANDER, scripted([]))  # one model plans and answers: no margin; the fit is 4,096 less the
    # expander's instructions and worked example around "q" and the room kept for an answer
    with pytest.raises(BudgetTooLarge) as error:
        Collaboration(same, same).ask("q", DecodeSettings(budget=budget, max_tokens=50))
    assert f"a plan of up to {shown} tokens leaves small no room" in error.value.message
    assert error.value.message.endswith("(a plan of at most 3,889 tokens fits)")
    assert error.value.fix == fix and error.value.fits == 3889


def test_a_cut_answer_is_read_without_its_unfinished_line(scripted: type[ScriptedBackend]) -> None:
    """A list item begun when max tokens ran out (`2. 2+`) is not the answer: read across it, Math-Verify makes
    `5**` and a line break of it, which then disagreed with the planner's 5."""
    pipeline = collaboration(scripted, ["3 + 2 = 5 </think>"], ["3 + 2 = **5**\n2. 2+ 1 = 3"])
    result = pipeline.ask("q", settings(10, max_tokens=6))
    assert result.expansion.text == "3 + 2 = **5**\n2. 2+" and result.expansion.truncated
    assert result.final_answer == "5"


def test_room_for_a_plan_from_another_tokenizer_has_a_margin(scripted: type[ScriptedBackend]) -> None:
    """A budget of 40 planner tokens may be more expander tokens: 50 are kept free when the models differ."""
    question = "How many clips? " * 3
    prompt = scripted([]).prompt_tokens(prompts.expand_request(
        EXPANDER, question, "", answers=prompts.GSM8K_ANSWERS, max_tokens=50, sampling=Sampling()))
    for n_ctx, fits in ((prompt + 40 + 16, False), (prompt + 50 + 16, True)):
        planner = scripted(["a plan"])
        pipeline = Collaboration(Model(REASONER, planner), Model(EXPANDER, scripted(["#### 3"], n_ctx=n_ctx)))
        if fits:
            assert pipeline.ask(question, settings(40)).final_answer == "3"
        else:
            with pytest.raises(ContextOverflowError, match=r"up to 40 tokens \(up to 50 of the expander's\)"):
                pipeline.ask(question, settings(40))
            assert planner.prompts == []
    same = Model(EXPANDER, scripted(["a plan", "#### 3"], n_ctx=prompt + 40 + 16))  # one model plans and answers:
    assert Collaboration(same, same).ask(question, settings(40)).final_answer == "3"  # no margin


def test_baseline_splits_full_cot_and_savings_follow(scripted: type[ScriptedBackend]) -> None:
    full = "a b c d e f g h i j k l m n o p q r s t </think> so #### 72"
    pipeline = collaboration(scripted, ["a b c d </think>", full], ["x y #### 72"])
    result = pipeline.ask("q", settings(10), compare=True)
    baseline = result.baseline
    assert baseline is not None
    assert baseline.cot.split() == list("abcdefghijklmnopqrst")
    assert baseline.cot_tokens == 20 and baseline.answer == "so #### 72" and baseline.final_answer == "72"
    savings = result.savings
    assert savings is not None
    plan_tokens = result.plan.stage.completion.completion_tokens
    assert savings.cot_ratio == pytest.approx(plan_tokens / 20)
    assert savings.planner_tokens == pytest.approx(1 - plan_tokens / baseline.stage.completion.completion_tokens)
    assert [stage.stage for stage in result.stages] == ["plan", "probe", "expand"]  # the probe costs too
    hawkeye_cost = sum(stage.cost for stage in result.stages)
    assert savings.cost == pytest.approx(1 - hawkeye_cost / baseline.stage.cost)
    assert not savings.lower_bound
    # cost uses the registry prices: the expander's tokens are 14x cheaper than the planner's (0.5 vs 7.0 here)
    expansion = result.expansion.completion
    assert result.expansion.cost == pytest.approx((expansion.prompt_tokens + expansion.completion_tokens) * 0.5 / 1000)


def test_a_truncated_baseline_makes_savings_a_lower_bound(scripted: type[ScriptedBackend]) -> None:
    pipeline = Collaboration(Model(REASONER, scripted(["a </think>", "b c d e f g h"])),
                             Model(EXPANDER, scripted(["x #### 1"])))
    result = pipeline.ask("q", settings(10, max_tokens=3), compare=True)
    assert result.baseline is not None and result.baseline.stage.truncated
    assert result.savings is not None and result.savings.lower_bound
    assert result.to_dict()["baseline"]["stage"]["truncated"] is True


def test_completion_planner_uses_plain_prompt_and_stops_before_next_question(scripted: type[ScriptedBackend]) -> None:
    pipeline = collaboration(scripted, ["48 / 2 = 24\nQuestion: something else"], [], planner=BASE)
    plan = pipeline.plan("How many clips?", settings(30))
    assert plan.cot == "48 / 2 = 24" and not plan.budget_reached
    prompt = pipeline.planner.backend.prompts[0]  # type: ignore[attr-defined]
    assert prompt.startswith("Question: How many clips?") and "<user>" not in prompt


@pytest.mark.parametrize(
    ("text", "reasoning", "opened", "expected"),
    [
        ("think </think> answer", None, True, ("think", "answer")),
        ("<think>think </think> answer", None, False, ("think", "answer")),
        ("never closed", None, True, ("never closed", "")),
        ("plain", None, False, ("", "plain")),
        ("the answer", "separate thinking", True, ("separate thinking", "the answer")),
    ],
)
def test_split_thinking(text: str, reasoning: str | None, opened: bool, expected: tuple[str, str]) -> None:
    completion = Completion(text, 1, 1, 0.0, 0.1, "eos", reasoning=reasoning)
    assert split_thinking(completion, opened=opened) == expected
