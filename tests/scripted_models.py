"""Scripted models for CLI tests about files and errors, where what the models say is not the subject."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from conftest import ScriptedBackend, ScriptedDriver
from hawkeye_cli import backends
from hawkeye_cli.backends.base import Completion, Request, Session


class Answering(ScriptedBackend):
    """Answers every prompt with `answer`; on call `interrupt_at` (1-based) it is Ctrl-C instead, and `meanwhile`
    runs before each answer (the disk changing during a run)."""

    def __init__(self, answer: str = "#### 2", *, interrupt_at: int | None = None,
                 meanwhile: Callable[[], object] | None = None) -> None:
        super().__init__([], name="answering")
        self.answer = answer
        self.interrupt_at = interrupt_at
        self.meanwhile = meanwhile

    def complete(self, request: Request, on_text: Callable[[str], None] | None = None) -> Completion:
        if len(self.prompts) + 1 == self.interrupt_at:
            raise KeyboardInterrupt
        if self.meanwhile is not None:
            self.meanwhile()
        self.outputs = [self.answer]
        return super().complete(request, on_text)

    def session(self, request: Request) -> Session:
        """The planner's thinking (a plan) answers the same words."""
        if len(self.prompts) + 1 == self.interrupt_at:
            raise KeyboardInterrupt
        if self.meanwhile is not None:
            self.meanwhile()
        self.outputs = [self.answer]
        return super().session(request)


@contextmanager
def scripted_models(backend: Answering | None = None) -> Iterator[None]:
    """`backend` (by default one that answers '#### 2') as every model the tiny profile loads."""
    answering = backend or Answering()
    with backends.registered("pypi", ScriptedDriver(lambda spec: answering)):
        yield
