"""`--method surprisal`: keep the steps that carry the most information, as a small model measures it.

One forward pass of the scorer over question + CoT (Backend.score_tokens) gives every CoT token's surprisal,
-log p(token | everything before it); a step's information density is the mean surprisal of its tokens. In
context, a restated question, a repeated step or a stock phrase is predictable and scores low — the idea of
Selective-Context and LLMLingua, applied to whole steps so the kept text stays readable. Steps stating a new
number or equation rank first, each group by density; the final result is always kept (segment.py).

A CoT longer than the scorer's context (--ctx) is scored in windows of whole steps, each with the question in
front: one forward pass per window, and no context carried from one window to the next.
"""

from __future__ import annotations

import time
from bisect import bisect_right

from hawkeye_cli.backends.base import Backend
from hawkeye_cli.compression.compressor import StepCompressor
from hawkeye_cli.compression.segment import Step

_WINDOW_MARGIN = 8
"""Tokens kept free per window: steps tokenised alone and together can differ by a token at each join."""


class SurprisalCompressor(StepCompressor):
    method = "surprisal"

    def __init__(self, scorer: Backend) -> None:
        self.tokenizer = scorer
        self.tokens_scored = 0
        self.scoring_seconds = 0.0

    def rank(self, question: str, cot: str, steps: list[Step]) -> tuple[list[Step], list[int]]:
        density = self.density(question, cot, steps)
        return steps, sorted(range(len(steps)), key=lambda i: (not steps[i].new_math, -density[i]))

    def density(self, question: str, cot: str, steps: list[Step]) -> list[float]:
        """Mean surprisal (nats per token) of each step, given the question and the CoT before it."""
        prefix = f"{question}\n\n"
        starts = [step.start for step in steps]
        sums, counts = [0.0] * len(steps), [0] * len(steps)
        for first, last in self._windows(prefix, cot, steps):
            base = steps[first].start
            started = time.perf_counter()
            scores = self.tokenizer.score_tokens(prefix + cot[base : steps[last].end])
            self.scoring_seconds += time.perf_counter() - started
            self.tokens_scored += len(scores)
            for token in scores:
                # A token's place is its first visible character: " Okay" belongs to the step that says Okay.
                position = token.start + len(token.piece) - len(token.piece.lstrip()) - len(prefix) + base
                index = bisect_right(starts, position) - 1
                if token.piece.strip() and position >= base and index >= 0 and position < steps[index].end:
                    sums[index] -= token.logprob
                    counts[index] += 1
        return [total / count if count else 0.0 for total, count in zip(sums, counts, strict=True)]

    def _windows(self, prefix: str, cot: str, steps: list[Step]) -> list[tuple[int, int]]:
        """(first, last) step indices per forward pass: one pass when question + CoT fit the context."""
        context = (self.tokenizer.n_ctx or 0) - 1  # the scorer puts BOS in front
        if self.tokenizer.count(prefix + cot) <= context - _WINDOW_MARGIN:
            return [(0, len(steps) - 1)]
        room = context - self.tokenizer.count(prefix) - _WINDOW_MARGIN
        windows: list[tuple[int, int]] = []
        first, used = 0, 0
        for index, count in enumerate(self.tokenizer.count_tokens([step.text for step in steps])):
            cost = count + 1
            if used + cost > room and index > first:
                windows.append((first, index - 1))
                first, used = index, 0
            used += cost
        windows.append((first, len(steps) - 1))
        return windows
