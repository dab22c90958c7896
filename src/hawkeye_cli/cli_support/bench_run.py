"""What `bench` and `calibrate` share: the options that choose problems and where results go, and the run itself.

Both write OUT/<benchmark>.jsonl through the same BenchResults and keys, so a calibrate resumes a bench, and a bench
a calibrate: rows already there are never computed again.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from hawkeye_cli.budget import BudgetChoice, parse_budget
from hawkeye_cli.cli_support.options import Command, Json, ModelOptions, option_group, parse
from hawkeye_cli.errors import Interrupted
from hawkeye_cli.evaluation.datasets import ProblemFields, load_dataset
from hawkeye_cli.evaluation.metrics import Failures, Summary, Throughput, failures, summarize
from hawkeye_cli.evaluation.results import BenchResults, results_path
from hawkeye_cli.evaluation.runner import Bench, Setup, Task
from hawkeye_cli.evaluation.tasks import Benchmark
from hawkeye_cli.loading import Pair
from hawkeye_cli.pipeline import DecodeSettings
from hawkeye_cli.reporting.bench import BenchProgress
from hawkeye_cli.reporting.console import stderr
from hawkeye_cli.store import paths


@dataclass(frozen=True)
class RunOptions:
    """The options of bench and calibrate that choose the problems, where results go and how many run at once,
    and how the outcome is printed."""

    data: Annotated[
        Path | None, typer.Option("--data", help="Local JSONL instead of the hub dataset.", dir_okay=False)
    ] = None
    question_field: Annotated[
        str | None, typer.Option("--question-field", help="With --data: the field holding the question.")
    ] = None
    answer_field: Annotated[
        str | None, typer.Option("--answer-field", help="With --data: the field holding the answer.")
    ] = None
    limit: Annotated[int | None, typer.Option("--limit", "-n", min=1, help="Run this many problems.")] = None
    offset: Annotated[int, typer.Option("--offset", min=0, help="Skip this many problems first.")] = 0
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-j", min=1, help="Items in flight at once: for remote engines, which "
                          "batch them; a local model still runs one request at a time.")
    ] = 1
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", file_okay=False, help="Results directory.", show_default="./hawkeye-results"),
    ] = None
    json_output: Json = False

    @property
    def directory(self) -> Path:
        return self.out or paths.default_results_dir()



def run_options() -> Callable[[Command], Command]:
    """RunOptions after a command's own parameters, before the model options when this decorator is the inner one
    (a resume line then reads as the user wrote it); the command receives them as `run_options`."""
    return option_group(RunOptions, "run_options")


@dataclass(frozen=True)
class Run:
    """A finished run: where its problems came from, and its rows summarized."""

    source: str
    problems: int
    results: Path
    summaries: list[Summary]
    failed: list[Failures]
    """Items whose requests failed in this run (a resumed run retries them)."""
    throughput: Throughput | None
    """None when every row was already saved and nothing ran."""


def run_tasks(context: typer.Context, benchmark: Benchmark, tasks: Sequence[Task], *, run_options: RunOptions,
              pair: Pair, models: ModelOptions, decode: DecodeSettings) -> Run:
    """Every selected problem in every task, resuming from the rows in OUT/<benchmark>.jsonl; the models load only
    when something is left to compute. Ctrl-C keeps the finished rows and says the command that resumes
    (Interrupted: exit 130)."""
    dataset = load_dataset(benchmark, run_options.data,
                           ProblemFields.of(benchmark, run_options.question_field, run_options.answer_field))
    problems = dataset.select(run_options.offset, run_options.limit)
    with BenchResults(results_path(run_options.directory, benchmark.name)) as out:
        bench = Bench(Setup.of(pair.planner, pair.expander, decode), problems, tasks, out)
        done = {task: bench.results(task) for task in tasks}
        stderr.print(
            f"{benchmark.title} #{problems[0].index} to #{problems[-1].index} "
            f"({len(problems)} problem{'s' if len(problems) != 1 else ''}) "
            f"from {dataset.source} · "
            f"planner {pair.planner.alias} + expander {pair.expander.alias} · "
            f"{', '.join(t.label for t in tasks)} · {sum(map(len, done.values()))} results already in {out.path}",
            highlight=False,
            soft_wrap=True,
        )
        throughput: Throughput | None = None
        if bench.pending():
            collaboration = models.load(pair, benchmark.answers)
            stderr.print(f"Ctrl-C stops at any time and keeps every finished result; the same command resumes "
                         f"from {out.path}", highlight=False, soft_wrap=True)
            started = time.perf_counter()
            try:
                with BenchProgress(stderr, tasks, len(problems), done) as progress:
                    bench.run(collaboration, decode, progress.advance, concurrency=run_options.concurrency)
            except KeyboardInterrupt:
                raise Interrupted(f"interrupted · {len(bench.results())} of {len(problems) * len(tasks)} results "
                                  f"saved in {out.path}", fix=f"resume with: {command_line(context)}") from None
            throughput = Throughput.of(bench.saved, run_options.concurrency, time.perf_counter() - started)
        return Run(dataset.source, len(problems), out.path, summarize(bench.results()), failures(bench.saved),
                   throughput)


def parse_budgets(text: str) -> list[BudgetChoice]:
    """`--budgets`: comma-separated budgets, each as --budget takes it."""
    choices = [parse(part, "--budgets", parse_budget) for part in text.split(",") if part.strip()]
    if not choices:
        raise typer.BadParameter("comma-separated budgets, e.g. 64,128,auto", param_hint="--budgets")
    return choices


def command_line(context: typer.Context) -> str:
    """The command with the options given on its command line: what to run again to resume."""
    words = context.command_path.split()
    for param in context.command.params:
        name = param.name or ""
        if getattr(context.get_parameter_source(name), "name", None) != "COMMANDLINE":
            continue
        value = context.params[name]
        if getattr(param, "is_flag", False):
            words.extend(param.opts[:1] if value else param.secondary_opts[:1])
        else:
            words.extend([param.opts[0], str(value)])
    return shlex.join(words)
