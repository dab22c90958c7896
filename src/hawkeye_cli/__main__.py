"""`python -m hawkeye_cli` and the `hawkeye` command.

The CLI is imported inside the handlers, so that Ctrl-C during the second its imports take exits as at any other
moment (130), and stdout is flushed inside them, so that a reader that went away (`| head`) before the last flush
is a quiet exit too, not Python's "Exception ignored" at shutdown.
"""

import sys

from hawkeye_cli.errors import EXIT_BROKEN_PIPE, EXIT_INTERRUPTED
from hawkeye_cli.outputs import discard_stdout


def main() -> None:
    try:
        try:
            from hawkeye_cli.cli import app

            app()
        finally:
            sys.stdout.flush()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        discard_stdout()
        sys.exit(EXIT_BROKEN_PIPE)


if __name__ == "__main__":
    main()
