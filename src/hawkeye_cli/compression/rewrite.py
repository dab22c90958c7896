"""`--method rewrite`: the planner rewrites the CoT concisely, capped at the budget by max_tokens.

The budget is target x the CoT's tokens in the planner's own tokenizer, so the cap is exact. The rewrite is
free text: steps may merge and the final answer is not guaranteed to survive (the summary counts how often
it does). A reasoning planner is given an empty thinking block so that it writes the rewrite directly.
"""

from __future__ import annotations

from collections.abc import Sequence

from hawkeye_cli.backends.base import Backend
from hawkeye_cli.compression.compressor import Compression, Compressor
from hawkeye_cli.pipeline.prompts import REWRITE_STOPS, rewrite_prompt
from hawkeye_cli.registry import ModelSpec


class RewriteCompressor(Compressor):
    method = "rewrite"

    def __init__(self, planner: Backend, spec: ModelSpec, *, temperature: float = 0.0, seed: int = 0) -> None:
        self.tokenizer = planner
        self.spec = spec
        self.temperature = temperature
        self.seed = seed

    def compress(self, question: str, cot: str, targets: Sequence[float]) -> list[Compression]:
        total = self.tokenizer.count_tokens(cot)
        results = []
        for target in targets:
            budget = int(target * total)
            if target >= 1:
                results.append(self.unchanged(cot, total, target))
                continue
            completion = self.tokenizer.complete(
                rewrite_prompt(self.tokenizer, self.spec, question, cot, budget),
                max_tokens=max(budget, 1),
                stop=REWRITE_STOPS if self.spec.prompt_format == "completion" else (),
                temperature=self.temperature,
                seed=self.seed,
            )
            text = completion.text.strip()
            results.append(Compression(text, total, self.tokenizer.count_tokens(text), target))
        return results

