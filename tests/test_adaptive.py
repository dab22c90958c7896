"""The adaptive stop's rule on scripted planners: rounds, probes, convergence, hedging, the cap, the planner's own
end, the graceful end of a fixed budget, --stop-when agree and --on-disagree resume.

The scripted planner gives out one thinking text round by round (a word is a token) and its probes answer from a
script; test_adaptive_models.py runs the same pipeline on the real tiny models, in process and through a server.
"""

from __future__ import annotations

import pytest

from conftest import ScriptedBackend
from hawkeye_cli.backends.base import Request, RequestSession
from hawkeye_cli.backends.model import Model
from hawkeye_cli.budget import EFFORT_LEVELS, Adaptive, resolve
from hawkeye_cli.pipeline import Collaboration, DecodeSettings
from hawkeye_cli.pipeline.prompts import GSM8K_ANSWERS, PROBE_STOPS, PROBE_TOKENS, closing_brace_end, number_end
from hawkeye_cli.store.registry import ModelSpec, Source

PLANNER = ModelSpec(alias="planner", source=Source(path="p.gguf"), reasoning=True)
EXPANDER = ModelSpec(alias="expander", source=Source(path="e.gguf"))
THINKING = " ".join(f"w{i}" for i in range(1, 41))
"""Forty tokens of thinking that never ends by itself."""


def pair(scripted: type[ScriptedBackend], answers: list[str], *, thinking: str = THINKING,
         expanded: tuple[str, ...] = ("#### 7",), checks: tuple[str, ...] = ()) -> Collaboration:
    planner = scripted([thinking], answers=answers)
    expander = scripted([*checks, *expanded])
    return Collaboration(Model(PLANNER, planner), Model(EXPANDER, expander))


def adaptive(cap: int = 40, round_tokens: int = 4, agreeing: int = 3, **more: object) -> DecodeSettings:
    budget = Adaptive(cap=cap, round_tokens=round_tokens, agreeing=agreeing, **more)  # type: ignore[arg-type]
    return DecodeSettings(budget=budget, max_tokens=32)


def test_three_agreeing_answers_stop_at_round_four(scripted: type[ScriptedBackend]) -> None:
    collaboration = pair(scripted, ["1", "2", "2", "2", "2", "2"])
    plan = collaboration.plan("q", adaptive())
    assert plan.stop == "converged"
    assert [probe.answer for probe in plan.probes] == ["1", "2", "2", "2"]
    assert plan.stage.completion.completion_tokens == 16  # four rounds of four
    assert plan.cot == "w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15 w16\n\nFinal answer: 2"
    assert collaboration.planner.backend.probed[-1].endswith("w16... Oh, I suddenly got the answer to the whole "  # type: ignore[attr-defined]
                                                             "problem, **Final Answer**\n\n#### ")


def test_equivalent_answers_converge_as_math_verify_reads_them(scripted: type[ScriptedBackend]) -> None:
    plan = pair(scripted, ["1/2", "0.5", "\\frac{1}{2}"]).plan("q", adaptive())
    assert plan.stop == "converged" and len(plan.probes) == 3


def test_hedging_in_the_last_round_delays_the_stop(scripted: type[ScriptedBackend]) -> None:
    hedging = THINKING.replace("w14", "Wait,")  # round four: w13 Wait, w15 w16
    plan = pair(scripted, ["1", "2", "2", "2", "2", "2"], thinking=hedging).plan("q", adaptive())
    assert plan.stop == "converged"
    assert [probe.hedged for probe in plan.probes] == [False, False, False, True, False]
    assert plan.stage.completion.completion_tokens == 20


def test_the_cap_holds_when_answers_never_settle(scripted: type[ScriptedBackend]) -> None:
    plan = pair(scripted, [str(n) for n in range(20)]).plan("q", adaptive(cap=10))
    assert plan.stop == "cap" and plan.budget_reached
    assert plan.stage.completion.completion_tokens == 10  # rounds of 4, 4, then the 2 the cap leaves
    assert [probe.after_tokens for probe in plan.probes] == [4, 8, 10]
    assert plan.cot.endswith("w10\n\nFinal answer: 2")


def test_a_planner_that_closes_its_thinking_ends_it(scripted: type[ScriptedBackend]) -> None:
    plan = pair(scripted, ["1", "2", "3"], thinking="a b c d e f </think> the answer is 7").plan("q", adaptive())
    assert plan.stop == "ended" and not plan.budget_reached
    assert plan.cot == "a b c d e f"  # its own end: no conclusion added
    assert len(plan.probes) == 2  # after round one, and its final answer for the agreement


def test_a_fixed_budget_that_cuts_the_plan_ends_it_with_the_planners_answer(scripted: type[ScriptedBackend]) -> None:
    plan = pair(scripted, ["72"]).plan("q", DecodeSettings(budget=5, max_tokens=32))
    assert (plan.stop, plan.cot) == ("budget", "w1 w2 w3 w4 w5\n\nFinal answer: 72")
    assert plan.probe_stage is not None and plan.probe_stage.completion.completion_tokens == 1


