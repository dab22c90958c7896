"""Text from outside (a client's question, a model's output, an engine's error) never drives the operator's
terminal: every human-readable view shows its control characters as escapes and its Rich markup as written, and
`--json` keeps it exact."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request

import openai
import pytest
from rich.console import Console

from cli_runner import Hawkeye
from conftest import ScriptedBackend
from hawkeye_cli.backends.base import Completion, Request, Session
from hawkeye_cli.errors import RemoteError
from hawkeye_cli.evaluation.metrics import Failures
from hawkeye_cli.ledger.database import Ledger
from hawkeye_cli.ledger.entries import entry_of
from hawkeye_cli.reporting.bench import render_failures
from hawkeye_cli.store import paths
from hawkeye_cli.store.registry import Registry
from hawkeye_cli.terminal import printable
from ledger_fixtures import ledger_home, scripted_document  # noqa: F401 - a fixture
from remote_fixtures import scripted_client, served
from scripted_models import Answering, scripted_models

HOSTILE = ("\x1b]0;owned\x07\x1b[2J\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\ \x9b31mred\r\x08 "
           "[bold]loud[/bold] [link=https://evil.example]here[/link]")
"""Set the window title, clear the screen, an OSC 8 hyperlink, a C1 CSI colour, a carriage return and a
backspace, then Rich markup."""
RAW = ("\x1b", "\x07", "\x9b", "\r", "\x08")
SHOWN = r"\x1b]0;owned\x07\x1b[2J\x1b]8;;https://evil.example/\x1b\click"
MARKUP = ("[bold]loud[/bold]", "[link=https://evil.example]here[/link]")
"""Each on one line, however a panel wraps them."""
FAST = ["--profile", "tiny", "--budget", "8", "--max-tokens", "16", "--no-log"]


def assert_safe(text: str) -> None:
    """No control character reaches the terminal: each is shown, and the markup is printed as written."""
    assert not any(raw in text for raw in RAW), repr(text)
    assert SHOWN in text and all(markup in text for markup in MARKUP), text


def test_printable_shows_every_control_but_the_lines_a_multi_line_view_keeps() -> None:
    assert printable("a\x1b[2Jb\x7f\x85\x9b") == r"a\x1b[2Jb\x7f\x85\x9b"
    assert printable("one\ttwo\nthree\r") == r"one\ttwo\nthree\r"
    assert printable("one\ttwo\nthree\r", lines=True) == "one\ttwo\nthree\\r"
    assert printable("[bold]é 中 ✓[/bold]") == "[bold]é 中 ✓[/bold]"


@pytest.mark.usefixtures("ledger_home")
def test_logs_show_a_clients_question_and_answer_safely_and_json_keeps_them(registry: Registry,
                                                                            hawkeye: Hawkeye) -> None:
    document = {**scripted_document(registry, HOSTILE), "final_answer": HOSTILE, "profile": HOSTILE}
    Ledger(paths.ledger_path()).add(entry_of(document, "serve"))
    listed = hawkeye("logs")
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.count(SHOWN) == 3  # the heading's profile, the question, the answer
    assert_safe(listed.stdout)
    stats = hawkeye("logs", "stats")
    assert stats.exit_code == 0, stats.output
    assert not any(raw in stats.stdout for raw in RAW) and r"\x1b" in stats.stdout  # the cell may be cut short
    exact = hawkeye("logs", "--json")
    [entry] = json.loads(exact.stdout)["entries"]
    assert entry["question"] == entry["final_answer"] == entry["profile"] == HOSTILE
    assert not any(raw in exact.stdout for raw in RAW)  # escaped as JSON, C1 included


def test_ask_shows_a_models_output_safely_in_its_panels_table_and_stream(hawkeye: Hawkeye) -> None:
    with scripted_models(Answering(f"{HOSTILE} #### 2")):
        shown = hawkeye("ask", "What is 1 + 1?", "--compare", *FAST)
        streamed = hawkeye("ask", "What is 1 + 1?", "--stream", *FAST)
        exact = hawkeye("ask", "What is 1 + 1?", "--json", *FAST)
    for result in (shown, streamed):
        assert result.exit_code == 0, result.output
        assert_safe(result.stdout)
    assert shown.stdout.count(SHOWN) == 2  # the plan's panel and the answer's
    assert json.loads(exact.stdout)["expansion"]["text"] == f"{HOSTILE} #### 2"
    assert not any(raw in exact.stdout for raw in RAW)


def failing(message: str) -> Answering:
    def fail() -> None:
        raise RemoteError(message)

    return Answering(meanwhile=fail)


def test_an_error_line_quoting_an_engine_is_safe_and_its_json_document_exact(hawkeye: Hawkeye) -> None:
    message = f"the engine answered HTTP 400: {HOSTILE}"
    with scripted_models(failing(message)):
        shown = hawkeye("ask", "What is 1 + 1?", *FAST)
        exact = hawkeye("ask", "What is 1 + 1?", "--json", *FAST)
    assert shown.exit_code == exact.exit_code == 1
    [line] = [line for line in shown.stderr.splitlines() if line.startswith("error:")]
    assert_safe(line)
    assert json.loads(exact.stdout)["error"]["message"] == message


def test_a_bench_failures_example_is_shown_safely() -> None:
    terminal = io.StringIO()
    render_failures(Console(file=terminal, force_terminal=True, width=400), [Failures("hawkeye@8", 1, HOSTILE)])
    # A terminal console writes its own styles: what it must not write is any sequence of the example's.
    shown = terminal.getvalue()
    assert "\x1b]" not in shown and "\x1b[2J" not in shown and "\x07" not in shown and "\x9b" not in shown
    assert SHOWN in shown and all(markup in shown for markup in MARKUP)


class Refusing(ScriptedBackend):
    """An engine whose every request fails with `message`."""

    def __init__(self, message: str) -> None:
        super().__init__([])
        self.message = message

    def complete(self, request: Request, on_text: object = None) -> Completion:
        raise RemoteError(self.message)

    def session(self, request: Request) -> Session:
        raise RemoteError(self.message)


def test_serves_log_lines_show_a_clients_path_and_an_engines_error_safely(registry: Registry,
                                                                         capfd: pytest.CaptureFixture[str]) -> None:
    with served(registry, Refusing(HOSTILE), Refusing(HOSTILE)) as url:
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"{url.removesuffix('/v1')}/%1B%5D0;owned%07%1B%5B2J", timeout=30)
        with pytest.raises(openai.APIStatusError, match=r"evil\.example"):
            scripted_client(url).chat.completions.create(model="hawkeye/tiny",
                                                         messages=[{"role": "user", "content": HOSTILE}])
    log = capfd.readouterr().err
    lines = [line for line in log.splitlines() if "GET /" in line or "POST /v1/chat/completions" in line]
    assert len(lines) == 2, log
    assert not any(raw in log for raw in RAW)
    assert r"GET /\x1b]0;owned\x07\x1b[2J 404" in lines[0]
    assert SHOWN in lines[1] and " 502 " in lines[1]
