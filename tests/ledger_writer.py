"""One of the processes the ledger's concurrency test runs at once: once START exists, it records the answered
question in DOCUMENT (an `ask --json` document) COUNT times, as TAG-0, TAG-1, ...; every warning goes to stderr
and makes the exit status 1.

Usage: python ledger_writer.py DOCUMENT TAG COUNT START
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from hawkeye_cli import ledger
from hawkeye_cli.errors import HawkeyeError


def main() -> int:
    document_path, tag, count, start = sys.argv[1:5]
    document = json.loads(Path(document_path).read_text(encoding="utf-8"))
    while not Path(start).exists():
        time.sleep(0.001)
    warnings: list[HawkeyeError] = []
    for n in range(int(count)):
        ledger.record({**document, "question": f"{tag}-{n}"}, "ask", warn=warnings.append)
    for warning in warnings:
        print(warning.one_line(), file=sys.stderr)
    return 1 if warnings else 0


if __name__ == "__main__":
    sys.exit(main())
