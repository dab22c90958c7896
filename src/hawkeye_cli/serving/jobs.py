"""One chat completion run in a worker thread, its text relayed to the event loop as it is generated.

The pipeline is synchronous (llama.cpp), so each request's plan → expand runs in a thread while the event loop
keeps answering other requests; each local model still generates for one request at a time (its backend's lock),
so concurrent requests queue there. A job whose client has gone is cancelled: the next text hook raises
GenerationCancelled inside the backend's generation loop, which stops it and releases the model.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass

from hawkeye_cli.pipeline import AskResult, Collaboration, DecodeSettings, Observer, StageResult
from hawkeye_cli.pipeline.results import Stage


class GenerationCancelled(Exception):
    """Raised from the text hook once the client has gone; it unwinds the generation loop that called it."""


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


class Job(Observer):
    """Run it with `start`; read its events with `next_event` (streaming) or `outcome` (one answer)."""

    def __init__(self, collaboration: Collaboration, question: str, decode: DecodeSettings,
                 on_end: Callable[[Job], None]) -> None:
        """`on_end` runs in the worker thread once generation has really stopped (the request's log line)."""
        self.decode = decode
        self.finished_stages: list[StageResult] = []
        self.running: Stage | None = None
        self.streamed = 0
        """Text pieces of the running stage so far (about one a token on llama.cpp): how far a cancelled stage got."""
        self.end: Done | Failed | None = None
        self._cancelled = threading.Event()
        self._loop = asyncio.get_running_loop()
        self._events: asyncio.Queue[Event] = asyncio.Queue()
        self._stopped = asyncio.Event()
        self._collaboration = collaboration
        self._question = question
        self._on_end = on_end

    def start(self) -> None:
        self._loop.run_in_executor(None, self._work)

    def cancel(self) -> None:
        """Stop at the next token (no-op once finished)."""
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    async def stopped(self) -> None:
        """Until the worker is done: generation has ended and the models are free of this job."""
        await self._stopped.wait()

    async def next_event(self) -> Event:
        return await self._events.get()

    async def outcome(self) -> Done | Failed:
        while True:
            event = await self._events.get()
            if not isinstance(event, Text):
                return event

    def _work(self) -> None:
        end: Done | Failed
        try:
            self._check()
            end = Done(self._collaboration.ask(self._question, self.decode, observer=self))
        except Exception as exc:  # every failure is answered to its client; none may kill the worker thread
            end = Failed(exc)
        self.end = end
        self._on_end(self)
        if self._post(end):
            self._loop.call_soon_threadsafe(self._stopped.set)

    def _check(self) -> None:
        if self._cancelled.is_set():
            raise GenerationCancelled

    def _post(self, event: Event) -> bool:
        """False once the event loop has closed (the server shut down): nobody is left to read."""
        try:
            self._loop.call_soon_threadsafe(self._events.put_nowait, event)
        except RuntimeError:
            return False
        return True

    def started(self, stage: Stage, model: str) -> None:
        self._check()
        self.running, self.streamed = stage, 0

    def text(self, stage: Stage, chunk: str) -> None:
        self._check()
        self.streamed += 1
        if not self._post(Text(stage, chunk)):
            raise GenerationCancelled

    def finished(self, result: StageResult) -> None:
        self.finished_stages.append(result)
        self.running = None


class ActiveJobs:
    """The jobs not yet ended, so that a shutting-down server can stop them (added on the event loop, removed by
    their worker threads: set operations are atomic)."""

    def __init__(self) -> None:
        self._jobs: set[Job] = set()

    def __len__(self) -> int:
        return len(self._jobs)

    def add(self, job: Job) -> None:
        self._jobs.add(job)

    def discard(self, job: Job) -> None:
        self._jobs.discard(job)

    def cancel_all(self) -> None:
        for job in list(self._jobs):
            job.cancel()

    async def stop_all(self) -> None:
        """Cancel every job and wait until each has stopped generating."""
        jobs = list(self._jobs)
        for job in jobs:
            job.cancel()
        await asyncio.gather(*(job.stopped() for job in jobs))
