r"""Chains of thought as steps, and the keep-rules that every step-selecting method obeys.

A step is a display equation (\[...\], $$...$$, \begin{..}...\end{..}), or a sentence of a line of prose
(never split inside inline math). Steps are kept or dropped whole, so a number or an equation is never cut in
half, and kept steps are joined in their original order.

Keep-rules, marked on each step here and honoured by compressor.select:
- `final`: the final result — every step with \boxed{...} or "final answer"; in a CoT with neither, its last
  step with a number or equation. Always kept, even when it alone exceeds the budget.
- `new_math`: the step states a number or equation not seen before (in the question or an earlier step).
  Ranked ahead of every step without one, so new numbers and equations go only when they alone exceed the
  budget; a recomputation or restatement of known numbers is not protected.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

# Math runs from an opening delimiter to the first closing one after it (\[...\], $$...$$, \begin{env}...\end{env};
# inline \(...\) and $...$ within a line), found with str.find rather than lazy regexes, which rescan the rest of
# the text for every opening delimiter that is never closed.
_DISPLAY_OPEN = re.compile(r"\\\[|\$\$|\\begin\{([A-Za-z]+\*?)\}")
_INLINE_OPEN = re.compile(r"\\\(|\$")
_DOLLAR_MATH = re.compile(r"\$[^$\n]+\$")
_LINE = re.compile(r"[^\n]+")
# A sentence ends at . ! or ? followed by a space and what starts a sentence; decimals like 2.5 have no space.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])[ \t]+(?=[A-Z0-9\\($*\[])")
_FINAL = re.compile(r"\\boxed\b|\bfinal answer\b", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_MATH_CHARS = frozenset("=+*/^_<>\\√π\u00d7÷±≤≥≠≈∞∑∏∫²³")  # \u00d7: the multiplication sign
_EDGE_PUNCTUATION = ".,;:!?()[]{}$\"'`*"


@dataclass(frozen=True)
class Step:
    start: int
    end: int
    """Span of the step in the original CoT."""
    text: str
    """The step's text: the span, or the span with filler phrases cut (filter)."""
    newline_before: bool
    """A line break separates it from the step before: kept steps are joined with one, or with a space."""
    math: bool
    """Holds a number or an equation."""
    new_math: bool
    final: bool


def facts(text: str) -> set[str]:
    """The numbers of `text`, and its words that hold an operator or a math symbol (edge punctuation cut)."""
    found = set(_NUMBER.findall(text))
    for word in text.split():
        if any(ch in _MATH_CHARS for ch in word):
            core = word.strip(_EDGE_PUNCTUATION)
            if any(ch.isalnum() for ch in core):
                found.add(core)
    return found


def segment(cot: str, question: str = "") -> list[Step]:
    """The steps of `cot` in order, with their keep-rule marks (numbers in `question` are not new)."""
    spans: list[tuple[int, int, bool]] = []
    position = 0
    for block_start, block_end in _display_math(cot):
        spans.extend((start, end, False) for start, end in _prose(cot, position, block_start))
        spans.append((block_start, block_end, True))
        position = block_end
    spans.extend((start, end, False) for start, end in _prose(cot, position, len(cot)))
    seen = facts(question)
    steps: list[Step] = []
    previous_end = 0
    for start, end, display in _merge_punctuation(cot, spans):
        text = cot[start:end]
        found = facts(text)
        steps.append(Step(start, end, text, "\n" in cot[previous_end:start], display or bool(found),
                          bool(found - seen), bool(_FINAL.search(text))))
        seen |= found
        previous_end = end
    if steps and not any(step.final for step in steps):
        last = next((i for i in reversed(range(len(steps))) if steps[i].math), len(steps) - 1)
        steps[last] = replace(steps[last], final=True)
    return steps


class _Closers:
    """Where closing delimiters occur in text[:end]; one that is missing after some position is not looked for
    again after it, so that many unclosed openings cost no more than one."""

    def __init__(self, text: str, end: int) -> None:
        self._text = text
        self._end = end
        self._missing_from: dict[str, int] = {}

    def after(self, closer: str, position: int) -> int:
        """Where the first `closer` at or after `position` ends, or -1."""
        if self._missing_from.get(closer, self._end + 1) <= position:
            return -1
        found = self._text.find(closer, position, self._end)
        if found < 0:
            self._missing_from[closer] = position
            return -1
        return found + len(closer)


def _display_math(cot: str) -> Iterator[tuple[int, int]]:
    closers = _Closers(cot, len(cot))
    position = 0
    while (opened := _DISPLAY_OPEN.search(cot, position)) is not None:
        environment = opened.group(1)
        closer = "$$" if opened.group() == "$$" else "\\]" if environment is None else f"\\end{{{environment}}}"
        end = closers.after(closer, opened.end())
        if end < 0:
            position = opened.start() + 1
        else:
            yield opened.start(), end
            position = end


def _inline_math(cot: str, start: int, end: int) -> list[tuple[int, int]]:
    closers = _Closers(cot, end)
    spans: list[tuple[int, int]] = []
    position = start
    while (opened := _INLINE_OPEN.search(cot, position, end)) is not None:
        if opened.group() == "$":
            dollar = _DOLLAR_MATH.match(cot, opened.start(), end)
            close = dollar.end() if dollar else -1
        else:
            close = closers.after("\\)", opened.end())
        if close < 0:
            position = opened.start() + 1
        else:
            spans.append((opened.start(), close))
            position = close
    return spans


def _prose(cot: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Sentence spans, whitespace-trimmed, of the lines of cot[start:end]."""
    for line in _LINE.finditer(cot, start, end):
        inline = _inline_math(cot, line.start(), line.end())
        starts = [a for a, _ in inline]
        begin = line.start()
        for cut in _SENTENCE_BREAK.finditer(cot, line.start(), line.end()):
            inside = bisect_left(starts, cut.start()) - 1  # the last math span opening before the cut
            if inside < 0 or inline[inside][1] <= cut.start():
                yield from _trimmed(cot, begin, cut.start())
                begin = cut.end()
        yield from _trimmed(cot, begin, line.end())


def _trimmed(cot: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    text = cot[start:end]
    stripped = text.strip()
    if stripped:
        begin = start + len(text) - len(text.lstrip())
        yield begin, begin + len(stripped)


def _merge_punctuation(cot: str, spans: list[tuple[int, int, bool]]) -> list[tuple[int, int, bool]]:
    """A span of punctuation only (the '.' after a display equation, a '---' rule) joins the step before it."""
    merged: list[tuple[int, int, bool]] = []
    for start, end, display in spans:
        if merged and not display and not any(ch.isalnum() for ch in cot[start:end]):
            first, _, was_display = merged[-1]
            merged[-1] = (first, end, was_display)
        else:
            merged.append((start, end, display))
    return merged


def join(cot: str, steps: Sequence[Step]) -> str:
    """Kept steps in order, separated by a line break where the original had one between them, else a space."""
    parts: list[str] = []
    previous: Step | None = None
    for step in steps:
        if not step.text:
            continue
        if previous is not None:
            parts.append("\n" if "\n" in cot[previous.end : step.start] else " ")
        parts.append(step.text)
        previous = step
    return "".join(parts)
