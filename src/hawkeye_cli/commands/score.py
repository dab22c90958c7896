"""`hawkeye score`: score recorded outputs of any model with the bench's scorer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, get_args

import typer

from hawkeye_cli.cli_support import options
from hawkeye_cli.evaluation.score_file import Scored, ScoreSummary, score_file, verdicts_file
from hawkeye_cli.outputs import require_outputs
from hawkeye_cli.reporting.console import stderr, stdout
from hawkeye_cli.reporting.documents import print_document
from hawkeye_cli.reporting.score import render_score, report_skipped, score_document
from hawkeye_cli.scoring.verdict import AnswerFormat


def score(
    path: Annotated[Path, typer.Argument(metavar="FILE.jsonl", help="One JSON object per line.", dir_okay=False)],
    output_field: Annotated[str, typer.Option("--output-field", help="The field holding the model's output.")] = (
        "response"
    ),
    gold_field: Annotated[str, typer.Option("--gold-field", help="The field holding the gold answer.")] = "answer",
    task: Annotated[
        str, typer.Option("--task", help="gsm8k: gold is a solution ending in '#### N', or N; math: gold is LaTeX.")
    ] = "math",
    json_output: options.Json = False,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", dir_okay=False, help="Write one verdict per record here (JSONL).")
    ] = None,
) -> None:
    """Score the outputs in FILE.jsonl against their gold answers: Math-Verify (accuracy, the primary metric),
    and lm-eval's strict-match and flexible-extract, each ± standard error. Lines that cannot be scored are
    reported with their number and skipped."""
    if task not in get_args(AnswerFormat):
        raise typer.BadParameter(f"use one of {', '.join(get_args(AnswerFormat))} (got {task!r})", param_hint="--task")
    if out is not None:
        require_outputs({"--out": out}, inputs={"FILE.jsonl": path})
    records = score_file(path, output_field, gold_field, task)  # type: ignore[arg-type]
    scored: list[Scored] = []
    skipped = 0
    with verdicts_file(out) as write_verdict, stderr.status(f"Scoring {path}…"):
        for record in records:
            if isinstance(record, Scored):
                scored.append(record)
                if write_verdict is not None:
                    write_verdict(record)
            else:
                skipped += 1
                report_skipped(stderr, record)
        summary = ScoreSummary.of(str(path), scored, skipped)  # no record scored: the old verdicts stay
    if json_output:
        document = score_document(summary, output_field=output_field, gold_field=gold_field, task=task,
                                  verdicts=None if out is None else str(out))
        print_document(document)
    else:
        render_score(stdout, summary)
    if out is not None:
        stderr.print(f"verdicts: {out}", highlight=False, soft_wrap=True)
