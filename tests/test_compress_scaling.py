"""compress-cot -m filter on long, repetitive chains of thought: the same results as the direct (quadratic)
definitions, with work that grows with the CoT, not with its square (the timing is benchmarks/compress_cot.py's).

The references below are the definitions as they were written before they were made fast: each step compared
with every earlier one, lazy regexes for math, one count per dropped step.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from conftest import ScriptedBackend
from hawkeye_cli.compression import filter as filter_module
from hawkeye_cli.compression.filter import FilterCompressor, redundancy
from hawkeye_cli.compression.records import Trace, TraceFields, read_records
from hawkeye_cli.compression.segment import Step, _display_math, _inline_math, join, segment

TRACES = Path(__file__).parent / "data" / "traces.jsonl"
LOOP = "Wait, let me check that again. So 48 / 2 = 24 and 48 + 24 = 72. Hmm, that seems right. "


def reference_redundancy(question: str, steps: list[Step]) -> list[str | None]:
    words_of = [set(re.findall(r"[a-z]{4,}", step.text.lower())) for step in steps]
    question_words = set(re.findall(r"[a-z]{4,}", question.lower()))
    labels: list[str | None] = []
    for position, (step, words) in enumerate(zip(steps, words_of, strict=True)):
        repeat = any(len(seen) >= 3 and len(words & seen) / len(words | seen) >= 0.8 for seen in words_of[:position])
        if step.new_math:
            labels.append(None)
        elif repeat:
            labels.append("repeat")
        elif len(words) >= 3 and len(words & question_words) / len(words) >= 0.6:
            labels.append("question")
        elif filter_module._HEDGING.search(step.text):
            labels.append("hedging")
        else:
            labels.append("filler" if not words and not step.math else None)
    return labels


def traces() -> list[Trace]:
    with TRACES.open("rb") as stream:
        return [trace for trace in read_records(stream, TraceFields()) if isinstance(trace, Trace)]


def random_steps(seed: int, count: int) -> list[Step]:
    """Sentences from a small vocabulary: many overlaps near the repeat threshold, on both sides of it."""
    rnd = random.Random(seed)
    vocabulary = ["apples", "boxes", "clips", "dollars", "friends", "hours", "money", "total", "twice", "half"]
    sentences = [" ".join(rnd.sample(vocabulary, rnd.randint(2, 7))).capitalize() + "." for _ in range(count)]
    return segment(" ".join(sentences))


@pytest.mark.parametrize("seed", range(20))
def test_repeats_are_the_ones_the_definition_finds(seed: int) -> None:
    steps = random_steps(seed, 60)
    assert redundancy("How many apples in total?", steps) == reference_redundancy("How many apples in total?", steps)


def test_repeats_in_real_traces_are_the_ones_the_definition_finds() -> None:
    for trace in traces():
        steps = segment(trace.thinking, trace.question)
        assert redundancy(trace.question, steps) == reference_redundancy(trace.question, steps)


def test_a_looping_cot_compares_each_step_with_few_earlier_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    compared = []
    overlap = filter_module._overlap
    monkeypatch.setattr(filter_module, "_overlap", lambda a, b: compared.append(1) or overlap(a, b))
    steps = segment(LOOP * 2000)  # 6,000 steps; every pair compared would be 18 million comparisons

    labels = redundancy("", steps)

    assert len(compared) <= len(steps)
    assert labels == reference_redundancy("", steps)  # fast here too: each step matches the first of its kind
    assert labels.count("repeat") > len(steps) / 2


# --- math delimiters -------------------------------------------------------------------------------------------

_DISPLAY = re.compile(r"\\\[.*?\\\]|\$\$.*?\$\$|\\begin\{([A-Za-z]+\*?)\}.*?\\end\{\1\}", re.DOTALL)
_INLINE = re.compile(r"\\\(.*?\\\)|\$[^$\n]+\$")


def reference_math(cot: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Display blocks, and inline math per line outside them, as the lazy regexes find them."""
    blocks = [match.span() for match in _DISPLAY.finditer(cot)]
    inline = [match.span() for line in re.finditer(r"[^\n]+", cot) for match in _INLINE.finditer(cot, *line.span())]
    return blocks, inline


PIECES = ["\\[", "\\]", "$$", "$", "\\(", "\\)", "\\begin{align}", "\\end{align}", "\\begin{x*}", "\\end{x*}",
          " x = 1. ", "So 2 ", "\n", "Then ", "$$$", ". A ", "? B", "3.5 "]


@pytest.mark.parametrize("seed", range(300))
def test_math_spans_are_the_ones_the_lazy_regexes_find(seed: int) -> None:
    rnd = random.Random(seed)
    cot = "".join(rnd.choice(PIECES) for _ in range(rnd.randint(1, 40)))
    inline = [span for line in re.finditer(r"[^\n]+", cot) for span in _inline_math(cot, *line.span())]
    assert (list(_display_math(cot)), inline) == reference_math(cot)


def test_unclosed_delimiters_everywhere_still_segment() -> None:
    cot = "Take \\( x. Then \\[ y. See \\begin{align} w. " * 3000
    steps = segment(cot)
    assert join(cot, steps) == cot.strip()
    assert len(steps) == 3000 * 3  # every sentence its own step: no delimiter is closed, so none hides a break


# --- fitting the budget ----------------------------------------------------------------------------------------


class CharTokens(ScriptedBackend):
    """One token per 4 characters, counted: a join's separators make a text count more than its steps did."""

    def __init__(self) -> None:
        super().__init__([])
        self.counted = 0

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        self.counted += 1
        return [len(text) // 4 for text in texts]


def drop_one_by_one(cot: str, steps: list[Step], kept: set[int], droppable: list[int], limit: float,
                    tokenizer: CharTokens) -> tuple[str, int]:
    text = join(cot, [steps[i] for i in sorted(kept)])
    tokens = tokenizer.count(text)
    droppable = list(droppable)
    while tokens > limit and droppable:
        kept.discard(droppable.pop(0))
        text = join(cot, [steps[i] for i in sorted(kept)])
        tokens = tokenizer.count(text)
    return text, tokens


@pytest.mark.parametrize("limit_share", [0.05, 0.3, 0.6, 0.99])
def test_the_fit_drops_as_one_by_one_would_with_few_counts(limit_share: float) -> None:
    cot = "\n".join(f"Step {n}: add {n} to get {n * (n + 1) // 2}." for n in range(1, 3001))
    tokenizer = CharTokens()
    compressor = FilterCompressor(tokenizer)
    steps = segment(cot)
    kept = set(range(len(steps)))
    droppable = list(reversed(range(len(steps) - 1)))
    limit = limit_share * tokenizer.count(cot)
    expected = drop_one_by_one(cot, steps, set(kept), droppable, limit, CharTokens())

    tokenizer.counted = 0
    found = compressor._fewest_dropped(cot, steps, kept, droppable, limit)

    assert found == expected
    assert tokenizer.counted <= 2 * len(steps).bit_length() + 2  # 3,000 steps: at most 26 counts, not thousands
