"""Errors a user can act on: the CLI prints them on one line, with the fix, and exits non-zero."""

from __future__ import annotations

import re

EXIT_OK = 0
EXIT_ERROR = 1
"""A problem with input or environment: one line on stderr naming the fix."""
EXIT_USAGE = 2
"""A usage error (click's own code for bad options)."""
EXIT_INTERRUPTED = 130
"""Ctrl-C (128 + SIGINT), as shells report it."""
EXIT_BROKEN_PIPE = 141
"""The reader of standard output went away (`| head`): 128 + SIGPIPE, what other commands report."""


class HawkeyeError(Exception):
    """A failure caused by input or environment, not by a bug; `fix` tells the user what to do.

    `code` names the kind of failure in --json error documents: stable, so scripts may branch on it. Unless a
    class names its own, it is the class's name in snake case (DataError: data_error), which a kind of failure
    within another keeps.
    """

    exit_code = EXIT_ERROR
    code = "error"

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if HawkeyeError in cls.__bases__ and "code" not in cls.__dict__:
            cls.code = re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()

    def __init__(self, message: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def one_line(self) -> str:
        text = self.message if not self.fix else f"{self.message} — {self.fix}"
        return " ".join(text.split())


class RegistryError(HawkeyeError):
    """models.yaml (bundled or user) is invalid or names something that does not exist."""


class ModelNotAvailableError(HawkeyeError):
    """A model's file is not on disk; only `hawkeye pull` may fetch it."""

    code = "model_not_available"


class HubError(HawkeyeError):
    """The Hugging Face hub could not be reached or refused the request."""


class IntegrityError(HawkeyeError):
    """A model file is corrupt, truncated or does not match its registered checksum."""


class ContextOverflowError(HawkeyeError):
    """The prompt does not fit in the model's context window."""

    code = "context_overflow"


class DataError(HawkeyeError):
    """An input data file is missing or malformed."""


class CapabilityError(HawkeyeError):
    """A backend lacks what a command needs (token counting, per-token scoring)."""


class RemoteError(HawkeyeError):
    """An OpenAI-compatible engine could not be reached, refused the request or answered nonsense."""


class RequestError(RemoteError):
    """The engine failed this one request (a 400 for this prompt, a stream cut short) and may well answer the
    next: a run of many requests records it and goes on, where any other RemoteError stops it."""


class OutputError(HawkeyeError):
    """A file hawkeye should write (results, summary, plot, output) cannot be created or appended to."""


class FileInUseError(HawkeyeError):
    """Another hawkeye process holds the file's lock: two runs appending to one file would write everything twice."""

    code = "file_in_use"


class OutOfMemoryError(HawkeyeError):
    """A model's context (--ctx) does not fit in the machine's memory."""

    code = "out_of_memory"


class Interrupted(HawkeyeError):
    """Ctrl-C: the run stopped, keeping what it had written; the message says what, the fix how to go on."""

    exit_code = EXIT_INTERRUPTED


class LedgerError(HawkeyeError):
    """The savings ledger (logs.db) cannot be read or written: a question is then answered but not recorded."""


class CalibrationError(HawkeyeError):
    """Calibration has nothing to choose from, or no setting met the tolerance: nothing was saved."""
