"""A benchmark's test set (evaluation/tasks.py): from the Hugging Face hub and its cache, or a local JSONL file."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from hawkeye_cli.errors import DataError, HubError
from hawkeye_cli.evaluation.tasks import Benchmark
from hawkeye_cli.jsonl import jsonl_lines
from hawkeye_cli.scoring.verdict import gold_of
from hawkeye_cli.store.hub import fetch_dataset_file


@dataclass(frozen=True)
class Problem:
    index: int
    """Position in the dataset (0-based): the problem's id in results."""
    question: str
    answer: str
    """The answer field as given: a reference solution (GSM8K) or the final answer (MATH)."""
    gold: str
    """What outputs are scored against (scoring.verdict.gold_of)."""

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


@dataclass(frozen=True)
class ProblemFields:
    """Which fields of a record hold the question and the answer."""

    question: str
    answer: str

    @classmethod
    def of(cls, benchmark: Benchmark, question: str | None = None, answer: str | None = None) -> ProblemFields:
        return cls(question or benchmark.question_field, answer or benchmark.answer_field)


def load_dataset(benchmark: Benchmark, data: Path | None = None, fields: ProblemFields | None = None) -> Dataset:
    """`data` (JSONL) when given, else the benchmark's hub file (downloaded once into the Hugging Face cache)."""
    chosen = fields or ProblemFields.of(benchmark)
    if data is not None:
        return read_jsonl(data, benchmark, chosen)
    path = hub_file(benchmark)
    source = f"hf:{benchmark.hub_repo}/{benchmark.hub_file}"
    if path.suffix == ".parquet":
        return read_parquet(path, benchmark, source)
    return read_jsonl(path, benchmark, ProblemFields.of(benchmark), source=source)


def read_jsonl(path: Path, benchmark: Benchmark, fields: ProblemFields, source: str | None = None) -> Dataset:
    expected = benchmark.data_format(fields.question, fields.answer)
    rows: list[tuple[str, Any]] = []
    try:
        with path.open("rb") as stream:
            for line in jsonl_lines(stream):
                where = f"{path} line {line.number}"
                try:
                    rows.append((where, line.value()))
                except UnicodeDecodeError as exc:
                    raise DataError(f"{where}: not UTF-8 text", fix=f"--data wants {expected}") from exc
                except json.JSONDecodeError as exc:
                    raise DataError(f"{where}: invalid JSON ({exc.msg})", fix=f"--data wants {expected}") from exc
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror}", fix=f"--data wants {expected}") from exc
    return _dataset(source or str(path), rows, benchmark, fields)


def read_parquet(path: Path, benchmark: Benchmark, source: str) -> Dataset:
    import pyarrow as pa
    import pyarrow.parquet as pq

    fields = ProblemFields.of(benchmark)
    try:
        table = pq.read_table(path, columns=[fields.question, fields.answer])
    except (OSError, pa.ArrowException) as exc:
        raise DataError(f"cannot read {benchmark.title} parquet {path}: {exc}",
                        fix="delete it and run again, or use --data") from exc
    rows = ((f"{source} row {i}", row) for i, row in enumerate(table.to_pylist()))
    return _dataset(source, rows, benchmark, fields)


def hub_file(benchmark: Benchmark) -> Path:
    """The cached test file, downloaded once; fails in seconds when the hub is unreachable."""
    try:
        return fetch_dataset_file(benchmark.hub_repo, benchmark.hub_file)
    except HubError as exc:
        raise HubError(f"{benchmark.title}: {exc.message}",
                       fix=f"go online once, or pass --data FILE.jsonl ({benchmark.data_format()})") from exc


def _dataset(source: str, rows: Iterable[tuple[str, Any]], benchmark: Benchmark, fields: ProblemFields) -> Dataset:
    problems = [_problem(index, where, row, benchmark, fields) for index, (where, row) in enumerate(rows)]
    if not problems:
        raise DataError(f"{source} holds no problems", fix=f"it should hold {benchmark.data_format(*_names(fields))}")
    return Dataset(source, problems)


def _problem(index: int, where: str, row: Any, benchmark: Benchmark, fields: ProblemFields) -> Problem:
    expected = f"the file should hold {benchmark.data_format(*_names(fields))}"
    if not isinstance(row, dict) or not all(isinstance(row.get(k), str) for k in _names(fields)):
        raise DataError(f"{where}: needs string fields '{fields.question}' and '{fields.answer}'", fix=expected)
    try:
        gold = gold_of(row[fields.answer], benchmark.answer_format)
    except ValueError as exc:
        raise DataError(f"{where}: {exc}", fix=expected) from exc
    return Problem(index, row[fields.question], row[fields.answer], gold)


def _names(fields: ProblemFields) -> tuple[str, str]:
    return fields.question, fields.answer
