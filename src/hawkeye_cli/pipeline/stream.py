"""One question's callbacks as a stream of events, for a reader in another thread (hawkeye serve, the llm plugin).

The pipeline is synchronous and calls back with text as it is generated; a reader that pulls (an iterator, an
event loop) runs the question in a worker thread, and the Relay hands it each piece of text, then the result or
the failure. A reader that has gone cancels the relay: the next text hook raises Cancelled inside the backend's
generation loop, which stops it and releases the model.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass

from hawkeye_cli.pipeline.collaborate import Collaboration, DecodeSettings, Observer
from hawkeye_cli.pipeline.results import AskResult, Stage, StageResult


class Cancelled(Exception):
    """Raised from the text hook once the reader has gone; it unwinds the generation loop that called it."""


@dataclass(frozen=True)
class Text:
    stage: Stage
    text: str


@dataclass(frozen=True)
class Done:
    result: AskResult


@dataclass(frozen=True)
class Failed:
    error: Exception


Event = Text | Done | Failed
End = Done | Failed


class Relay(Observer):
    """One question, run by `run` in a worker thread; its text goes to `post` as it is generated. `post` answers
    False once nobody is left to read, which cancels the question."""

    def __init__(self, collaboration: Collaboration, question: str, decode: DecodeSettings,
                 post: Callable[[Event], bool]) -> None:
        self.decode = decode
        self.finished_stages: list[StageResult] = []
        self.running: Stage | None = None
        self.streamed = 0
        """Text pieces of the running stage so far (about one a token on llama.cpp): how far a cancelled stage got."""
        self.end: End | None = None
        self._cancelled = threading.Event()
        self._collaboration = collaboration
        self._question = question
        self._post = post

    def cancel(self) -> None:
        """Stop at the next token (no-op once finished)."""
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def run(self) -> End:
        """The question answered, or why not (kept as `end`); the caller hands it to the reader."""
        try:
            self._check()
            end: End = Done(self._collaboration.ask(self._question, self.decode, observer=self))
        except Exception as exc:  # every failure is handed to the reader; none may kill the worker thread
            end = Failed(exc)
        self.end = end
        return end

    def _check(self) -> None:
        if self._cancelled.is_set():
            raise Cancelled

    def started(self, stage: Stage, model: str) -> None:
        self._check()
        self.running, self.streamed = stage, 0

    def text(self, stage: Stage, chunk: str) -> None:
        self._check()
        self.streamed += 1
        if not self._post(Text(stage, chunk)):
            raise Cancelled

    def finished(self, result: StageResult) -> None:
        self.finished_stages.append(result)
        self.running = None


def stream(collaboration: Collaboration, question: str, decode: DecodeSettings, *,
           thread_name: str) -> Generator[Text | Done, None, None]:
    """The question's text as it is generated, then its result, for a reader that pulls; raises the failure.
    Closing the iterator stops the generation at its next token and waits for the worker to end."""
    events: queue.Queue[Event] = queue.Queue()

    def post(event: Event) -> bool:
        events.put(event)
        return True

    relay = Relay(collaboration, question, decode, post)
    worker = threading.Thread(target=lambda: post(relay.run()), name=thread_name, daemon=True)
    worker.start()
    try:
        while True:
            event = events.get()
            if isinstance(event, Failed):
                raise event.error
            yield event
            if isinstance(event, Done):
                return
    finally:
        relay.cancel()
        worker.join()
