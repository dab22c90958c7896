"""From result rows to the numbers a bench reports: accuracy with its standard error, tokens, time, savings.

Comparisons with the baseline (speedup, CoT ratio, cost saving) use only the problems both ran, so a run
that was interrupted or extended never compares different problems.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from hawkeye_cli.backends.base import CUT_SHORT
from hawkeye_cli.evaluation.results import MODES, BudgetValue, ItemResult, Mode, budget_order, task_label
from hawkeye_cli.scoring.verdict import Verdict


def mean_stderr(values: Sequence[float]) -> float | None:
    """lm-eval's standard error of a mean: sample stdev (n - 1) / sqrt(n); sqrt(p(1-p)/(n-1)) for 0/1 scores.

    None with fewer than two values, where it is undefined.
    """
    if len(values) < 2:
        return None
    return statistics.stdev(values) / math.sqrt(len(values))


@dataclass(frozen=True)
class Rate:
    """A mean of 0/1 scores and its standard error."""

    value: float
    stderr: float | None

    @classmethod
    def of(cls, hits: Sequence[bool]) -> Rate:
        scores = [float(h) for h in hits]
        return cls(statistics.fmean(scores), mean_stderr(scores))


@dataclass(frozen=True)
class Rates:
    """The three accuracies of a set of verdicts: what bench's summaries and `hawkeye score` both report."""

    accuracy: Rate
    """Math-Verify: the primary metric."""
    strict: Rate
    """lm-eval strict-match."""
    flexible: Rate
    """lm-eval flexible-extract."""


def rates(verdicts: Sequence[Verdict]) -> dict[str, Rate]:
    """A Rates' fields for a set of verdicts, to build a summary that is a Rates."""
    return {"accuracy": Rate.of([v.correct for v in verdicts]),
            "strict": Rate.of([v.correct_strict for v in verdicts]),
            "flexible": Rate.of([v.correct_flexible for v in verdicts])}


@dataclass(frozen=True)
class Agreement:
    """hawkeye: how often the planner's probed answer and the expander's final answer agree, and the accuracy of
    each side: what agreement tells a user about an answer."""

    share: Rate
    """Of the items where both models gave an answer."""
    accuracy_agreeing: Rate | None
    accuracy_disagreeing: Rate | None

    @classmethod
    def of(cls, rows: Sequence[ItemResult]) -> Agreement | None:
        compared = [row for row in rows if row.agree is not None]
        if not compared:
            return None
        agreeing = [row.correct for row in compared if row.agree]
        disagreeing = [row.correct for row in compared if not row.agree]
        return cls(Rate.of([bool(row.agree) for row in compared]), Rate.of(agreeing) if agreeing else None,
                   Rate.of(disagreeing) if disagreeing else None)


@dataclass(frozen=True)
class Latency:
    """Seconds per item at the percentiles `vllm bench serve` reports: numpy.percentile's linear interpolation,
    which statistics.quantiles computes with method="inclusive"."""

    p50: float
    p90: float
    p99: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Latency:
        if len(seconds) == 1:
            return cls(seconds[0], seconds[0], seconds[0])
        cuts = statistics.quantiles(seconds, n=100, method="inclusive")
        return cls(cuts[49], cuts[89], cuts[98])


@dataclass(frozen=True)
class TokenStats:
    """Completion tokens of one stage per item."""

    model: str
    mean: float
    median: float
    cut: int
    """Items whose stage stopped at max tokens or the end of the context (a plan: at its budget)."""


@dataclass(frozen=True)
class Summary(Rates):
    """One mode (and budget) of one planner/expander/seed configuration."""

    mode: Mode
    budget: BudgetValue
    planner: str
    expander: str
    seed: int
    n: int
    stages: dict[str, TokenStats]
    mean_tokens: float
    """Completion tokens of all stages per item."""
    mean_seconds: float
    """Latency per item: the seconds of its model calls (queueing for a busy local model excluded), so that it
    means the same at any --concurrency."""
    total_seconds: float
    tokens_per_second: float
    mean_cost: float
    speedup: float | None
    """Baseline latency / this latency, summed over the problems both ran."""
    cot_ratio: float | None
    """hawkeye: mean concise CoT tokens / mean full CoT tokens of the baseline (the paper's '35 %')."""
    cost_saving: float | None
    """1 - this cost / the baseline's, with the registry's relative per-token prices."""
    ttft: Latency
    """Time to the first token of the answer (ItemResult.first_token_seconds)."""
    latency: Latency
    """Of the items' latencies (mean_seconds is their mean)."""
    stops: dict[str, int] = field(default_factory=dict)
    """hawkeye: why the planner stopped thinking, and how often (ended, converged, agreed, budget, cap)."""
    agreement: Agreement | None = None

    @property
    def label(self) -> str:
        return task_label(self.mode, self.budget)


