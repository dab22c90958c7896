"""`hawkeye compress-cot`: shorten chains of thought in a JSONL file, optionally checking what that costs."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from contextlib import closing, nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer

from hawkeye_cli.cli_support import options
from hawkeye_cli.cli_support.groups import DefaultCommandGroup
from hawkeye_cli.compression.compressor import RATIO_TOLERANCE
from hawkeye_cli.compression.records import STDIO, JsonlOutput, TraceFields, count_records, open_input, read_records
from hawkeye_cli.compression.run import CompressionRun, Method, RunSummary, compressor_for, output_key, verifier_for
from hawkeye_cli.compression.sft import sft_key
from hawkeye_cli.compression.stats import OutputStats, read_output
from hawkeye_cli.errors import DataError, Interrupted
from hawkeye_cli.loading import LoadedModels
from hawkeye_cli.outputs import require_outputs, writable_fix, write_each, write_text
from hawkeye_cli.reporting.compression import CompressionProgress, plot_curve, render_summary, summary_document
from hawkeye_cli.reporting.console import all_but_last_printed, stderr, stdout
from hawkeye_cli.reporting.documents import json_text, print_document
from hawkeye_cli.store.registry import load_registry

_HELP = "\n\n".join([
    "Compress the chain of thought (CoT) of every JSONL record in PATH and write the records, plus "
    "cot_compressed, cot_tokens, cot_kept_tokens, cot_ratio and compression metadata, to --output.",
    "R1-style text is understood: the CoT is the thinking, before </think> (which may sit in the response "
    "field); what follows it is the response. Steps keep their order; the final result (\\boxed{...}) is always "
    f"kept; the achieved ratio is reported, on target when within ±{RATIO_TOLERANCE:g}.",
    "Methods: filter drops filler, hedging, self-verification, repeated steps and restated questions by rule "
    "(tokens counted with the expander's tokenizer); surprisal keeps the steps that a small model (--scorer) "
    "finds most informative, one forward pass per record (per --ctx window of a longer one); rewrite asks the "
    "planner for a concise rewrite within ratio x tokens (its own tokenizer).",
    "--verify has the expander answer from question + compressed CoT and compares its final answer with the "
    "gold answer and with the uncompressed CoT's; with --ratios it draws the redundancy curve (table, --summary "
    "JSON, --plot PNG). The summary covers every record in --output, those of earlier runs included; "
    "`hawkeye compress-cot report OUTPUT` prints it again.",
    "Bad lines are reported with their number and skipped (--strict: exit 1). An existing --output is resumed: "
    "records already there are skipped and new ones appended, so Ctrl-C loses nothing written. The output is "
    "locked (OUTPUT.lock beside it) while a run appends to it; it may not be the input, and every output file "
    "is checked to be writable before anything runs.",
])

DEFAULT_COMMAND = "run"
STDIN_FILE = Path("/dev/stdin")
"""Standard input as a file, so that `compress-cot - -o X < X` is refused like `compress-cot X -o X`."""


class RunByDefault(DefaultCommandGroup):
    """`compress-cot FILE ...` stands for `compress-cot run FILE ...`."""

    default_command = DEFAULT_COMMAND


app = typer.Typer(
    cls=RunByDefault,
    help="Measure and remove redundancy in recorded chains of thought (CoT). `hawkeye compress-cot FILE ...` is "
    "`hawkeye compress-cot run FILE ...`; an input file named like a subcommand is given as ./report or ./run.",
    no_args_is_help=True,
)


@app.command(DEFAULT_COMMAND, help=_HELP)
@options.model_options(without={"budget", "effort", "max_budget", "stop_when", "on_disagree"})  # no planning here
def compress_cot(
    path: Annotated[str, typer.Argument(help="JSONL input; '-' reads standard input.")],
    output: Annotated[
        str, typer.Option("--output", "-o", help="JSONL output, appended to and resumed; '-' is standard output.")
    ] = STDIO,
    method: Annotated[Method, typer.Option("--method", "-m", help="How to compress.")] = "filter",
    ratio: Annotated[
        float, typer.Option("--ratio", "-r", min=0.01, max=1.0, help="Fraction of the CoT's tokens to keep.",
                            callback=options.finite)
    ] = 0.35,
    ratios: Annotated[
        str | None, typer.Option("--ratios", help="Several target ratios in one run, e.g. 0.1,0.2,0.35,0.5,1.0.")
    ] = None,
    verify: Annotated[
        bool, typer.Option("--verify", help="Run the expander on each compressed CoT and score its answer.")
    ] = False,
    scorer: Annotated[
        str | None, typer.Option("--scorer", help="surprisal: the scoring model.", show_default="the expander",
                                 callback=options.model_name)
    ] = None,
    export_sft: Annotated[
        Path | None, typer.Option("--export-sft", help="Also write chat-format SFT records here.")
    ] = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="With --verify: the redundancy curve as PNG.")
    ] = None,
    summary_file: Annotated[
        Path | None, typer.Option("--summary", help="Also write the summary (and curve) as JSON.")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", "-n", min=1, help="Only the first N records.")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Fail (exit 1) on the first unusable record.")] = False,
    cot_field: Annotated[str, typer.Option("--cot-field", help="Field with the CoT.")] = "cot",
    question_field: Annotated[str, typer.Option("--question-field", help="Field with the question.")] = "question",
    response_field: Annotated[
        str, typer.Option("--response-field", help="Field with the text after the thinking, if any.")
    ] = "response",
    answer_field: Annotated[str, typer.Option("--answer-field", help="Field with the gold answer, if any.")] = "answer",
    json_output: options.Json = False,
    *,
    models: options.ModelOptions,
) -> None:
    targets = _parse_ratios(ratios) if ratios is not None else [ratio]
    if plot is not None and not verify:
        raise typer.BadParameter("the plot shows accuracy, so it needs --verify", param_hint="--plot")
    if export_sft is not None and (len(targets) > 1 or str(export_sft) == STDIO):
        raise typer.BadParameter("a file, for one ratio at a time (--ratio)", param_hint="--export-sft")
    if json_output and output == STDIO:
        raise typer.BadParameter("records go to standard output; give --output FILE with --json", param_hint="--json")
    files = {"--output": Path(output), "--export-sft": export_sft, "--summary": summary_file, "--plot": plot}
    require_outputs({option: file for option, file in files.items() if file is not None and str(file) != STDIO},
                    inputs={"the input": STDIN_FILE if path == STDIO else Path(path)})
    registry = load_registry()
    pair = models.pair(registry)
    decode = models.decode(pair)
    fields = TraceFields(question_field, cot_field, response_field, answer_field)
    stats = OutputStats.expecting(targets)
    with (
        open_input(path) as stream,
        JsonlOutput(output, output_key(method), option="--output", on_record=stats.add) as out,
        JsonlOutput(export_sft, sft_key, option="--export-sft") if export_sft else nullcontext() as sft,
        closing(LoadedModels(models.backend_settings())) as loaded,
    ):
        if out.cut_partial_line:
            stderr.print(f"[yellow]{output}: cut its half-written last line; that record is done again[/]")
        with stderr.status("Loading models…"):
            scorer_spec = registry.model(scorer) if scorer else pair.expander
            compressor = compressor_for(method, loaded, pair, scorer_spec, decode)
            verifier = verifier_for(loaded, pair, decode) if verify else None
        run = CompressionRun(compressor, targets, verifier=verifier, strict=strict, source=path)
        with CompressionProgress(stderr, method, _total(path, limit)) as progress:
            records = itertools.islice(read_records(stream, fields), limit)
            summary = run.run(records, out, sft, on_record=progress.advance, on_skip=progress.skipped)
    document = summary_document(stats, summary, input=path, output=output, targets=targets)
    _finish(stats, document, output, json_output, summary_file, plot, summary)


@app.command("report", help="Print the summary of every record in a compress-cot output again (table or "
             "--json), and redraw --plot and --summary from it. Runs no model.")
def report(
    path: Annotated[Path, typer.Argument(help="The --output file of a compress-cot run.", show_default=False)],
    plot: Annotated[Path | None, typer.Option("--plot", help="Redraw the redundancy curve as PNG here.")] = None,
    summary_file: Annotated[Path | None, typer.Option("--summary", help="Write the summary as JSON here.")] = None,
    json_output: options.Json = False,
) -> None:
    require_outputs({option: file for option, file in (("--summary", summary_file), ("--plot", plot)) if file},
                    inputs={"the input": path})
    stats = read_output(path)
    if plot is not None and not stats.verified:
        raise DataError(f"{path} holds no --verify results, so there is no curve to plot",
                        fix="run compress-cot with --verify, or leave out --plot")
    _finish(stats, summary_document(stats, output=str(path)), str(path), json_output, summary_file, plot)


def _finish(stats: OutputStats, document: dict[str, Any], output: str, json_output: bool, summary_file: Path | None,
            plot: Path | None, run: RunSummary | None = None) -> None:
    """The table (or JSON) first, so that nothing printed is lost, then --summary and --plot: a file that cannot
    be written is reported on its own line, after writing the others, and exits 1."""
    text = json_text(document)
    if json_output:
        print_document(document)
    else:
        render_summary(stderr if output == STDIO else stdout, stats, output, run)
    writes: dict[str, tuple[Path, Callable[[Path], object]]] = {}
    if summary_file is not None:
        writes["--summary"] = (summary_file, lambda file: write_text(file, text + "\n"))
    if plot is not None:
        writes["--plot"] = (plot, lambda file: plot_curve(stats, file))
    failures = [error for option, write in writes.items() for error in write_each([write], writable_fix(option))[1]]
    if last := all_but_last_printed(failures):
        raise last
    if run is not None and run.interrupted:
        raise Interrupted("interrupted", fix=None if output == STDIO else f"run the same command again: it resumes "
                          f"from {output}")


def _parse_ratios(text: str) -> list[float]:
    values = options.comma_separated(text, float, lambda value: 0 < value <= 1,
                                     "comma-separated fractions in (0, 1], e.g. 0.1,0.35,1.0", "--ratios")
    return sorted(set(values))


def _total(path: str, limit: int | None) -> int | None:
    """Records the progress bar expects: the input's non-blank lines (unknown on standard input), at most limit."""
    total = count_records(path)
    return limit if total is None else min(total, limit or total)
