"""Steps, keep-rules and budget fill (filter, and surprisal with a scripted scorer); tokens from SmolLM2's tokenizer."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from conftest import ScriptedBackend
from hawkeye_cli.backends.base import Backend
from hawkeye_cli.compression.compressor import RATIO_TOLERANCE, Compression, StepCompressor
from hawkeye_cli.compression.filter import FilterCompressor, redundancy
from hawkeye_cli.compression.records import Trace, TraceFields, read_records
from hawkeye_cli.compression.segment import Step, join, segment
from hawkeye_cli.compression.surprisal import SurprisalCompressor
from hawkeye_cli.compression.verify import states_answer
from hawkeye_cli.scoring.verdict import read_answer

TRACES = Path(__file__).parent / "data" / "traces.jsonl"

@pytest.fixture(scope="module")
def traces() -> list[Trace]:
    parsed = list(read_records(io.BytesIO(TRACES.read_bytes()), TraceFields()))
    assert all(isinstance(trace, Trace) for trace in parsed)
    return parsed  # type: ignore[return-value]


def kept_steps(compressor: StepCompressor, question: str, cot: str, compressed: str) -> list[Step]:
    """The original steps the compressed text is made of, matched in order; fails if it is anything else."""
    steps, _ = compressor.rank(question, cot, segment(cot, question))
    found, position = [], 0
    for step in steps:
        if step.text and compressed.startswith(step.text, position):
            found.append(step)
            position += len(step.text) + 1  # the separator, a space or a line break
    assert position >= len(compressed), f"not a sequence of whole steps in order: {compressed!r}"
    assert join(cot, found) == compressed
    return found


def test_segment_keeps_equations_and_inline_math_whole(traces: list[Trace]) -> None:
    polar = traces[2]
    steps = segment(polar.thinking, polar.question)
    texts = [step.text for step in steps]
    assert "\\[\nr = \\sqrt{x^2 + y^2} = \\sqrt{0^2 + 3^2} = \\sqrt{9} = 3\n\\]" in texts
    assert "When x is 0 and y is positive, the angle is \\(\\frac{\\pi}{2}\\)." in texts
    assert [step.start for step in steps] == sorted(step.start for step in steps)
    assert " ".join(join(polar.thinking, steps).split()) == " ".join(polar.thinking.split())


def test_keep_rule_marks(traces: list[Trace]) -> None:
    natalia = segment(traces[0].thinking, traces[0].question)
    assert [step.text for step in natalia if step.final] == ["**Final Answer**",
                                                             "Natalia sold \\boxed{72} clips altogether."]
    by_text = {step.text: step for step in natalia}
    assert by_text["Half of 48 is 48 / 2 = 24."].new_math
    assert by_text["Hmm, so in April she sold 48 clips."].math
    assert not by_text["Hmm, so in April she sold 48 clips."].new_math  # 48 is in the question
    assert not by_text["So the total is 72 clips."].new_math  # 72 was computed before
    # No \boxed in the thinking: its last step with a number is the final result.
    split = segment(traces[3].thinking, traces[3].question)
    assert [step.text for step in split if step.final] == ["So the sum is \\(\\dfrac{14}{3}\\)."]


def test_filter_labels_the_papers_redundancy(traces: list[Trace], smollm: Backend) -> None:
    natalia = traces[0]
    steps, _ = _filter(smollm).rank(natalia.question, natalia.thinking, segment(natalia.thinking, natalia.question))
    labels = dict(zip((step.text for step in steps), redundancy(natalia.question, steps), strict=True))
    assert labels["I need to figure out how many clips Natalia sold altogether in April and May."] == "question"
    assert labels["Let me read the problem again."] == "hedging"
    assert labels["let me double-check that."] == "hedging"  # "Wait, " cut as filler
    assert labels["Half of 48 is 48 / 2 = 24."] is None
    repeated = segment("Each box holds six red apples. Then we count boxes. Each box holds six red apples.")
    assert redundancy("", repeated) == [None, None, "repeat"]


def _filter(smollm: Backend) -> FilterCompressor:
    return FilterCompressor(smollm)


def _surprisal(scripted: type[ScriptedBackend], smollm: Backend) -> SurprisalCompressor:
    """The conftest scripted scorer (surprisal = word length) with SmolLM2's real token counts."""
    scorer = scripted([])
    scorer.count_tokens = smollm.count_tokens  # type: ignore[method-assign]
    scorer.n_ctx = smollm.n_ctx
    return SurprisalCompressor(scorer)


@pytest.mark.parametrize("target", [0.2, 0.35, 0.5])
def test_filter_meets_the_target_ratio_with_whole_steps_in_order(
    traces: list[Trace], smollm: Backend, target: float
) -> None:
    compressor = _filter(smollm)
    results: list[Compression] = []
    for trace in traces[:5]:
        (result,) = compressor.compress(trace.question, trace.thinking, [target])
        assert result.original_tokens == smollm.count(trace.thinking)
        assert result.kept_tokens == smollm.count(result.text)
        assert result.ratio <= target + RATIO_TOLERANCE
        kept = kept_steps(compressor, trace.question, trace.thinking, result.text)
        assert any(step.final for step in kept)
        results.append(result)
    assert sum(result.on_target for result in results) >= len(results) - 1
    mean = sum(r.kept_tokens for r in results) / sum(r.original_tokens for r in results)
    assert abs(mean - target) <= RATIO_TOLERANCE


@pytest.mark.parametrize("method", ["filter", "surprisal"])
def test_keep_rules_numbers_equations_and_the_final_answer(
    method: str, traces: list[Trace], smollm: Backend, scripted: type[ScriptedBackend]
) -> None:
    compressor = _filter(smollm) if method == "filter" else _surprisal(scripted, smollm)
    pens = traces[5]
    (result,) = compressor.compress(pens.question, pens.thinking, [0.4])
    assert result.on_target
    assert "4 * 3 = 12 dollars." in result.text and "20 - 12 = 8 dollars." in result.text
    assert result.text.endswith("\\boxed{8}.")
    assert read_answer(result.text) == "8"
    # Even far below what the final step needs, the final answer stays.
    (tiny,) = compressor.compress(pens.question, pens.thinking, [0.01])
    assert states_answer(tiny.text, "8") and tiny.ratio > 0.01


@pytest.mark.parametrize("method", ["filter", "surprisal"])
def test_ratio_one_keeps_the_cot_as_is(
    method: str, traces: list[Trace], smollm: Backend, scripted: type[ScriptedBackend]
) -> None:
    compressor = _filter(smollm) if method == "filter" else _surprisal(scripted, smollm)
    trace = traces[1]
    full, half = compressor.compress(trace.question, trace.thinking, [1.0, 0.5])
    assert full.text == trace.thinking and full.ratio == 1.0
    assert half.ratio <= 0.5 + RATIO_TOLERANCE
    kept_steps(compressor, trace.question, trace.thinking, half.text)