def summarize(rows: Iterable[ItemResult]) -> list[Summary]:
    """One Summary per (planner, expander, seed, mode, budget), baseline first, then by budget; failed items
    are left out (failures() counts them)."""
    groups: dict[tuple[str, str, int, Mode, BudgetValue], list[ItemResult]] = {}
    for row in rows:
        if row.failed:
            continue
        groups.setdefault((row.planner, row.expander, row.seed, row.mode, row.budget), []).append(row)

    def order(key: tuple[str, str, int, Mode, BudgetValue]) -> tuple[str, str, int, int, bool, int, str]:
        return (*key[:3], MODES.index(key[3]), *budget_order(key[4], groups[key][0].cap))

    return [_summary(groups[key], groups.get((*key[:3], "baseline", None), [])) for key in sorted(groups, key=order)]


def _summary(rows: list[ItemResult], baseline: list[ItemResult]) -> Summary:
    first = rows[0]
    stages: dict[str, TokenStats] = {}
    for name in dict.fromkeys(name for row in rows for name in row.stages):  # a stage some items lack costs 0
        tokens = [row.stages[name]["completion_tokens"] if name in row.stages else 0 for row in rows]
        cut = sum(name in row.stages and row.stages[name]["finish_reason"] in CUT_SHORT for row in rows)
        model = next(row.stages[name]["model"] for row in rows if name in row.stages)
        stages[name] = TokenStats(model, statistics.fmean(tokens), statistics.median(tokens), cut)
    model_seconds = sum(row.model_seconds for row in rows)
    paired = _Paired(rows, baseline)
    return Summary(
        mode=first.mode,
        budget=first.budget,
        planner=first.planner,
        expander=first.expander,
        seed=first.seed,
        n=len(rows),
        **rates([row.verdict for row in rows]),
        stages=stages,
        mean_tokens=statistics.fmean(row.tokens for row in rows),
        mean_seconds=statistics.fmean(row.model_seconds for row in rows),
        total_seconds=model_seconds,
        tokens_per_second=sum(row.tokens for row in rows) / model_seconds if model_seconds > 0 else 0.0,
        mean_cost=statistics.fmean(row.cost for row in rows),
        speedup=paired.ratio(lambda r: r.model_seconds, invert=True),
        cot_ratio=paired.ratio(lambda r: r.cot_tokens or 0) if first.mode == "hawkeye" else None,
        cost_saving=None if (ratio := paired.ratio(lambda r: r.cost)) is None else 1 - ratio,
        ttft=Latency.of([row.first_token_seconds for row in rows]),
        latency=Latency.of([row.model_seconds for row in rows]),
        stops=dict(Counter(row.stop for row in rows if row.stop is not None)),
        agreement=Agreement.of(rows),
    )


@dataclass(frozen=True)
class Throughput:
    """What one run did per second of its wall time. With --concurrency > 1 items overlap, so this rate grows
    while each item's latency does not; speedups come from latencies, never from this."""

    concurrency: int
    items: int
    failed: int
    wall_seconds: float
    items_per_second: float
    tokens_per_second: float
    """Generated tokens of all stages of the run's items, per second of wall time."""

    @classmethod
    def of(cls, rows: Sequence[ItemResult], concurrency: int, wall_seconds: float) -> Throughput:
        per_second = 1 / wall_seconds if wall_seconds > 0 else 0.0
        return cls(concurrency, len(rows), sum(row.failed for row in rows), wall_seconds,
                   len(rows) * per_second, sum(row.tokens for row in rows) * per_second)


@dataclass(frozen=True)
class Failures:
    """Items of one mode (and budget) whose requests failed: not scored, retried when the run is resumed."""

    label: str
    count: int
    example: str
    """The first failure's reason."""


def failures(rows: Iterable[ItemResult]) -> list[Failures]:
    by_label: dict[str, list[ItemResult]] = {}
    for row in rows:
        if row.failed:
            by_label.setdefault(row.label, []).append(row)
    return [Failures(label, len(failed), failed[0].error or "") for label, failed in by_label.items()]


class _Paired:
    """Rows of a mode and the baseline's rows for the same problems."""

    def __init__(self, rows: list[ItemResult], baseline: list[ItemResult]) -> None:
        by_index = {row.index: row for row in baseline}
        self.pairs = [(row, by_index[row.index]) for row in rows if row.index in by_index]

    def ratio(self, value: Callable[[ItemResult], float], *, invert: bool = False) -> float | None:
        """Sum over these rows / sum over the baseline's (inverted: baseline / these); None without pairs."""
        ours = sum(value(row) for row, _ in self.pairs)
        theirs = sum(value(base) for _, base in self.pairs)
        top, bottom = (theirs, ours) if invert else (ours, theirs)
        return top / bottom if self.pairs and bottom > 0 else None
