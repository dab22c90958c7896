"""`--method rewrite`: the planner rewrites the CoT concisely, capped at the budget by max_tokens.

The budget is target x the CoT's tokens in the planner's own tokenizer, so the cap is exact. The rewrite is
free text: steps may merge and the final answer is not guaranteed to survive (the summary counts how often
it does). A reasoning planner is given an empty thinking block so that it writes the rewrite directly.
"""

from __future__ import annotations

from collections.abc import Sequence

from hawkeye_cli.backends.base import Sampling
from hawkeye_cli.backends.model import Model
from hawkeye_cli.compression.compressor import Compression, Compressor
from hawkeye_cli.pipeline.prompts import rewrite_request


class RewriteCompressor(Compressor):
    method = "rewrite"

    def __init__(self, planner: Model, sampling: Sampling) -> None:
        self.planner = planner
        self.tokenizer = planner.backend
        self.sampling = sampling

    def compress(self, question: str, cot: str, targets: Sequence[float]) -> list[Compression]:
        total = self.tokenizer.count(cot)
        results = []
        for target in targets:
            budget = int(target * total)
            if target >= 1:
                results.append(self.unchanged(cot, total, target))
                continue
            request = rewrite_request(self.planner.spec, question, cot, budget=budget, sampling=self.sampling)
            text = self.planner.complete(request).text.strip()
            results.append(Compression(text, total, self.tokenizer.count(text), target))
        return results

