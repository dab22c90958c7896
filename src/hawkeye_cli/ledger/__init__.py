"""The savings ledger: every question `ask` and `serve` answer, with what it cost and saved, in one SQLite
database in hawkeye's data folder (`hawkeye logs` reads it).

Sits beside evaluation and serving; commands call it. A log that cannot be written costs one warning, never
the answer: `record` and `record_baselines` hand every failure to `warn` and return.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from hawkeye_cli.errors import HawkeyeError, LedgerError
from hawkeye_cli.evaluation.metrics import Summary
from hawkeye_cli.ledger.database import Ledger
from hawkeye_cli.ledger.entries import Source, entry_of
from hawkeye_cli.ledger.estimates import BaselineSource, baselines_of
from hawkeye_cli.store import paths

Warn = Callable[[HawkeyeError], None]


def off_reason() -> str | None:
    """Why nothing is recorded now, or None when logging is on."""
    if os.environ.get(paths.NO_LOG_ENV, "") not in ("", "0"):
        return f"{paths.NO_LOG_ENV} is set"
    if paths.ledger_off_marker().exists():
        return "turned off by hawkeye logs off"
    return None


def record(document: Mapping[str, Any], source: Source, *, warn: Warn) -> None:
    """Record one answered question (`document`: what `ask --json` prints), unless logging is off."""
    if off_reason() is None:
        _safely(lambda: Ledger(paths.ledger_path()).add(entry_of(document, source)), warn, "not logged")


def record_baselines(summaries: Iterable[Summary], *, source: BaselineSource, dataset: str, max_tokens: int,
                     warn: Warn) -> None:
    """The planner alone's figures per planner, as a bench or a calibrate measured them: later questions asked
    without --compare estimate their savings from the latest."""
    baselines = baselines_of(summaries, source=source, dataset=dataset, max_tokens=max_tokens)
    if baselines and off_reason() is None:
        _safely(lambda: Ledger(paths.ledger_path()).add_baselines(baselines), warn, "baselines not logged")


def _safely(write: Callable[[], object], warn: Warn, what: str) -> None:
    """`what`: how the warning starts."""
    try:
        write()
    except HawkeyeError as exc:
        warn(LedgerError(f"{what}: {exc.message}", fix=exc.fix))
    except Exception as exc:  # a bug in logging must not cost the answer (or hang a served request)
        warn(LedgerError(f"{what}: internal error {type(exc).__name__}: {exc}", fix="please report it"))
