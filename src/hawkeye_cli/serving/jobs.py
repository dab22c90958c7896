"""One chat completion run in a worker thread, its events (pipeline/stream.py) relayed to the event loop.

The pipeline is synchronous (llama.cpp), so each request's plan → expand runs in a thread while the event loop
keeps answering other requests; each local model still generates for one request at a time (its backend's lock),
so concurrent requests queue there. A job whose client has gone is cancelled: it stops at the next token.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from hawkeye_cli.pipeline import Collaboration, DecodeSettings
from hawkeye_cli.pipeline.stream import Done, Event, Failed, Relay, Text


class Job(Relay):
    """Run it with `start`; read its events with `next_event` (streaming) or `outcome` (one answer)."""

    def __init__(self, collaboration: Collaboration, question: str, decode: DecodeSettings,
                 on_end: Callable[[Job], None]) -> None:
        """`on_end` runs in the worker thread once generation has really stopped (the request's log line)."""
        super().__init__(collaboration, question, decode, self._to_loop)
        self._loop = asyncio.get_running_loop()
        self._events: asyncio.Queue[Event] = asyncio.Queue()
        self._stopped = asyncio.Event()
        self._on_end = on_end

    def start(self) -> None:
        self._loop.run_in_executor(None, self._work)

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
        end = self.run()
        self._on_end(self)
        if self._to_loop(end):
            self._loop.call_soon_threadsafe(self._stopped.set)

    def _to_loop(self, event: Event) -> bool:
        """False once the event loop has closed (the server shut down): nobody is left to read."""
        try:
            self._loop.call_soon_threadsafe(self._events.put_nowait, event)
        except RuntimeError:
            return False
        return True


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
