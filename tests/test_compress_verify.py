"""Answers of MATH and GSM8K traces: extraction, normalised comparison, and whether a compressed CoT still holds one."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hawkeye_cli.backends.base import Backend, Completion, Request
from hawkeye_cli.backends.model import Model
from hawkeye_cli.compression.verify import Verifier, normalize_answer, states_answer
from hawkeye_cli.pipeline import DecodeSettings
from hawkeye_cli.scoring.verdict import read_answer
from hawkeye_cli.store.registry import ModelSpec, Source


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("so the total is 72.\n#### 72", "72"),
        ("#### 8\nthen \\boxed{\\frac{1}{2}}", "\\frac{1}{2}"),
        ("\\boxed{7}\n#### 7.5", "7"),  # Math-Verify: the last \boxed{} wins over anything else
        ("They are \\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}.", "( 3, \\frac{\\pi}{2} )"),
        ("#### Step 1: add\nwe get 5 apples", "5"),  # a markdown heading is no answer
        ("no answer at all", None),
    ],
)
def test_the_cots_answer_is_what_math_verify_reads(text: str, answer: str | None) -> None:
    assert read_answer(text) == answer


class Writes(Backend):
    """An expander backend that 'writes' a fixed output of 5 tokens."""

    name, n_ctx = "fake", None

    def __init__(self, output: str) -> None:
        self.output = output

    def complete(self, request: Request, on_text: Callable[[str], None] | None = None) -> Completion:
        return Completion(self.output, 10, 5, 0.1, 0.5, "stop")


def verifier(output: str) -> Verifier:
    expander = Model(ModelSpec(alias="fake", source=Source(path="f.gguf")), Writes(output))
    return Verifier(expander, DecodeSettings(budget=8, max_tokens=32))


@pytest.mark.parametrize(
    ("output", "gold", "cot_answer", "matches"),
    [
        ("so \\boxed{\\dfrac{14}{3}}", "\\frac{14}{3}", "14/3", (True, True)),
        ("\\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}", "(3,\\frac{\\pi}{2})", "(3, \\pi/2)", (True, True)),
        ("She earns \\boxed{\\$1,000}.", "1000", "1000.0", (True, True)),
        ("\\boxed{4.67}", "\\frac{14}{3}", "4.67", (False, True)),
        ("\\boxed{-0.5}", "0.5", None, (False, None)),
        ("\\boxed{9}", None, None, (None, None)),
    ],
)
def test_verifier_compares_with_math_verify(output: str, gold: str | None, cot_answer: str | None,
                                            matches: tuple[bool | None, bool | None]) -> None:
    check = verifier(output).check("q", "cot", gold, cot_answer)
    assert (check.matches_gold, check.matches_cot) == matches
    assert check.answer is not None and check.expander_tokens == 5


def test_lm_eval_columns_go_along_with_math_verify() -> None:
    marked = verifier("So 1,000 apples.\n#### 1000").check("q", "cot", "1000", None)
    assert (marked.matches_gold, marked.gold_strict, marked.gold_flexible) == (True, True, True)
    latex = verifier("\\boxed{\\frac{14}{3}}").check("q", "cot", "\\frac{14}{3}", None)
    assert (latex.matches_gold, latex.gold_strict, latex.gold_flexible) == (True, False, False)  # numbers only
    no_gold = verifier("#### 3").check("q", "cot", None, "3")
    assert (no_gold.matches_gold, no_gold.gold_strict, no_gold.gold_flexible, no_gold.matches_cot) == (
        None, None, None, True)


def test_normalize_answer() -> None:
    assert normalize_answer(" \\left( 3, \\dfrac{\\pi}{2} \\right) .") == "(3,\\frac{\\pi}{2})"


@pytest.mark.parametrize(
    ("text", "answer", "held"),
    [
        ("2 + \\frac{5}{3} + 1 = \\frac{14}{3}", "\\dfrac{14}{3}", True),
        ("so we have 9.", "9", True),
        ("so we have 19.", "9", False),
        ("the point is (3, \\frac{\\pi}{2})", "\\left( 3, \\frac{\\pi}{2} \\right)", True),
        ("the point is (3, \\pi)", "\\left( 3, \\frac{\\pi}{2} \\right)", False),
    ],
)
def test_states_answer(text: str, answer: str, held: bool) -> None:
    assert states_answer(text, answer) is held
