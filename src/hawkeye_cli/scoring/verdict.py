r"""One verdict per scored output: Math-Verify (the primary metric) plus lm-eval's two GSM8K filters.

- ``correct`` (the accuracy every hawkeye table and JSON reports): Math-Verify (Hugging Face; open-r1 and
  lighteval use it). The gold is parsed as ``\boxed{GOLD}`` (LaTeX, or a number), the output with
  ``LatexExtractionConfig(boxed_match_priority=0)`` then ``ExprExtractionConfig()``: the last ``\boxed{}`` wins,
  else the last LaTeX or plain expression; ``verify(gold, output)`` then compares symbolically, so
  ``\boxed{\$70,\!000}`` = 70000, ``\dfrac12`` = 0.5, ``[1,2)`` is an interval and ``\{2,1\}`` = ``\{1,2\}``.
  ``answer`` is the text Math-Verify extracted. Only the last ``TAIL_CHARS`` characters of an output are read.
- ``strict`` / ``correct_strict`` and ``flexible`` / ``correct_flexible``: lm-eval's gsm8k strict-match and
  flexible-extract (scoring/lm_eval.py), kept so that GSM8K numbers compare with lm-eval's. They compare numbers
  only: against a gold that is not a number (most of MATH) they are never correct.

Math-Verify guards itself with ``signal.alarm``, which works only in a process's main thread and cannot stop
C code (``\boxed{9^{9^{9^{9}}}}`` computes a huge integer and never returns). So it runs in a child process,
in that process's main thread with Math-Verify's own timeouts, and the caller, in any thread, waits at most
``DEADLINE_SECONDS`` per output; past it the child is killed (and restarted for the next output) and the output
scores wrong. Calls from several threads take turns. The child's answers are read by a thread of their own into a
queue, which a caller waits on with a timeout: that works on every platform (select() on pipes is POSIX only).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from hawkeye_cli.errors import HawkeyeError
from hawkeye_cli.scoring.lm_eval import extract_answer, gold_answer, normalize_number

AnswerFormat = Literal["gsm8k", "math"]
"""gsm8k: a reference solution ending in '#### N' (or just N); math: the final answer itself, LaTeX or a number."""

TAIL_CHARS = 2000
"""Math-Verify reads only the end of an output, where the final answer is; it also bounds the parsing work."""
DEADLINE_SECONDS = 20.0
"""The most one output may take to score; past it the output scores wrong."""
STARTUP_SECONDS = 120.0
STOP_SECONDS = 5.0
"""Bound on the wait for the reader thread once the child is killed (its output ends at once)."""
READY = "ready"
"""The child's first line, once Math-Verify is imported."""


@dataclass(frozen=True)
class Verdict:
    correct: bool
    """Math-Verify: the output's final answer is equivalent to the gold. The primary metric."""
    answer: str | None
    """What Math-Verify read as the output's final answer; None when it found none (or gave up)."""
    strict: str | None
    """lm-eval strict-match: the first '#### N' (else the last \\boxed{N}), as a canonical number."""
    flexible: str | None
    """lm-eval flexible-extract: the last number of the output."""
    correct_strict: bool
    correct_flexible: bool


NO_OUTPUT = Verdict(correct=False, answer=None, strict=None, flexible=None, correct_strict=False,
                   correct_flexible=False)
"""The verdict on an output that was never written (its request failed): wrong, with no answer read."""


def gold_of(reference: str, answer_format: AnswerFormat) -> str:
    """The gold answer a reference holds; ValueError when it holds none."""
    if answer_format == "gsm8k":
        return gold_answer(reference) if "####" in reference else _plain_number(reference)
    gold = reference.strip()
    if not gold:
        raise ValueError("the answer is empty")
    return gold


def score(output: str, gold: str, checker: MathVerifyProcess | None = None) -> Verdict:
    """All three metrics for one output against one gold (from gold_of); never raises for odd outputs."""
    correct, answer = (checker or DEFAULT_CHECKER).check(gold, output[-TAIL_CHARS:])
    extracted = extract_answer(output)
    number = normalize_number(gold)
    return Verdict(
        correct=correct,
        answer=answer,
        strict=extracted.strict,
        flexible=extracted.flexible,
        correct_strict=number is not None and extracted.strict == number,
        correct_flexible=number is not None and extracted.flexible == number,
    )


def start_reader() -> None:
    """Start Math-Verify's process now, for a caller that will read an answer soon."""
    DEFAULT_CHECKER.start()


