"""`hawkeye serve`: plan → expand as an OpenAI-compatible endpoint (chat UIs, SDKs, curl)."""

from __future__ import annotations

from typing import Annotated

import typer

from hawkeye_cli import ledger
from hawkeye_cli.budget import label
from hawkeye_cli.cli_support import options
from hawkeye_cli.loading import Pair
from hawkeye_cli.pipeline import AskResult, DecodeSettings
from hawkeye_cli.reporting.ask import ask_document, profile_notice
from hawkeye_cli.reporting.console import print_warning, stderr
from hawkeye_cli.serving import create_app, load_catalog, server
from hawkeye_cli.serving.jobs import ActiveJobs
from hawkeye_cli.store.registry import load_registry

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


def _api_key(value: str | None) -> str | None:
    """An empty key is refused: it is neither a key a client could send nor a clear 'no key'."""
    if value is not None and not value.strip():
        raise typer.BadParameter("the key is empty; give one, or leave out --api-key (and HAWKEYE_API_KEY) to serve "
                                 "without a key")
    return value


@options.model_options(without={"profile", "on_disagree"})
def serve(
    profile: Annotated[
        list[str] | None,
        typer.Option("--profile", "-p", help="Profile to serve as model hawkeye/<profile>; repeat to serve several.",
                     show_default="the first profile whose models are present"),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on; loopback keeps it to this machine.")]
    = DEFAULT_HOST,
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port.")] = DEFAULT_PORT,
    api_key: Annotated[
        str | None,
        typer.Option("--api-key", envvar="HAWKEYE_API_KEY", show_envvar=True, callback=_api_key,
                     help="Require 'Authorization: Bearer KEY' on every /v1 request."),
    ] = None,
    no_log: options.NoLog = False,
    *,
    models: options.ModelOptions,
) -> None:
    """Serve plan → expand as an OpenAI-compatible API: the plan is the reply's reasoning, the answer its content."""
    if not server.is_loopback(host) and not api_key:
        stderr.print(f"[yellow]warning:[/] listening on {host} without --api-key: anyone who can reach this "
                     "machine can use its models; set --api-key (or HAWKEYE_API_KEY)", highlight=False,
                     soft_wrap=True)
    registry = load_registry()
    names: list[str | None] = [*profile] if profile else [None]
    pairs = [models.pair(registry, profile=name) for name in names]
    for pair in pairs:
        notice = profile_notice(pair)
        if notice:
            stderr.print(f"[yellow]{notice}[/]", highlight=False, soft_wrap=True)
    with stderr.status("Loading models…"):
        catalog = load_catalog([(pair, models.decode(pair)) for pair in pairs], models.backend_settings())
    sock = server.listen(host, port)
    where = server.base_url(host, sock.getsockname()[1])
    for served in catalog.served.values():
        stderr.print(f"serving {served.model_id} ({served.pair.planner.alias} plans, {served.pair.expander.alias} "
                     f"answers; budget {label(served.defaults.budget)}, max tokens {served.defaults.max_tokens}) "
                     f"at {where}", highlight=False, soft_wrap=True)
    stderr.print("Ctrl-C stops the server.", highlight=False)
    active = ActiveJobs()
    app = create_app(catalog, api_key=api_key, active=active, on_answer=None if no_log else record_served)
    server.run(app, sock, stop_generations=active.cancel_all)


def record_served(pair: Pair, decode: DecodeSettings, result: AskResult) -> None:
    """In the ledger as `ask` records it (from a worker thread: the ledger opens a connection per entry)."""
    ledger.record(ask_document(result, pair, decode), "serve", warn=print_warning)
