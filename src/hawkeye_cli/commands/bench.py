"""`hawkeye bench gsm8k|math500`: accuracy, tokens, latency and cost of hawkeye against the planner alone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from hawkeye_cli import ledger
from hawkeye_cli.budget import BudgetChoice
from hawkeye_cli.cli_support import bench_run, options
from hawkeye_cli.evaluation.metrics import Failures, Summary, failures, summarize
from hawkeye_cli.evaluation.results import MODES, Mode, read_results, results_path, summary_path
from hawkeye_cli.evaluation.runner import tasks_for
from hawkeye_cli.evaluation.tasks import BENCHMARKS, Benchmark
from hawkeye_cli.outputs import require_writable, writable_fix, write_each
from hawkeye_cli.pipeline import prompts
from hawkeye_cli.reporting.bench import render_summary, summary_document
from hawkeye_cli.reporting.console import all_but_last_printed, print_warning, stderr, stdout
from hawkeye_cli.reporting.documents import json_text, print_document
from hawkeye_cli.reporting.plots import plot_accuracy_vs_tokens
from hawkeye_cli.store.registry import load_registry

app = typer.Typer(
    help="Benchmarks: accuracy, tokens, latency and cost of hawkeye vs the planner alone.", no_args_is_help=True
)

def _help(benchmark: Benchmark) -> str:
    return "\n\n".join([
        f"Run {benchmark.title}'s test set in each mode; report accuracy, tokens, time and savings.",
        "Modes: baseline = the planner alone with its full chain of thought; hawkeye = the planner writes a "
        "concise CoT under --budget tokens, then the expander writes the answer; expander = the expander alone.",
        "Prompts (hawkeye_cli/pipeline/prompts.py) are zero-shot, except for the worked examples shown to a chat "
        f'planner that does not think and to a chat expander. Every one ends with: "{benchmark.instruction}" The '
        f'hawkeye planner is also told: "{prompts.PLAN_INSTRUCTION}" (one that thinks, or a base model), or shown '
        f'worked examples and told: "{prompts.DRAFT_INSTRUCTION}" (a chat model that does not think).',
        "Accuracy is Math-Verify's verdict (LaTeX, \\boxed{}, fractions, sets and intervals compared "
        "symbolically; the last \\boxed{} of the output wins). Next to it, as lm-eval's gsm8k task scores: "
        "strict-match, the first '#### N' (or else the last \\boxed{N}), and flexible-extract, the last number; "
        "both compare numbers only (18.0 = 18), so they never match a gold that is not a number.",
        f"Data: {benchmark.hub_repo} ({benchmark.hub_file}) through the Hugging Face cache, or --data "
        f"FILE.jsonl with {benchmark.data_format()}. Each result is saved to OUT/{benchmark.name}.jsonl as it "
        f"finishes, and running the same command again resumes. At the end OUT also gets "
        f"{summary_path(Path(), benchmark.name)} and {benchmark.name}.png.",
    ])


@options.model_options()
@bench_run.run_options()
def run_bench(
    context: typer.Context,
    modes: Annotated[str, typer.Option("--modes", help="Comma-separated: baseline, hawkeye, expander.")] = ",".join(
        MODES
    ),
    budgets: Annotated[
        str | None, typer.Option("--budgets", help="Sweep planner budgets in one run, e.g. 64,128,256,auto,low.")
    ] = None,
    *,
    models: options.ModelOptions,
    run_options: bench_run.RunOptions,
) -> None:
    """One implementation for every benchmark of the table, registered under each one's name."""
    benchmark = BENCHMARKS[context.info_name or ""]
    chosen_modes = _parse_modes(modes)
    directory = run_options.directory
    for output in (results_path(directory, benchmark.name), summary_path(directory, benchmark.name),
                   directory / f"{benchmark.name}.png"):
        require_writable(output, "--out")
    pair = models.pair(load_registry())
    decode = models.decode(pair)
    sweep = [models.decode(pair, choice).budget for choice in _parse_budgets(budgets, models.budget or models.effort)] \
        or [decode.budget]
    models.require_adaptive_for_stop(sweep)
    run = bench_run.run_tasks(context, benchmark, tasks_for(chosen_modes, sweep), run_options=run_options, pair=pair,
                              models=models, decode=decode)
    ledger.record_baselines(run.summaries, source="bench", dataset=benchmark.name, max_tokens=decode.max_tokens,
                            warn=print_warning)
    meta = {
        "dataset": run.source,
        "problems": {"offset": run_options.offset, "count": run.problems},
        "profile": pair.profile.name,
        "settings": {"max_tokens": decode.max_tokens, "temperature": decode.sampling.temperature,
                     "seed": decode.sampling.seed},
        "run": None if run.throughput is None else asdict(run.throughput),
        "prompt": {"final_answer": benchmark.instruction, "plan": prompts.PLAN_INSTRUCTION,
                   "draft": prompts.DRAFT_INSTRUCTION},
    }
    _finish(directory, benchmark, run.summaries, run.failed, run_options.json_output, write_summary=True,
            fix=writable_fix("--out"), **meta)


