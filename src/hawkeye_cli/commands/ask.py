"""`hawkeye ask`: one question through plan → expand, with optional full-CoT baseline for comparison."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from hawkeye_cli.backends.settings import HttpSettings, LlamaCppSettings
from hawkeye_cli.commands import options
from hawkeye_cli.engine import choose_pair, load_collaboration
from hawkeye_cli.errors import DataError
from hawkeye_cli.reporting.ask import AskProgress, ask_document, profile_notice, render_ask
from hawkeye_cli.reporting.console import stderr, stdout
from hawkeye_cli.reporting.documents import print_document
from hawkeye_cli.store.registry import load_registry


def ask(
    question: Annotated[str, typer.Argument(help="The question; '-' reads it from standard input.")],
    profile: options.Profile = None,
    planner: options.Planner = None,
    expander: options.Expander = None,
    budget: options.Budget = None,
    compare: Annotated[
        bool, typer.Option("--compare", help="Also run the planner alone with its full CoT and report savings.")
    ] = False,
    stream: Annotated[
        bool, typer.Option("--stream", help="Stream the plan, then the answer, as they are written.")
    ] = False,
    json_output: options.Json = False,
    max_tokens: options.MaxTokens = None,
    temperature: options.Temperature = 0.0,
    seed: options.Seed = 0,
    threads: options.Threads = None,
    gpu_layers: options.GpuLayers = None,
    ctx: options.Ctx = LlamaCppSettings.n_ctx,
    timeout: options.Timeout = HttpSettings.timeout,
    verbose: options.Verbose = False,
) -> None:
    """Answer QUESTION: the planner thinks briefly, the expander writes the full answer."""
    if stream and json_output:
        raise typer.BadParameter("--stream prints text as it comes; it cannot be combined with --json")
    text = _question_text(question)
    if not text.strip():
        raise DataError("the question is empty", fix="pass the question as an argument or on standard input")
    pair = choose_pair(load_registry(), profile=profile, planner=planner, expander=expander)
    notice = profile_notice(pair)
    if notice:
        stderr.print(f"[yellow]{notice}[/]", highlight=False, soft_wrap=True)
    decode = options.decode_settings(pair, max_tokens, temperature, seed)
    settings = options.backend_settings(ctx, threads, gpu_layers, verbose, timeout)
    with stderr.status(f"Loading {pair.planner.alias} and {pair.expander.alias}…"):
        collaboration = load_collaboration(pair, settings, decode)
    budget = budget or pair.profile.budget
    progress = AskProgress(stdout, stderr, stream=stream, budget=budget, reasoning_planner=pair.planner.reasoning)
    try:
        result = collaboration.ask(text.strip(), budget, compare=compare, observer=progress)
    finally:
        progress.close()
    if json_output:
        print_document(ask_document(result, pair, decode))
        return
    render_ask(stdout, result, streamed=stream, reasoning_planner=pair.planner.reasoning)


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
