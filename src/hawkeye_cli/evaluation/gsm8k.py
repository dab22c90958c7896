"""The GSM8K test set (1,319 problems): from the Hugging Face hub and its cache, or from a local JSONL file."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from hawkeye_cli.errors import DataError, HubError
from hawkeye_cli.hub import fetch_dataset_file
from hawkeye_cli.scoring.lm_eval import gold_answer

HUB_REPO = "openai/gsm8k"
HUB_FILE = "main/test-00000-of-00001.parquet"
"""Config `main`, split `test`."""

_FORMAT = "one JSON object per line with 'question' and 'answer' (the solution, ending in '#### N')"


@dataclass(frozen=True)
class Problem:
    index: int
    """Position in the dataset (0-based): the problem's id in results."""
    question: str
    answer: str
    """The reference solution."""
    gold: str
    """The number after `####`, normalised."""

    @cached_property
    def question_sha(self) -> str:
        return hashlib.sha256(self.question.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Dataset:
    source: str
    problems: list[Problem]

    def select(self, offset: int, limit: int | None) -> list[Problem]:
        """Problems offset..offset+limit; an offset past the end is an error rather than an empty run."""
        if offset >= len(self.problems):
            raise DataError(
                f"--offset {offset} is past the end of {self.source} ({len(self.problems)} problems)",
                fix=f"use an offset below {len(self.problems)}",
            )
        return self.problems[offset : None if limit is None else offset + limit]


def load_gsm8k(data: Path | None = None) -> Dataset:
    """`data` (JSONL) when given, else the hub's test split (downloaded once into the Hugging Face cache)."""
    if data is not None:
        return read_jsonl(data)
    path = hub_file()
    return read_parquet(path, source=f"hf:{HUB_REPO}/{HUB_FILE}")


def read_jsonl(path: Path) -> Dataset:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise DataError(f"cannot read {path}: {reason}", fix=f"--data wants {_FORMAT}") from exc
    rows: list[tuple[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append((f"{path} line {number}", json.loads(line)))
        except json.JSONDecodeError as exc:
            raise DataError(f"{path} line {number}: invalid JSON ({exc.msg})", fix=f"--data wants {_FORMAT}") from exc
    return _dataset(str(path), rows)


def read_parquet(path: Path, source: str) -> Dataset:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path, columns=["question", "answer"])
    except (OSError, pa.ArrowException) as exc:
        raise DataError(f"cannot read GSM8K parquet {path}: {exc}", fix="delete it and run again, or use --data") \
            from exc
    return _dataset(source, ((f"{source} row {i}", row) for i, row in enumerate(table.to_pylist())))


def hub_file() -> Path:
    """The cached parquet file, downloaded once; fails in seconds when the hub is unreachable."""
    try:
        return fetch_dataset_file(HUB_REPO, HUB_FILE)
    except HubError as exc:
        raise HubError(f"GSM8K: {exc.message}", fix=f"go online once, or pass --data FILE.jsonl ({_FORMAT})") from exc


def _dataset(source: str, rows: Iterable[tuple[str, Any]]) -> Dataset:
    problems = [_problem(index, where, row) for index, (where, row) in enumerate(rows)]
    if not problems:
        raise DataError(f"{source} holds no problems", fix=f"it should hold {_FORMAT}")
    return Dataset(source, problems)


def _problem(index: int, where: str, row: Any) -> Problem:
    if not isinstance(row, dict) or not all(isinstance(row.get(k), str) for k in ("question", "answer")):
        raise DataError(f"{where}: needs string fields 'question' and 'answer'", fix=f"the file should hold {_FORMAT}")
    try:
        gold = gold_answer(row["answer"])
    except ValueError as exc:
        raise DataError(f"{where}: {exc}", fix=f"the file should hold {_FORMAT}") from exc
    return Problem(index, row["question"], row["answer"], gold)
