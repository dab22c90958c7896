"""Ctrl-C while llama.cpp loads a model stops ask and serve with 130, as at any other moment. llama.cpp logs through
a Python callback while it loads, the KeyboardInterrupt was raised inside it, and ctypes swallowed it: ask printed
its whole answer and exited 0, serve started serving.

The CLI runs in a real process; a wrapper around llama.cpp's model loading sends SIGINT 50 ms into the first load,
so the signal arrives while llama.cpp runs, every time, and the wrapper changes nothing else.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

EXIT_INTERRUPTED = 130
SIGINT_WHILE_LOADING = """
import os, signal, sys, threading
import llama_cpp.llama_cpp as library

load = library.llama_model_load_from_file

def load_and_be_interrupted(*args):
    threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGINT)).start()
    library.llama_model_load_from_file = load
    return load(*args)

library.llama_model_load_from_file = load_and_be_interrupted
sys.argv = ["hawkeye", *sys.argv[1:]]
from hawkeye_cli.__main__ import main
main()
"""


def sigint_as_a_terminal_sends_it() -> None:
    """A suite started in the background (`pytest &` from a script) hands its children SIGINT ignored, and Python
    then installs no KeyboardInterrupt: each child gets SIGINT back as a terminal's Ctrl-C would find it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def hawkeye(*args: str, code: str | None = None, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    command = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "hawkeye_cli", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout, check=False,
                          preexec_fn=sigint_as_a_terminal_sends_it)


def test_ask_interrupted_while_a_model_loads() -> None:
    done = hawkeye("ask", "What is 2 + 3?", "--profile", "tiny", "--max-tokens", "8", "--threads", "1",
                   code=SIGINT_WHILE_LOADING)

    assert done.returncode == EXIT_INTERRUPTED, done.stderr
    assert done.stdout == ""  # no answer
    assert done.stderr.splitlines() == ["interrupted"]


def test_serve_interrupted_while_a_model_loads() -> None:
    done = hawkeye("serve", "--profile", "tiny", "--port", "0", "--threads", "1", code=SIGINT_WHILE_LOADING,
                   timeout=120)  # a server that started would serve until then

    assert done.returncode == EXIT_INTERRUPTED, done.stderr
    assert done.stderr.splitlines() == ["interrupted"]  # never "serving … at http://…"


@pytest.mark.parametrize("delay", [0.1, 0.2, 0.3, 0.6])
def test_ask_interrupted_at_any_early_moment(delay: float) -> None:
    """Ctrl-C during the imports, or whatever comes next: one word and 130, never a traceback or an answer.

    130 as a shell reports it: the process exits 130, or, under `python -m`, dies of SIGINT after exiting cleanly
    when the interrupt passed through code compiled from a string (a dataclass being created while it is
    imported): CPython then re-raises the signal at exit, whoever handled the KeyboardInterrupt.
    """
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen([sys.executable, "-m", "hawkeye_cli", "ask", "What is 2 + 3?", "--profile", "tiny",
                                "--threads", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                               preexec_fn=sigint_as_a_terminal_sends_it)
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=300)

    assert process.returncode in (EXIT_INTERRUPTED, -signal.SIGINT), stderr
    assert (stdout, stderr.splitlines()) == ("", ["interrupted"])
