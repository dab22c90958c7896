"""What every compression method returns, and the budget fill shared by the step-selecting methods.

Ratios are in tokens of a real tokenizer: the one of the model doing the work (`tokenizer`). The budget of a
target ratio r is r x the CoT's tokens; r = 1.0 returns the CoT as is, the uncompressed reference point of a
redundancy curve.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from hawkeye_cli.backends.base import Backend
from hawkeye_cli.compression.segment import Step, join, segment

RATIO_TOLERANCE = 0.05
"""A compression meets its target when the achieved ratio is within this of it (absolute)."""


@dataclass(frozen=True)
class Compression:
    text: str
    original_tokens: int
    kept_tokens: int
    target: float

    @property
    def ratio(self) -> float:
        return self.kept_tokens / self.original_tokens if self.original_tokens else 1.0

    @property
    def on_target(self) -> bool:
        return abs(self.ratio - self.target) <= RATIO_TOLERANCE


class Compressor(ABC):
    method: str
    tokenizer: Backend
    """Counts the tokens of every ratio this compressor reports."""
    tokens_scored: int = 0
    scoring_seconds: float = 0.0
    """Forward passes over whole texts (surprisal), for the tokens/s a run reports."""

    @abstractmethod
    def compress(self, question: str, cot: str, targets: Sequence[float]) -> list[Compression]:
        """One compression of `cot` per target ratio, sharing whatever work the targets have in common."""

    def unchanged(self, cot: str, tokens: int, target: float) -> Compression:
        return Compression(cot, tokens, tokens, target)


class StepCompressor(Compressor):
    """Filter and surprisal: rank the steps once, then for each target keep the best that fit its budget."""

    def compress(self, question: str, cot: str, targets: Sequence[float]) -> list[Compression]:
        total = self.tokenizer.count(cot)
        if all(target >= 1 for target in targets):
            return [self.unchanged(cot, total, target) for target in targets]
        steps, order = self.rank(question, cot, segment(cot, question))
        counts = self.tokenizer.count_tokens([step.text for step in steps])
        costs = [count + step.newline_before for count, step in zip(counts, steps, strict=True)]
        return [
            self.unchanged(cot, total, target) if target >= 1
            else self._select(cot, steps, order, costs, total, target)
            for target in targets
        ]

    @abstractmethod
    def rank(self, question: str, cot: str, steps: list[Step]) -> tuple[list[Step], list[int]]:
        """The steps (text possibly edited) and their indices from most to least worth keeping."""

    def _select(self, cot: str, steps: list[Step], order: list[int], costs: list[int], total: int,
                target: float) -> Compression:
        """Final steps first, then steps in rank order while they fit; a step too big is passed over, not a stop.

        When that leaves the text short of the target by more than the tolerance (a short CoT of a few long
        steps), the best step that lands within the tolerance above it is added. Step costs are estimates
        (tokens merge across joins), so the joined text is counted for real and the lowest-ranked steps go
        until it fits.
        """
        budget = target * total
        kept = {i for i, step in enumerate(steps) if step.final}
        used = sum(costs[i] for i in kept)
        for i in order:
            if i not in kept and used + costs[i] <= budget:
                kept.add(i)
                used += costs[i]
        limit, slack = budget, RATIO_TOLERANCE * total
        if used < budget - slack:
            limit = budget + slack
            extra = next((i for i in order if i not in kept and used + costs[i] <= limit), None)
            if extra is not None:
                kept.add(extra)
        droppable = [i for i in reversed(order) if i in kept and not steps[i].final]
        text, tokens = self._fewest_dropped(cot, steps, kept, droppable, limit)
        return Compression(text, total, tokens, target)

    def _fewest_dropped(self, cot: str, steps: list[Step], kept: set[int], droppable: list[int],
                        limit: float) -> tuple[str, int]:
        """The kept steps joined, without the fewest first ones of `droppable` that bring the real count within
        `limit` (or without all of them), and that count.

        Found by doubling, then halving, the number dropped: a few counts of the whole text, where one count per
        dropped step would make a long CoT quadratic. The count falls as steps go, so this finds the number that
        dropping them one by one would.
        """

        def without(count: int) -> tuple[str, int]:
            text = join(cot, [steps[i] for i in sorted(kept.difference(droppable[:count]))])
            return text, self.tokenizer.count(text)

        fits, result = 0, without(0)
        if result[1] <= limit or not droppable:
            return result
        too_few = 0  # dropping this many is known not to fit
        while result[1] > limit and fits < len(droppable):
            too_few, fits = fits, min(max(2 * fits, 1), len(droppable))
            result = without(fits)
        while fits - too_few > 1:
            middle = (too_few + fits) // 2
            attempt = without(middle)
            if attempt[1] <= limit:
                fits, result = middle, attempt
            else:
                too_few = middle
        return result
