"""The Math-Verify child is read without select(), which on Windows does not work on pipes: score, bench and
compress-cot --verify must not depend on it. Its deadline and its death are still noticed."""

from __future__ import annotations

import select
import threading
import time

import pytest

from hawkeye_cli.scoring.verdict import MathVerifyProcess, score

PATHOLOGICAL = "\\boxed{9^{9^{9^{9}}}}"
"""SymPy computes an integer with ~10^8 digits in C for it: the child is busy for minutes."""


@pytest.fixture
def no_select(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on Windows, where select() accepts sockets only."""
    def refuse(*args: object) -> None:
        raise OSError("select() on a pipe: WinError 10038, an operation was attempted on something that is not "
                      "a socket")

    monkeypatch.setattr(select, "select", refuse)


def test_scoring_and_its_deadline_work_without_select(no_select: None) -> None:
    checker = MathVerifyProcess(deadline=2)
    try:
        assert score("so the answer is \\boxed{\\frac{1}{2}}", "0.5", checker).correct
        started = time.monotonic()
        assert not score(PATHOLOGICAL, "5", checker).correct  # past the deadline: killed, scored wrong
        assert time.monotonic() - started < 30
        assert score("\\boxed{5}", "5", checker).correct  # a fresh child for the next output
    finally:
        checker.close()


def test_a_child_that_dies_mid_answer_is_noticed_before_the_deadline(no_select: None) -> None:
    checker = MathVerifyProcess(deadline=600)
    try:
        assert score("\\boxed{4}", "4", checker).correct  # the child is up
        process = checker._process
        assert process is not None
        threading.Timer(1.0, process.kill).start()  # dies while it computes the pathological output
        started = time.monotonic()
        assert not score(PATHOLOGICAL, "5", checker).correct
        assert time.monotonic() - started < 60  # its output ended: nobody waits out the 600 s deadline
        assert score("\\boxed{5}", "5", checker).correct
    finally:
        checker.close()
