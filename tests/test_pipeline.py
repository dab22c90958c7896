"""plan → expand logic: </think> handling, budget forcing, baseline split, savings maths.

The scripted backend isolates the logic; test_ask.py runs the same pipeline on the real tiny models.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hawkeye_cli.pipeline import Collaboration, DecodeSettings
from hawkeye_cli.pipeline.prompts import THINK_OPEN, split_thinking
from hawkeye_cli.registry import ModelSpec, Source

REASONER = ModelSpec(
    alias="reasoner", source=Source(path="r.gguf"), reasoning=True, cost={"prompt": 7.0, "completion": 7.0}
)
EXPANDER = ModelSpec(alias="small", source=Source(path="s.gguf"), cost={"prompt": 0.5, "completion": 0.5})
BASE = ModelSpec(alias="base", source=Source(path="b.gguf"), prompt_format="completion")


def collaboration(scripted: Callable, planner_outputs: list[str], expander_outputs: list[str],
                  planner: ModelSpec = REASONER) -> Collaboration:
    return Collaboration(scripted(planner_outputs), planner, scripted(expander_outputs), EXPANDER,
                         DecodeSettings(max_tokens=50))


def test_plan_stops_at_think_close_and_opens_thinking(scripted: Callable) -> None:
    pipeline = collaboration(scripted, ["48 / 2 = 24 ; 48 + 24 = 72 </think> The answer is 72"], [])
    plan, truncated = pipeline.plan("How many clips?", budget=100)
    assert plan.text.strip() == "48 / 2 = 24 ; 48 + 24 = 72"
    assert not truncated and plan.finish_reason == "stop"
    assert pipeline.planner.prompts[0].endswith(THINK_OPEN + "\n")  # type: ignore[attr-defined]


def test_budget_forces_thinking_closed(scripted: Callable) -> None:
    pipeline = collaboration(scripted, ["Wait , let me think again about the clips sold in May </think> 72"], [])
    plan, truncated = pipeline.plan("q", budget=4)
    assert truncated and plan.finish_reason == "length"
    assert plan.completion_tokens == 4
    assert plan.text == "Wait , let me"


def test_expander_gets_question_and_cot_and_answer_is_extracted(scripted: Callable) -> None:
    pipeline = collaboration(scripted, ["half of 48 is 24 </think>"], ["So 48 + 24 = 72 clips.\n#### 72"])
    result = pipeline.ask("How many clips?", budget=10)
    expander_prompt = pipeline.expander.prompts[0]  # type: ignore[attr-defined]
    assert "How many clips?" in expander_prompt and "half of 48 is 24" in expander_prompt
    assert result.final_answer == "72"
    assert result.baseline is None and result.savings is None


def test_on_plan_runs_before_expansion_streams(scripted: Callable) -> None:
    events: list[str] = []
    pipeline = collaboration(scripted, ["plan </think>"], ["answer #### 1"])
    pipeline.ask("q", budget=5, on_plan=lambda plan, truncated: events.append("plan"),
                 on_text=lambda text: events.append("text"))
    assert events == ["plan", "text"]


def test_baseline_splits_full_cot_and_savings_follow(scripted: Callable) -> None:
    full = "a b c d e f g h i j k l m n o p q r s t </think> so #### 72"
    pipeline = collaboration(scripted, ["a b c d </think>", full], ["x y #### 72"])
    result = pipeline.ask("q", budget=10, compare=True)
    baseline = result.baseline
    assert baseline is not None
    assert baseline.cot.split() == list("abcdefghijklmnopqrst")
    assert baseline.cot_tokens == 20 and baseline.answer == "so #### 72" and baseline.final_answer == "72"
    savings = result.savings
    assert savings is not None
    plan_tokens = result.plan.completion_tokens
    assert savings.cot_ratio == pytest.approx(plan_tokens / 20)
    assert savings.planner_tokens == pytest.approx(1 - plan_tokens / baseline.stage.completion_tokens)
    hawkeye_cost = result.plan.cost + result.expansion.cost
    assert savings.cost == pytest.approx(1 - hawkeye_cost / baseline.stage.cost)
    # cost uses the registry prices: the expander's tokens are 14x cheaper than the planner's
    assert result.expansion.cost == pytest.approx(
        (result.expansion.prompt_tokens + result.expansion.completion_tokens) * 0.5 / 1000
    )


def test_completion_planner_uses_plain_prompt_and_stops_before_next_question(scripted: Callable) -> None:
    pipeline = collaboration(scripted, ["48 / 2 = 24\nQuestion: something else"], [], planner=BASE)
    plan, truncated = pipeline.plan("How many clips?", budget=30)
    assert plan.text == "48 / 2 = 24" and not truncated
    prompt = pipeline.planner.prompts[0]  # type: ignore[attr-defined]
    assert prompt.startswith("Question: How many clips?") and "<user>" not in prompt


@pytest.mark.parametrize(
    ("text", "reasoning", "expected"),
    [
        ("think </think> answer", True, ("think", "answer")),
        ("never closed", True, ("never closed", "")),
        ("plain", False, ("plain", "plain")),
    ],
)
def test_split_thinking(text: str, reasoning: bool, expected: tuple[str, str]) -> None:
    assert split_thinking(text, reasoning=reasoning) == expected
