"""`python -m hawkeye_cli` and the `hawkeye` command.

Everything is imported inside the handlers, so that Ctrl-C during the second the imports take exits as at any other
moment (130), and stdout is flushed inside them, so that a reader that went away (`| head`) before the last flush
is a quiet exit too, not Python's "Exception ignored" at shutdown.
"""

import sys


def main() -> None:
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
        if isinstance(exc, SystemExit) or not _caused_by_ctrl_c(exc):
            raise
        sys.stderr.write("interrupted\n")
        sys.exit(130)  # errors.EXIT_INTERRUPTED, which may be what was being imported


def _caused_by_ctrl_c(error: BaseException | None) -> bool:
    """Ctrl-C, also where Python wrapped it: a KeyboardInterrupt in a class body's __set_name__ (pydantic's models,
    while they are imported) comes out as the RuntimeError it caused."""
    while error is not None:
        if isinstance(error, KeyboardInterrupt):
            return True
        error = error.__cause__ or error.__context__
    return False


if __name__ == "__main__":
    main()
