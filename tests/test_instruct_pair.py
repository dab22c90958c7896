"""The method on a chat planner that does not think (an instruct model), as pure logic on scripted models: its
draft's own answer is read without a probe, an expander's solution that ends without the answer mark is made to
state it, and on disagreement the planner's plan answers (the default) or the expander's is kept."""

from __future__ import annotations

import pytest

from conftest import ScriptedBackend
from hawkeye_cli.backends.model import Model
from hawkeye_cli.pipeline import Collaboration, DecodeSettings
from hawkeye_cli.pipeline.collaborate import DEFAULT_ON_DISAGREE
from hawkeye_cli.pipeline.prompts import MATH_ANSWERS
from hawkeye_cli.store.registry import ModelSpec, Source

INSTRUCT = ModelSpec(alias="instruct", source=Source(path="i.gguf"), cost={"prompt": 1.5, "completion": 1.5})
EXPANDER = ModelSpec(alias="small", source=Source(path="s.gguf"), cost={"prompt": 0.5, "completion": 0.5})
DRAFT = "April : 48 \nMay : 48 / 2 = 24 \nTotal : 48 + 24 = 72 \n#### 72"


def pair(scripted: type[ScriptedBackend], draft: str, solution: str, *, planner_answers: tuple[str, ...] = (),
         expander_answers: tuple[str, ...] = ()) -> Collaboration:
    return Collaboration(Model(INSTRUCT, scripted([draft], answers=planner_answers)),
                         Model(EXPANDER, scripted([solution], answers=expander_answers)))


def test_a_draft_that_ends_with_its_answer_is_not_probed(scripted: type[ScriptedBackend]) -> None:
    collaboration = pair(scripted, DRAFT, "She sold 48 + 24 = 72 clips. \n#### 72", planner_answers=("99",))

    result = collaboration.ask("How many clips?", DecodeSettings(budget=64, max_tokens=50))

    assert (result.plan.answer, result.plan.stated, result.plan.probes, result.plan.stop) == ("72", "72", (), "ended")
    assert collaboration.planner.backend.probed == []  # type: ignore[attr-defined]
    assert result.plan.cot.endswith("#### 72")  # the expander sees the planner's answer in its own words
    assert (result.agree, result.final_answer, result.answered_by) == (True, "72", "expander")


def test_a_draft_cut_by_the_budget_is_probed_for_its_answer(scripted: type[ScriptedBackend]) -> None:
    collaboration = pair(scripted, DRAFT, "#### 72", planner_answers=("72",))

    result = collaboration.ask("How many clips?", DecodeSettings(budget=5, max_tokens=50))

    assert (result.plan.stated, result.plan.answer, len(result.plan.probes), result.plan.stop) == (
        None, "72", 1, "budget")
    assert result.plan.cot.endswith("Final answer: 72")


def test_a_solution_without_the_answer_mark_is_made_to_state_its_answer(scripted: type[ScriptedBackend]) -> None:
    collaboration = pair(scripted, DRAFT, "She sold 72 clips in all.", expander_answers=("72 clips",))

    result = collaboration.ask("How many clips?", DecodeSettings(budget=64, max_tokens=50))

    [continued] = collaboration.expander.backend.probed  # type: ignore[attr-defined]
    assert continued == "She sold 72 clips in all.\n#### "
    assert result.expansion.text == "She sold 72 clips in all.\n#### 72"  # the answer ends with its number
    assert result.expansion.completion.completion_tokens == 6 + 2
    assert (result.final_answer, result.agree) == ("72", True)


def test_a_math_solution_is_made_to_box_its_answer(scripted: type[ScriptedBackend]) -> None:
    collaboration = Collaboration(Model(INSTRUCT, scripted(["x = 5 \n\\boxed{5}"])),
                                  Model(EXPANDER, scripted(["So x is five."], answers=("5}$. And more",))),
                                  answers=MATH_ANSWERS)

    result = collaboration.ask("Solve x - 5 = 0.", DecodeSettings(budget=64, max_tokens=50))

    assert result.expansion.text == "So x is five.\n\nThe final answer is $\\boxed{5}"
    assert (result.plan.stated, result.final_answer, result.agree) == ("5", "5", True)


def test_a_solution_that_was_cut_short_is_not_continued(scripted: type[ScriptedBackend]) -> None:
    collaboration = pair(scripted, DRAFT, "She sold 48 + 24 = 72 clips , which is", expander_answers=("72",))

    result = collaboration.ask("How many clips?", DecodeSettings(budget=64, max_tokens=5))

    assert collaboration.expander.backend.probed == []  # type: ignore[attr-defined]
    assert result.expansion.truncated


@pytest.mark.parametrize(("on_disagree", "answered_by", "final", "text"), [
    ("planner", "planner", "72", DRAFT),
    ("keep", "expander", "96", "So 48 + 48 = 96 clips. \n#### 96"),
])
def test_on_disagreement_the_planner_answers_by_default(scripted: type[ScriptedBackend], on_disagree: str,
                                                        answered_by: str, final: str, text: str) -> None:
    collaboration = pair(scripted, DRAFT, "So 48 + 48 = 96 clips. \n#### 96")

    result = collaboration.ask("How many clips?", DecodeSettings(budget=64, max_tokens=50,
                                                                 on_disagree=on_disagree))  # type: ignore[arg-type]

    assert result.agree is False
    assert (result.answered_by, result.final_answer, result.text) == (answered_by, final, text)
    assert result.to_dict()["answer"] == text and result.to_dict()["answered_by"] == answered_by
    assert DEFAULT_ON_DISAGREE == "planner" and DecodeSettings(budget=1, max_tokens=1).on_disagree == "planner"


def test_solve_has_the_planner_answer_alone_in_full_when_they_disagree(scripted: type[ScriptedBackend]) -> None:
    collaboration = Collaboration(
        Model(INSTRUCT, scripted([DRAFT, "In May she sold 48 / 2 = 24 , so 48 + 24 = 72 in all. \n#### 72"])),
        Model(EXPANDER, scripted(["So 48 + 48 = 96 clips. \n#### 96"])))

    result = collaboration.ask("How many clips?", DecodeSettings(budget=64, max_tokens=50, on_disagree="solve"))

    assert (result.agree, result.answered_by, result.final_answer) == (False, "planner", "72")
    assert result.solved is not None and result.text == result.solved.text and result.text.endswith("#### 72")
    assert [stage.stage for stage in result.stages] == ["plan", "expand", "solve"]
    assert "solve" in result.to_dict()["stages"]
