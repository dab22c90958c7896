"""Bench results on disk: one JSON line per (problem, mode, budget), written as each finishes.

Every line is flushed and fsynced before the next item starts, so a crash or Ctrl-C loses at most the item in
flight, and re-running the same command skips what is already there. A crash can leave half a line at the end
of the file; reading tolerates it and resuming rewrites it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import MISSING, asdict, dataclass, fields
from pathlib import Path
from typing import Any, Literal

from hawkeye_cli.errors import DataError
from hawkeye_cli.jsonl import AppendOnlyJsonl, BadLine, read_lines
from hawkeye_cli.scoring.verdict import Verdict

Mode = Literal["baseline", "hawkeye", "expander"]
MODES: tuple[Mode, ...] = ("baseline", "hawkeye", "expander")

ANSWERING: dict[Mode, str] = {"baseline": "baseline", "hawkeye": "expand", "expander": "solo"}
"""The stage whose text a user reads as the answer in each mode."""

BudgetValue = int | str | None
"""A row's budget: thinking tokens, the adaptive stop's name (`auto`, `low`…), or None outside hawkeye mode."""


def budget_order(budget: BudgetValue, cap: int | None) -> tuple[bool, int, str]:
    """Fixed budgets ascending, then the adaptive ones by their cap (and name)."""
    return isinstance(budget, str), cap if cap is not None else budget if isinstance(budget, int) else 0, str(budget)


def task_label(mode: Mode, budget: BudgetValue) -> str:
    """How a mode and its budget are named in tables, plots and JSON: `hawkeye@64`, `hawkeye@auto`."""
    return f"{mode}@{budget}" if budget is not None else mode


Key = tuple[int, str, BudgetValue, str, str, int]
"""(dataset index, mode, budget, planner, expander, seed): what makes a row the same work."""


def result_key(index: int, mode: str, budget: BudgetValue, planner: str, expander: str, seed: int) -> Key:
    return (index, mode, budget, planner, expander, seed)


@dataclass(frozen=True)
class ItemResult:
    """One problem solved in one mode: the outputs, how they scored, and what they cost."""

    index: int
    """Position in the dataset (0-based), the problem's id."""
    mode: Mode
    budget: BudgetValue
    """The planner's thinking budget (hawkeye mode only)."""
    planner: str
    expander: str
    seed: int
    temperature: float
    max_tokens: int
    question_sha: str
    """Ties the row to the question text, so results of a different data file are never mixed in."""
    gold: str
    verdict: Verdict
    """How the output scored (scoring/verdict.py): Math-Verify's `correct`, the primary metric, and lm-eval's
    strict-match and flexible-extract, each with the answer it read. Stored flat in the row, as its fields."""
    stages: dict[str, dict[str, Any]]
    """Stage name (baseline, plan, expand, solo) -> its StageResult fields, text included."""
    cot_tokens: int | None
    """The planner's chain of thought: the full one (baseline) or the concise one (hawkeye)."""
    truncated: bool | None
    """hawkeye: the planner's budget ran out."""
    seconds: float
    """Wall time of the item in this mode, everything included."""
    error: str | None = None
    """Why the item failed (an engine error); such a row counts in no metric and a resumed run retries it."""
    cap: int | None = None
    """The adaptive stop's cap (hawkeye@auto and effort levels)."""
    stop: str | None = None
    """hawkeye: why the planner stopped thinking (ended, converged, agreed, budget, cap)."""
    agree: bool | None = None
    """hawkeye: the planner's probed answer and the expander's final answer are equivalent."""
    probes: int | None = None
    """hawkeye: how many times the planner was probed."""
    on_disagree: str | None = None
    """hawkeye: what was done when the two models disagreed (rows written before it was stored: keep)."""
    answered_by: str | None = None
    """hawkeye: whose text answered, the expander's or (--on-disagree planner) the planner's plan."""

    @property
    def key(self) -> Key:
        return result_key(self.index, self.mode, self.budget, self.planner, self.expander, self.seed)

    @property
    def correct(self) -> bool:
        return self.verdict.correct

    @property
    def tokens(self) -> int:
        """Completion tokens of all stages."""
        return sum(stage["completion_tokens"] for stage in self.stages.values())

    @property
    def model_seconds(self) -> float:
        """Seconds spent inside the models (the rest of `seconds` is hawkeye's own overhead)."""
        return sum(stage["seconds"] for stage in self.stages.values())

    @property
    def first_token_seconds(self) -> float:
        """Time to first token (TTFT) of the answer: the seconds of every stage before the answering one (a plan,
        its probes and checks) and the answering stage's own time to its first token."""
        answering = self.stages[ANSWERING[self.mode]]
        return self.model_seconds - answering["seconds"] + answering["prompt_seconds"]

    @property
    def cost(self) -> float:
        return sum(stage["cost"] for stage in self.stages.values())

    @property
    def label(self) -> str:
        return task_label(self.mode, self.budget)

    @property
    def failed(self) -> bool:
        return self.error is not None

    def to_dict(self) -> dict[str, Any]:
        """The row as stored: the verdict's fields beside the others."""
        row = {field.name: getattr(self, field.name) for field in fields(self) if field.name != "verdict"}
        return {**row, **asdict(self.verdict)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ItemResult:
        """Rows written before a field with a default existed load with that default."""
        if not isinstance(data, dict):
            raise ValueError("not a hawkeye bench result row")
        verdict = {name: data[name] for name in _VERDICT_FIELDS if name in data}
        row = {name: value for name, value in data.items() if name not in _VERDICT_FIELDS}
        if len(verdict) != len(_VERDICT_FIELDS) or not _REQUIRED <= set(row) <= _NAMES:
            raise ValueError("not a hawkeye bench result row")
        return cls(**row, verdict=Verdict(**verdict))


_VERDICT_FIELDS = tuple(field.name for field in fields(Verdict))
_NAMES = {field.name for field in fields(ItemResult)} - {"verdict"}
_REQUIRED = {field.name for field in fields(ItemResult) if field.default is MISSING} - {"verdict"}


def results_path(directory: Path, benchmark: str) -> Path:
    return directory / f"{benchmark}.jsonl"


def summary_path(directory: Path, benchmark: str) -> Path:
    """One summary per benchmark, so that benchmarks sharing an --out (even at the same time) keep theirs."""
    return directory / f"{benchmark}.summary.json"


def read_results(path: Path) -> list[ItemResult]:
    """The rows of a results file, each key once; a torn last line is skipped, any other bad line is an error."""
    if not path.is_file():
        raise DataError(f"no results at {path}", fix="run: hawkeye bench gsm8k (or math500) --out <dir> first")
    rows: dict[Key, ItemResult] = {}
    with _reading(path):
        for row, _ in read_lines(path, ItemResult.from_dict):
            _keep(rows, row)
    return list(rows.values())


def _keep(rows: dict[Key, ItemResult], row: ItemResult) -> None:
    """The first successful row of a key counts; a failed one only until a retry succeeds."""
    if row.key not in rows or (rows[row.key].failed and not row.failed):
        rows[row.key] = row


class BenchResults:
    """The results file opened for appending; rows already there are known by key, and a torn tail is cut.

    Held locked until closed: a second bench on the same --out fails at once rather than redo every item.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        with _reading(path):
            self._file = AppendOnlyJsonl(path, ItemResult.from_dict, fsync=True, option="--out")
        self.rows: dict[Key, ItemResult] = {}
        for row in self._file.existing:
            if not row.failed:  # failed items are done again
                self.rows.setdefault(row.key, row)  # a duplicate (written before runs were locked): the first counts

    def __contains__(self, key: Key) -> bool:
        return key in self.rows

    def append(self, row: ItemResult) -> None:
        self._file.append(row.to_dict())
        if not row.failed:
            self.rows.setdefault(row.key, row)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> BenchResults:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """A results file that cannot be read, or holds something else, as a one-line error."""
    try:
        yield
    except OSError as exc:
        raise DataError(f"cannot open {path}: {exc.strerror}", fix="check the path and its permissions") from exc
    except BadLine as exc:
        raise DataError(
            f"{path} line {exc.number}: not a hawkeye bench result ({exc.reason})",
            fix="remove that line or use another --out directory",
        ) from exc
