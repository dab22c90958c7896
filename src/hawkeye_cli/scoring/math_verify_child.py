"""The child process of scoring/verdict.py: Math-Verify in a main thread, where its own timeouts work.

Run as `python -m hawkeye_cli.scoring.math_verify_child`: reads [gold, output] JSON lines on stdin, writes
[equivalent, answer] JSON lines on stdout (a null gold: the answer read, compared with nothing). Only this process
imports Math-Verify and SymPy.
"""

from __future__ import annotations

import json
import logging
import sys
from functools import lru_cache

from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

from hawkeye_cli.scoring.verdict import READY

TIMEOUT_SECONDS = 3
"""Math-Verify's own limit per parse and per comparison (signal.alarm: fine here, in the child's main thread)."""

_GOLD = [LatexExtractionConfig(), ExprExtractionConfig()]
_OUTPUT = [LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig()]


def serve() -> None:
    """Answer requests until stdin closes."""
    logging.getLogger("math_verify").setLevel(logging.ERROR)  # its timeout warnings would only be noise
    print(READY, flush=True)
    for line in sys.stdin:
        gold, output = json.loads(line)
        print(json.dumps(check(gold, output)), flush=True)


def check(gold: str | None, output: str) -> tuple[bool, str | None]:
    parsed = parse(output, extraction_config=_OUTPUT, parsing_timeout=TIMEOUT_SECONDS)
    answer = str(parsed[-1]) if parsed else None
    if gold is None:
        return False, answer
    return bool(parsed) and verify(_parse_gold(gold), parsed, timeout_seconds=TIMEOUT_SECONDS), answer


@lru_cache(maxsize=1024)
def _parse_gold(gold: str) -> list[object]:
    """The gold wrapped in \\boxed{}, as Math-Verify's docs advise for a bare answer; parsed once per gold."""
    return parse(f"\\boxed{{{gold}}}", extraction_config=_GOLD, parsing_timeout=TIMEOUT_SECONDS)


if __name__ == "__main__":
    serve()
