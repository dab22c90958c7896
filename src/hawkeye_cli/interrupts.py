"""Ctrl-C that Python would swallow, kept.

Python raises KeyboardInterrupt wherever Python code runs next. Where that is code whose exceptions cannot
propagate — a ctypes callback (llama.cpp's log callback while a model loads), a weakref callback (importlib's module
locks, while hawkeye's modules are imported) — the interrupt goes to sys.unraisablehook, is printed as "Exception
ignored", and the work goes on as if nothing happened.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sys import UnraisableHookArgs


@contextmanager
def interrupts_kept() -> Iterator[None]:
    """Within it, a swallowed KeyboardInterrupt is noted (and not printed); it is raised again on the way out."""
    interrupted = threading.Event()
    previous = sys.unraisablehook

    def note(unraisable: UnraisableHookArgs) -> None:
        if unraisable.exc_type is not None and issubclass(unraisable.exc_type, KeyboardInterrupt):
            interrupted.set()
        else:
            previous(unraisable)

    sys.unraisablehook = note
    try:
        yield
    finally:
        sys.unraisablehook = previous
        if interrupted.is_set():
            raise KeyboardInterrupt  # in place of the result or error: the user asked to stop
