"""`hawkeye score`: the bench's scorer (scoring/verdict.py) over recorded outputs of any model.

Each line of the input is one record holding an output and its gold answer; a line that cannot be scored
(not UTF-8, malformed JSON, not an object, a field missing or of the wrong type, a gold with no answer in it)
is reported with its number and skipped, so one bad line never costs the rest.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO

from hawkeye_cli.errors import DataError
from hawkeye_cli.evaluation.metrics import Rates, rates
from hawkeye_cli.jsonl import Line, jsonl_lines
from hawkeye_cli.outputs import cannot_write
from hawkeye_cli.scoring.verdict import AnswerFormat, Verdict, gold_of, score


@dataclass(frozen=True)
class Scored:
    line: int
    gold: str
    verdict: Verdict

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "gold": self.gold, **asdict(self.verdict)}


@dataclass(frozen=True)
class Skipped:
    line: int
    reason: str


@dataclass(frozen=True)
class ScoreSummary(Rates):
    source: str
    n: int
    skipped: int

    @classmethod
    def of(cls, source: str, scored: list[Scored], skipped: int) -> ScoreSummary:
        if not scored and not skipped:
            raise DataError(f"{source} is empty: it holds no records",
                            fix="give a JSONL file with one JSON object per line")
        if not scored:
            raise DataError(f"{source} holds no record that could be scored",
                            fix="check --output-field and --gold-field against the file's fields")
        return cls(source=source, n=len(scored), skipped=skipped, **rates([s.verdict for s in scored]))


def score_file(path: Path, output_field: str, gold_field: str,
               answer_format: AnswerFormat) -> Iterator[Scored | Skipped]:
    """Every non-blank line of `path`, scored or skipped with its reason; DataError at once if it can't be read."""
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror}", fix="check the path") from exc
    return _score_lines(stream, output_field, gold_field, answer_format)


@contextmanager
def verdicts_file(path: Path | None) -> Iterator[Callable[[Scored], None] | None]:
    """How to write each verdict to `path` (None: not wanted); OutputError when it cannot be written.

    The verdicts go to a temporary file beside `path` that replaces it only when scoring is done, so an
    interrupted run or a full disk leaves an earlier verdicts file whole.
    """
    if path is None:
        yield None
        return
    fix = f"use another --out; {path} is left as it was"
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        stream = partial.open("w", encoding="utf-8")
    except OSError as exc:
        raise cannot_write(path, exc, fix) from exc

    def write(scored: Scored) -> None:
        try:
            stream.write(json.dumps(scored.to_dict(), ensure_ascii=False) + "\n")
        except OSError as exc:
            raise cannot_write(path, exc, fix) from exc

    try:
        yield write
        try:
            stream.close()  # the last of the buffer is written here
        except OSError as exc:
            raise cannot_write(path, exc, fix) from exc
        partial.replace(path)
    finally:
        with suppress(OSError):
            stream.close()
        partial.unlink(missing_ok=True)


def _score_lines(stream: BinaryIO, output_field: str, gold_field: str,
                 answer_format: AnswerFormat) -> Iterator[Scored | Skipped]:
    with stream:
        for line in jsonl_lines(stream):
            yield _score_line(line, output_field, gold_field, answer_format)


def _score_line(line: Line, output_field: str, gold_field: str, answer_format: AnswerFormat) -> Scored | Skipped:
    number = line.number
    try:
        data = line.record()
    except ValueError as exc:
        return Skipped(number, str(exc))
    output, reference = data.get(output_field), data.get(gold_field)
    if not isinstance(output, str):
        return Skipped(number, f"{'missing' if output is None else 'not a string in'} field '{output_field}'")
    if isinstance(reference, bool) or not isinstance(reference, str | int | float):
        return Skipped(number, f"{'missing' if reference is None else 'not a string or number in'} field "
                               f"'{gold_field}'")
    try:
        gold = gold_of(str(reference), answer_format)
    except ValueError as exc:
        return Skipped(number, f"field '{gold_field}': {exc}")
    return Scored(number, gold, score(output, gold))