for _benchmark in BENCHMARKS.values():
    app.command(_benchmark.name, help=_help(_benchmark))(run_bench)


@app.command("report")
def report(
    directory: Annotated[Path, typer.Argument(help="A results directory written by hawkeye bench.")],
    json_output: options.Json = False,
) -> None:
    """Print the summary of every result saved in DIRECTORY again and redraw its plot."""
    found = [b for b in BENCHMARKS.values() if results_path(directory, b.name).is_file()]
    if not found:  # read_results says what is missing and how to make it
        read_results(results_path(directory, next(iter(BENCHMARKS))))
    for benchmark in found:
        rows = read_results(results_path(directory, benchmark.name))
        _finish(directory, benchmark, summarize(rows), failures(rows), json_output, write_summary=False,
                fix=f"make {directory} writable")


def _finish(directory: Path, benchmark: Benchmark, summaries: list[Summary], failed: list[Failures],
            json_output: bool, *, write_summary: bool, fix: str, **meta: Any) -> None:
    """Tables (or JSON) on stdout first, then the plot and, with `write_summary`, the summary into `directory`:
    a file that cannot be written costs only itself, with its own error line and exit status 1."""
    results = results_path(directory, benchmark.name)
    document = summary_document(summaries, benchmark.name, failed, results=str(results), **meta)
    if json_output:
        print_document(document)
    else:
        render_summary(stdout, summaries, benchmark.title, failed, meta.get("run"))
    writes: list[tuple[Path, Callable[[Path], object]]] = []
    if write_summary:
        writes.append((summary_path(directory, benchmark.name),
                       lambda path: path.write_text(json_text(document) + "\n", encoding="utf-8")))
    if summaries:  # every item failed: no point to plot
        writes.append((directory / f"{benchmark.name}.png",
                       lambda path: plot_accuracy_vs_tokens(summaries, path, benchmark.title)))
    written, unwritten = write_each(writes, fix)
    also = "".join(f" · {path}" for path in written)
    stderr.print(f"results: {results}{also}", highlight=False, soft_wrap=True)
    if last := all_but_last_printed(unwritten):
        raise last


def _parse_modes(text: str) -> list[Mode]:
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [mode for mode in chosen if mode not in MODES]
    if unknown or not chosen:
        raise typer.BadParameter(f"use some of {', '.join(MODES)} (got {text!r})", param_hint="--modes")
    return [mode for mode in MODES if mode in chosen]


def _parse_budgets(text: str | None, budget: str | None) -> list[BudgetChoice]:
    if text is None:
        return []
    if budget is not None:
        raise typer.BadParameter("give --budget (or --effort) or --budgets, not both", param_hint="--budgets")
    return bench_run.parse_budgets(text)
