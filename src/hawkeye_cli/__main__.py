"""`python -m hawkeye_cli` and the `hawkeye` command.

Everything is imported inside the handlers, so that Ctrl-C during the second the imports take exits as at any other
moment (130), and stdout is flushed inside them, so that a reader that went away (`| head`) before the last flush
is a quiet exit too, not Python's "Exception ignored" at shutdown.
"""

import signal
import sys
from types import FrameType

_ctrl_c_pressed: list[bool] = []
"""Noted by the handler itself, since where its KeyboardInterrupt goes next cannot say: a library may turn it into an
error of its own that does not chain it (pydantic-core, building a model class while it is imported, puts it in a
SchemaError's text)."""


def _note_ctrl_c(signum: int, frame: FrameType | None) -> None:
    _ctrl_c_pressed.append(True)
    raise KeyboardInterrupt


def main() -> None:
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # SIGINT ignored (`nohup … &`) stays ignored
        signal.signal(signal.SIGINT, _note_ctrl_c)
    try:
        try:
            from hawkeye_cli.interrupts import interrupts_kept

            with interrupts_kept():  # Ctrl-C in an import's weakref callback would be swallowed
                from hawkeye_cli.cli import app
            app()
        finally:
            sys.stdout.flush()
    except BrokenPipeError:
        from hawkeye_cli.errors import EXIT_BROKEN_PIPE
        from hawkeye_cli.outputs import discard_stdout

        discard_stdout()
        sys.exit(EXIT_BROKEN_PIPE)
    except OSError as exc:  # the last flush of a stdout whose disk is full
        from hawkeye_cli.outputs import stdout_write_failure

        failure = stdout_write_failure(exc)
        if failure is None:
            raise
        sys.stderr.write(f"error: {failure.one_line()}\n")
        sys.exit(failure.exit_code)
    except BaseException as exc:
        if isinstance(exc, SystemExit) or not (_ctrl_c_pressed or isinstance(exc, KeyboardInterrupt)):
            raise
        sys.stderr.write("interrupted\n")
        sys.exit(130)  # errors.EXIT_INTERRUPTED, which may be what was being imported


if __name__ == "__main__":
    main()
