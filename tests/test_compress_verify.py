"""Answers of MATH and GSM8K traces: extraction, normalised comparison, and whether a compressed CoT still holds one."""

from __future__ import annotations

import pytest

from hawkeye_cli.compression.verify import final_answer, normalize_answer, same_answer, states_answer


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("so the total is 72.\n#### 72", "72"),
        ("#### 8\nthen \\boxed{\\frac{1}{2}}", "\\frac{1}{2}"),  # the later mark wins
        ("\\boxed{7}\n#### 7.5", "7.5"),
        ("They are \\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}.", "\\left( 3, \\frac{\\pi}{2} \\right)"),
        ("#### Step 1: add\nwe get 5 apples", "5"),  # a markdown heading is no answer
        ("no answer at all", None),
    ],
)
def test_final_answer(text: str, answer: str | None) -> None:
    assert final_answer(text) == answer


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})", True),
        ("\\dfrac{14}{3}", "\\frac{14}{3}", True),
        ("14/3", "\\tfrac{14}{3}", True),
        ("-\\frac{1}{2}", "-0.5", True),
        ("\\boxed{9}", "9.0", True),
        ("$1,000", "1000", True),
        ("\\text{Evelyn}", "Evelyn", True),
        ("90^\\circ", "90", True),
        ("4.67", "\\frac{14}{3}", False),
        ("0.5", "-0.5", False),
        ("1,-2", "1,2", False),
    ],
)
def test_same_answer(a: str, b: str, same: bool) -> None:
    assert same_answer(a, b) is same


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
