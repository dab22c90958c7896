"""Bench results on disk: one JSON line per (problem, mode, budget), written as each finishes.

Every line is flushed and fsynced before the next item starts, so a crash or Ctrl-C loses at most the item in
flight, and re-running the same command skips what is already there. A crash can leave half a line at the end
of the file; reading tolerates it and resuming rewrites it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Literal

from hawkeye_cli.errors import DataError
from hawkeye_cli.jsonl import AppendOnlyJsonl, BadLine, read_lines

Mode = Literal["baseline", "hawkeye", "expander"]
MODES: tuple[Mode, ...] = ("baseline", "hawkeye", "expander")

RESULTS_FILE = "gsm8k.jsonl"

Key = tuple[int, str, int | None, str, str, int]
"""(dataset index, mode, budget, planner, expander, seed): what makes a row the same work."""


@dataclass(frozen=True)
class ItemResult:
    """One problem solved in one mode: the outputs, how they scored, and what they cost."""

    index: int
    """Position in the dataset (0-based), the problem's id."""
    mode: Mode
    budget: int | None
    """The planner's thinking budget (hawkeye mode only)."""
    planner: str
    expander: str
    seed: int
    temperature: float
    max_tokens: int
    question_sha: str
    """Ties the row to the question text, so results of a different data file are never mixed in."""
    gold: str
    strict: str | None
    flexible: str | None
    correct: bool
    """Strict-match correct: lm-eval's primary GSM8K metric."""
    correct_flexible: bool
    stages: dict[str, dict[str, Any]]
    """Stage name (baseline, plan, expand, solo) -> its StageResult fields, text included."""
    cot_tokens: int | None
    """The planner's chain of thought: the full one (baseline) or the concise one (hawkeye)."""
    truncated: bool | None
    """hawkeye: the planner's budget ran out."""
    seconds: float
    """Wall time of the item in this mode, everything included."""

    @property
    def key(self) -> Key:
        return (self.index, self.mode, self.budget, self.planner, self.expander, self.seed)

    @property
    def tokens(self) -> int:
        """Completion tokens of all stages."""
        return sum(stage["completion_tokens"] for stage in self.stages.values())

    @property
    def model_seconds(self) -> float:
        """Seconds spent inside the models (the rest of `seconds` is hawkeye's own overhead)."""
        return sum(stage["seconds"] for stage in self.stages.values())

    @property
    def cost(self) -> float:
        return sum(stage["cost"] for stage in self.stages.values())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ItemResult:
        names = {f.name for f in fields(cls)}
        if not isinstance(data, dict) or set(data) != names:
            raise ValueError("not a hawkeye bench result row")
        return cls(**data)


def results_path(directory: Path) -> Path:
    return directory / RESULTS_FILE


def read_results(path: Path) -> list[ItemResult]:
    """The rows of a results file, each key once; a torn last line is skipped, any other bad line is an error."""
    if not path.is_file():
        raise DataError(f"no results at {path}", fix="run: hawkeye bench gsm8k --out <dir>, then report that dir")
    rows: dict[Key, ItemResult] = {}
    with _reading(path):
        for row, _ in read_lines(path, ItemResult.from_dict):
            rows.setdefault(row.key, row)  # a duplicate (written before runs were locked): the first counts
    return list(rows.values())


class ResultStore:
    """The results file opened for appending; rows already there are known by key, and a torn tail is cut.

    Held locked until closed: a second bench on the same --out fails at once rather than redo every item.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        with _reading(path):
            self._file = AppendOnlyJsonl(path, ItemResult.from_dict, fsync=True, option="--out")
        self.rows: dict[Key, ItemResult] = {}
        for row in self._file.existing:
            self.rows.setdefault(row.key, row)  # a duplicate (written before runs were locked): the first counts

    def __contains__(self, key: Key) -> bool:
        return key in self.rows

    def append(self, row: ItemResult) -> None:
        self._file.append(asdict(row))
        self.rows.setdefault(row.key, row)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ResultStore:
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
