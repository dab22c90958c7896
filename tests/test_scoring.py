r"""The scorer: Math-Verify's verdict (primary) next to lm-eval's strict-match and flexible-extract."""

from __future__ import annotations

import threading

import pytest

from hawkeye_cli.scoring.verdict import MathVerifyProcess, Verdict, gold_of, score


@pytest.mark.parametrize(
    ("output", "gold"),
    [
        ("so the answer is \\boxed{\\dfrac{14}{3}}", "\\frac{14}{3}"),
        ("She earns \\boxed{\\$70,\\!000} a year.", "70000"),
        ("The solution set is $\\boxed{[1, 2)}$.", "[1,2)"),
        ("Both roots: \\boxed{\\{3, -1\\}}", "\\{-1,3\\}"),
        ("They are \\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}.", "(3,\\frac{\\pi}{2})"),
        ("The total is 1,234 dollars.\n#### 1,234", gold_of("... #### 1234", "gsm8k")),
        ("\\boxed{0.5}", "\\frac{1}{2}"),
    ],
)
def test_equivalent_answers_are_correct(output: str, gold: str) -> None:
    assert score(output, gold).correct


@pytest.mark.parametrize(
    ("output", "gold"),
    [("\\boxed{\\frac{14}{5}}", "\\frac{14}{3}"), ("#### 71", "72"), ("\\boxed{(1, 2]}", "[1,2)"), ("no idea", "3")],
)
def test_a_wrong_answer_is_wrong(output: str, gold: str) -> None:
    assert not score(output, gold).correct


def test_lm_eval_columns_sit_next_to_math_verify() -> None:
    """lm-eval's strict-match reads `\\$70,\\!000` as 70; Math-Verify reads 70000."""
    assert score("She earns \\boxed{\\$70,\\!000}.\n#### 70,000", "70000") == Verdict(
        correct=True, answer="70,000", strict="70000", flexible="70000", correct_strict=True, correct_flexible=True
    )
    verdict = score("So \\boxed{\\$70,\\!000}", "70000")
    assert (verdict.correct, verdict.strict, verdict.correct_strict) == (True, "70", False)
    assert not score("\\boxed{\\frac{1}{2}}", "\\frac{1}{2}").correct_strict  # numbers only


@pytest.mark.parametrize(
    ("reference", "answer_format", "gold"),
    [("48/2 = 24\n#### 1,000", "gsm8k", "1000"), ("72", "gsm8k", "72"), (" \\frac{1}{2} ", "math", "\\frac{1}{2}")],
)
def test_gold_of_each_answer_format(reference: str, answer_format: str, gold: str) -> None:
    assert gold_of(reference, answer_format) == gold  # type: ignore[arg-type]


@pytest.mark.parametrize(("reference", "answer_format"), [("no number", "gsm8k"), ("  ", "math")])
def test_a_reference_without_an_answer_is_rejected(reference: str, answer_format: str) -> None:
    with pytest.raises(ValueError):
        gold_of(reference, answer_format)  # type: ignore[arg-type]


def test_a_pathological_output_cannot_hang_a_worker_thread() -> None:
    """9^9^9^9 makes SymPy compute an integer with ~10^8 digits in C, which no signal interrupts.

    Scored from a non-main thread (where Math-Verify's signal.alarm cannot work), it scores wrong after the
    deadline instead of hanging; the checker then scores the next output normally.
    """
    checker = MathVerifyProcess(deadline=2)
    verdicts: list[Verdict] = []
    worker = threading.Thread(
        target=lambda: verdicts.extend(
            [score("\\boxed{9^{9^{9^{9}}}}", "5", checker), score("\\boxed{5}", "5", checker)]
        ),
        daemon=True,
    )
    worker.start()
    worker.join(timeout=120)
    checker.close()
    assert not worker.is_alive(), "scoring hung"
    assert [v.correct for v in verdicts] == [False, True]