def test_agreement_is_read_with_math_verify(scripted: type[ScriptedBackend]) -> None:
    agreeing = pair(scripted, ["2", "2", "2"], expanded=("so it is 2.0 apples\n#### 2.0",)).ask("q", adaptive())
    assert agreeing.agree is True and agreeing.plan.answer == "2"
    disagreeing = pair(scripted, ["2", "2", "2"], expanded=("#### 3",)).ask("q", adaptive())
    assert disagreeing.agree is False
    silent = pair(scripted, [], expanded=("#### 3",)).ask("q", adaptive(cap=8))
    assert silent.agree is None and silent.plan.stop == "cap"
    assert silent.to_dict()["agree"] is None and agreeing.to_dict()["agree"] is True


def test_stop_when_agree_stops_when_the_expanders_short_answer_is_the_planners(scripted: type[ScriptedBackend]) -> None:
    collaboration = pair(scripted, ["5", "6", "6", "9"], checks=("#### 4", "the answer is 7", "#### 6"))
    result = collaboration.ask("q", adaptive(stop_when="agree"))
    assert result.plan.stop == "agreed" and len(result.plan.probes) == 3
    checks = result.plan.checks
    assert checks is not None and checks.stage == "check" and checks.model == "expander"
    assert [stage.stage for stage in result.stages] == ["plan", "probe", "check", "expand"]


def test_on_disagree_resume_thinks_further_and_answers_again(scripted: type[ScriptedBackend]) -> None:
    collaboration = pair(scripted, ["2", "2", "2", "3", "3", "3"], expanded=("#### 3", "#### 3"))
    settings = adaptive()
    result = collaboration.ask("q", DecodeSettings(settings.budget, 32, on_disagree="resume"))
    assert result.agree is True and result.plan.stop == "converged"
    assert [probe.answer for probe in result.plan.probes] == ["2", "2", "2", "3", "3", "3"]
    assert result.plan.stage.completion.completion_tokens == 24  # resumed from round three, not restarted
    assert [stage.stage for stage in result.stages] == ["plan", "probe", "first_expand", "expand"]
    assert result.plan.cot.endswith("w24\n\nFinal answer: 3")


@pytest.mark.parametrize("level", ["low", "medium", "high"])
def test_effort_levels_set_cap_round_and_agreement(level: str) -> None:
    budget = resolve(level, 1000)  # type: ignore[arg-type]
    assert isinstance(budget, Adaptive) and budget.name == level
    setting = EFFORT_LEVELS[level]  # type: ignore[index]
    assert (budget.cap, budget.round_tokens, budget.agreeing) == (
        round(1000 * setting.cap_factor), setting.round_tokens, setting.agreeing)
    assert resolve("auto", 1000) == Adaptive(cap=1000, round_tokens=64, agreeing=3, name="auto")


@pytest.mark.parametrize(("written", "answer"), [
    ("18 eggs per day at the market", "18"), ("$1,250.50 in all", "$1,250.50"), ("72. The rest", "72"),
    ("-5 degrees", "-5"), ("40% of them", "40%"),
    ("18", None), ("18 + 2 = 20", None), ("3 \\sqrt{2}", None), ("x = 5 apples", None), ("1.", None),
])
def test_a_gsm8k_answer_is_complete_once_words_follow_its_number(written: str, answer: str | None) -> None:
    end = number_end(written)
    assert (written[:end] if end is not None else None) == answer


@pytest.mark.parametrize(("written", "answer"), [
    ("72} \\]", "72}"), ("\\frac{1}{2}} \\]", "\\frac{1}{2}}"), ("\\{1, 2\\}} and", "\\{1, 2\\}}"),
    ("\\frac{1}{2", None), ("72", None),
])
def test_a_boxed_answer_is_complete_at_its_closing_brace(written: str, answer: str | None) -> None:
    end = closing_brace_end(written)
    assert (written[:end] if end is not None else None) == answer


def test_probes_keep_only_the_answer_and_still_converge(scripted: type[ScriptedBackend]) -> None:
    plan = pair(scripted, ["18 eggs per day", "18 eggs", "18 dollars a day"]).plan("q", adaptive())
    assert plan.stop == "converged"
    assert [probe.completion.text for probe in plan.probes] == ["18", "18", "18"]
    assert plan.cot.endswith("\n\nFinal answer: 18")


def test_a_remote_probe_is_cut_where_its_answer_is_complete(scripted: type[ScriptedBackend]) -> None:
    """An engine cannot be told where an answer ends: it writes up to the probe's tokens, and the text is cut as
    in process, so both read the same answer."""
    engine = scripted(["18 eggs per day at the market"])
    session = RequestSession(engine, Request(PROBE_TOKENS, prompt="Q: how many eggs?"))
    probe = session.probe("#### ", PROBE_TOKENS, PROBE_STOPS, GSM8K_ANSWERS.probe(PLANNER).end)
    assert probe.text == "18" and probe.finish_reason == "stop"
    assert probe.completion_tokens == 7  # what the engine wrote, all counted