def read_answer(output: str, checker: MathVerifyProcess | None = None, *, cut: bool = False) -> str | None:
    """The final answer Math-Verify reads in `output` (its last \\boxed{}, else its last LaTeX or plain
    expression), as written there but on one line and without the markdown emphasis around it (it reads `**5**`
    as `5**`); None when it finds none. A `cut` output (max tokens reached) ends in an unfinished line, such as a
    list item begun (`2. 2+`), which would be read as the answer: it is left out when lines come before it."""
    text = output.rstrip()
    if cut and "\n" in text:
        text = text[:text.rindex("\n")]
    answer = (checker or DEFAULT_CHECKER).check(None, text[-TAIL_CHARS:])[1]
    return " ".join(answer.strip("*").split()) or None if answer is not None else None


def same_answer(first: str | None, second: str | None, checker: MathVerifyProcess | None = None) -> bool:
    """Two answers as read_answer gives them are equivalent for Math-Verify (`0.5` and `\\frac{1}{2}`); no
    answer is the same as nothing."""
    if first is None or second is None:
        return False
    return (checker or DEFAULT_CHECKER).check(first, f"\\boxed{{{second}}}")[0]


def _plain_number(reference: str) -> str:
    number = normalize_number(reference)
    if number is None:
        raise ValueError("the answer is neither '#### N' nor a number")
    return number


class MathVerifyProcess:
    """Math-Verify in a child process that is killed when an output takes longer than `deadline` to score.

    A plain subprocess speaking JSON lines (not multiprocessing): nothing of the caller's program is re-run or
    forked, which matters because the caller runs llama.cpp threads.
    """

    def __init__(self, deadline: float = DEADLINE_SECONDS) -> None:
        self.deadline = deadline
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._ready = False
        self._lines: queue.Queue[str] = queue.Queue()
        """The child's output lines, then "" once it has exited (a fresh queue for each child)."""
        self._reader: threading.Thread | None = None

    def check(self, gold: str | None, output: str) -> tuple[bool, str | None]:
        """(equivalent, extracted answer); (False, None) when the child ran past the deadline or died. With no
        gold, only the answer is read."""
        with self._lock:
            process = self._started()
            assert process.stdin is not None
            try:
                process.stdin.write(json.dumps([gold, output]) + "\n")
                process.stdin.flush()
                correct, answer = json.loads(self._lines.get(timeout=self.deadline))
                return bool(correct), answer
            except (queue.Empty, OSError, ValueError):  # past the deadline, or the child died: a broken pipe, "" read
                pass
            self._stop()
            return False, None

    def start(self) -> None:
        """Start the child without waiting for it: importing SymPy takes a second or more, which then passes while
        the caller's models work."""
        with self._lock:
            self._spawned()

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _spawned(self) -> subprocess.Popen[str]:
        if self._process is None or self._process.poll() is not None:
            self._stop()
            # The child imports hawkeye_cli from where this process did, installed or not.
            path = [str(Path(__file__).resolve().parents[2]), os.environ.get("PYTHONPATH", "")]
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, path))}
            self._process = subprocess.Popen(
                [sys.executable, "-m", "hawkeye_cli.scoring.math_verify_child"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8", env=env,
                start_new_session=True,  # Ctrl-C in the terminal is the parent's to handle
            )
            self._ready = False
            self._lines = queue.Queue()
            self._reader = threading.Thread(target=_read_lines, args=(self._process, self._lines), daemon=True,
                                            name="math-verify-reader")
            self._reader.start()
        return self._process

    def _started(self) -> subprocess.Popen[str]:
        process = self._spawned()
        if not self._ready:
            # Importing SymPy takes seconds on a busy machine: that is not the first output's time.
            with contextlib.suppress(queue.Empty):
                self._ready = self._lines.get(timeout=STARTUP_SECONDS).strip() == READY
            if not self._ready:
                self._stop()
                raise HawkeyeError(f"Math-Verify's scoring process did not start within {STARTUP_SECONDS:.0f} s",
                                   fix="see what fails: python -m hawkeye_cli.scoring.math_verify_child")
        return process

    def _stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            if self._reader is not None:
                self._reader.join(timeout=STOP_SECONDS)  # it reads to the end of the dead child's output
            for pipe in (self._process.stdin, self._process.stdout):
                if pipe is not None:
                    pipe.close()
        self._process = None
        self._reader = None


def _read_lines(process: subprocess.Popen[str], lines: queue.Queue[str]) -> None:
    """Every line the child writes, then "" when its output ends (it exited or was killed)."""
    assert process.stdout is not None
    try:
        for line in process.stdout:
            lines.put(line)
    except (OSError, ValueError):  # the pipe closed under it, or the child wrote something that is not UTF-8
        pass
    lines.put("")


DEFAULT_CHECKER = MathVerifyProcess()
atexit.register(DEFAULT_CHECKER.close)
