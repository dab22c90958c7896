"""`hawkeye ask`: one question through plan → expand, with optional full-CoT baseline for comparison."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from hawkeye_cli import ledger
from hawkeye_cli.cli_support import options
from hawkeye_cli.errors import DataError
from hawkeye_cli.reporting.ask import AskProgress, ask_document, profile_notice, render_ask
from hawkeye_cli.reporting.console import print_warning, stderr, stdout
from hawkeye_cli.reporting.documents import print_document
from hawkeye_cli.store.registry import load_registry


@options.model_options()
def ask(
    question: Annotated[str, typer.Argument(help="The question; '-' reads it from standard input.")],
    compare: Annotated[
        bool, typer.Option("--compare", help="Also run the planner alone with its full CoT and report savings.")
    ] = False,
    stream: Annotated[
        bool, typer.Option("--stream", help="Stream the plan, then the answer, as they are written.")
    ] = False,
    json_output: options.Json = False,
    no_log: options.NoLog = False,
    *,
    models: options.ModelOptions,
) -> None:
    """Answer QUESTION: the planner thinks briefly, the expander writes the full answer."""
    if stream and json_output:
        raise typer.BadParameter("--stream prints text as it comes; it cannot be combined with --json")
    text = _question_text(question)
    if not text.strip():
        raise DataError("the question is empty", fix="pass the question as an argument or on standard input")
    pair = models.pair(load_registry())
    notice = profile_notice(pair)
    if notice:
        stderr.print(f"[yellow]{notice}[/]", highlight=False, soft_wrap=True)
    decode = models.decode(pair)
    models.require_adaptive_for_stop([decode.budget])
    collaboration = models.load(pair)
    progress = AskProgress(stdout, stderr, stream=stream, reasoning_planner=collaboration.planner.reasoning)
    try:
        result = collaboration.ask(text.strip(), decode, compare=compare, observer=progress)
    finally:
        progress.close()
    document = ask_document(result, pair, decode)
    if json_output:
        print_document(document)
    else:
        render_ask(stdout, result, streamed=stream, reasoning_planner=collaboration.planner.reasoning)
    if not no_log:
        ledger.record(document, "ask", warn=print_warning)


def _question_text(question: str) -> str:
    """The question from argv or stdin, refused before any model loads when its bytes are not UTF-8 (Python
    hands such argv bytes over as lone surrogates, which the models' tokenizers cannot encode)."""
    where = "on standard input" if question == "-" else "argument"
    try:
        text = sys.stdin.read() if question == "-" else question
        text.encode("utf-8")
    except UnicodeError as exc:
        raise DataError(f"the question {where} is not UTF-8 text", fix="convert it to UTF-8, e.g. with iconv") from exc
    return text
